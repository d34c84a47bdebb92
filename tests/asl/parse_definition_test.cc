#include <doctest/doctest.h>

#include <string>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

using namespace stepflow::asl;

namespace {

std::shared_ptr<const StateMachine> MustParse(const std::string& text) {
  Diagnostics diagnostics;
  auto machine = ParseDefinition(text, &diagnostics);
  for (const Diagnostic& d : diagnostics) MESSAGE(d.code << " at " << d.location << ": " << d.message);
  REQUIRE(machine != nullptr);
  REQUIRE(!HasError(diagnostics));
  return machine;
}

}  // namespace

TEST_CASE("StateTypeName spells every type as ASL does") {
  CHECK(std::string(StateTypeName(StateType::kPass)) == "Pass");
  CHECK(std::string(StateTypeName(StateType::kTask)) == "Task");
  CHECK(std::string(StateTypeName(StateType::kChoice)) == "Choice");
  CHECK(std::string(StateTypeName(StateType::kWait)) == "Wait");
  CHECK(std::string(StateTypeName(StateType::kSucceed)) == "Succeed");
  CHECK(std::string(StateTypeName(StateType::kFail)) == "Fail");
  CHECK(std::string(StateTypeName(StateType::kParallel)) == "Parallel");
  CHECK(std::string(StateTypeName(StateType::kMap)) == "Map");
}

TEST_CASE("Parse keeps states in definition order and resolves Next and StartAt to indices") {
  auto m = MustParse(R"({"Comment":"c","Version":"1.0","TimeoutSeconds":60,"StartAt":"B","States":{
    "A":{"Type":"Succeed"},
    "B":{"Type":"Pass","Next":"A"}}})");
  CHECK(m->comment == "c");
  CHECK(m->version == "1.0");
  CHECK(m->timeout_seconds == 60);
  REQUIRE(m->states.size() == 2);
  CHECK(m->states[0].name == "A");
  CHECK(m->states[1].name == "B");
  CHECK(m->start_at == "B");
  CHECK(m->start_index == 1);
  CHECK(m->states[1].next == "A");
  CHECK(m->states[1].next_index == 0);
  CHECK(m->states[0].next_index == -1);
  CHECK(m->Find("A") == &m->states[0]);
  CHECK(m->Find("nope") == nullptr);
}

TEST_CASE("End state has next_index -1 and end true") {
  auto m = MustParse(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  CHECK(m->states[0].end);
  CHECK(m->states[0].next_index == -1);
}

TEST_CASE("InputPath absent is kDefault, null is kNull, a path is kPath") {
  auto m = MustParse(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","InputPath":null,"OutputPath":"$.x","Next":"B"},
    "B":{"Type":"Pass","ResultPath":null,"End":true}}})");
  const State& a = m->states[0];
  CHECK(a.input_path.kind == PathField::Kind::kNull);
  CHECK(a.output_path.kind == PathField::Kind::kPath);
  CHECK(a.output_path.path.text() == "$.x");
  CHECK(a.result_path.kind == PathField::Kind::kDefault);
  const State& b = m->states[1];
  CHECK(b.input_path.kind == PathField::Kind::kDefault);
  CHECK(b.result_path.kind == PathField::Kind::kNull);
}

TEST_CASE("States inherit the top-level QueryLanguage unless they set their own") {
  auto m = MustParse(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{
    "A":{"Type":"Pass","Output":"{% $states.input %}","Next":"B"},
    "B":{"Type":"Pass","QueryLanguage":"JSONPath","Parameters":{"x.$":"$.y"},"End":true}}})");
  CHECK(m->query_language == QueryLanguage::kJsonata);
  CHECK(m->states[0].query_language == QueryLanguage::kJsonata);
  REQUIRE(m->states[0].output.has_value());
  CHECK(m->states[0].output->AsString() == "{% $states.input %}");
  CHECK(m->states[1].query_language == QueryLanguage::kJsonPath);
  CHECK(m->states[1].parameters.has_value());
}

TEST_CASE("Default QueryLanguage is JSONPath and a JSONata state may sit in a JSONPath machine") {
  auto m = MustParse(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","QueryLanguage":"JSONata","Output":{"a":1},"End":true}}})");
  CHECK(m->query_language == QueryLanguage::kJsonPath);
  CHECK(m->states[0].query_language == QueryLanguage::kJsonata);
}

TEST_CASE("Pass keeps Result, Parameters, ResultSelector-free fields and Assign") {
  auto m = MustParse(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Result":{"k":[1,2]},"ResultPath":"$.r","Assign":{"v.$":"$.x","w":1},"End":true}}})");
  const State& a = m->states[0];
  REQUIRE(a.result.has_value());
  CHECK(ToJson(*a.result) == R"({"k":[1,2]})");
  CHECK(a.result_path.kind == PathField::Kind::kPath);
  REQUIRE(a.assign.has_value());
  CHECK(ToJson(a.assign->source()) == R"({"v.$":"$.x","w":1})");
}

TEST_CASE("Task fields: Resource, timeouts literal and by path, Retry defaults and values, Catch indices") {
  auto m = MustParse(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f",
         "TimeoutSecondsPath":"$.t","HeartbeatSeconds":5,
         "Parameters":{"a.$":"$.a"},"ResultSelector":{"b.$":"$.b"},
         "Retry":[{"ErrorEquals":["E1"]},
                  {"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"MaxAttempts":0,"BackoffRate":1.5,
                   "MaxDelaySeconds":10,"JitterStrategy":"FULL"}],
         "Catch":[{"ErrorEquals":["States.ALL"],"Next":"F","ResultPath":"$.err"}],
         "End":true},
    "F":{"Type":"Fail","Error":"E","Cause":"C"}}})");
  const State& t = m->states[0];
  CHECK(t.type == StateType::kTask);
  CHECK(t.resource == "arn:aws:lambda:us-east-1:000000000000:function:f");
  CHECK(!t.timeout_seconds.value);
  REQUIRE(t.timeout_seconds.path.has_value());
  CHECK(t.timeout_seconds.path->text() == "$.t");
  CHECK(t.heartbeat_seconds.value == 5);
  CHECK(t.parameters.has_value());
  CHECK(t.result_selector.has_value());
  REQUIRE(t.retry.size() == 2);
  CHECK(t.retry[0].interval_seconds == 1);
  CHECK(t.retry[0].max_attempts == 3);
  CHECK(t.retry[0].backoff_rate == 2.0);
  CHECK(!t.retry[0].max_delay_seconds);
  CHECK(t.retry[0].jitter == Retrier::Jitter::kNone);
  CHECK(t.retry[1].error_equals == std::vector<std::string>{"States.ALL"});
  CHECK(t.retry[1].interval_seconds == 2);
  CHECK(t.retry[1].max_attempts == 0);
  CHECK(t.retry[1].backoff_rate == 1.5);
  CHECK(t.retry[1].max_delay_seconds == 10);
  CHECK(t.retry[1].jitter == Retrier::Jitter::kFull);
  REQUIRE(t.catchers.size() == 1);
  CHECK(t.catchers[0].next == "F");
  CHECK(t.catchers[0].next_index == 1);
  CHECK(t.catchers[0].result_path.kind == PathField::Kind::kPath);
  CHECK(m->states[1].error == "E");
  CHECK(m->states[1].cause == "C");
}

TEST_CASE("Choice rules resolve Next and Default; operators, Path variants and nesting are kept") {
  auto m = MustParse(R"({"StartAt":"C","States":{
    "C":{"Type":"Choice","Default":"D","Choices":[
      {"Variable":"$.n","NumericGreaterThan":3,"Next":"X"},
      {"Variable":"$.s","StringEqualsPath":"$.t","Next":"D"},
      {"And":[{"Variable":"$.a","IsPresent":true},{"Not":{"Variable":"$.b","BooleanEquals":false}}],"Next":"X"},
      {"Variable":"$.ts","TimestampLessThan":"2016-03-14T01:59:00Z","Next":"X"}]},
    "X":{"Type":"Succeed"},
    "D":{"Type":"Succeed"}}})");
  const State& c = m->states[0];
  CHECK(c.default_next == "D");
  CHECK(c.default_index == 2);
  REQUIRE(c.choices.size() == 4);
  CHECK(c.choices[0].op == ChoiceRule::Op::kNumericGreaterThan);
  CHECK(c.choices[0].variable->text() == "$.n");
  CHECK(c.choices[0].operand.AsDouble() == 3);
  CHECK(c.choices[0].next_index == 1);
  CHECK(c.choices[1].op == ChoiceRule::Op::kStringEquals);
  REQUIRE(c.choices[1].operand_path.has_value());
  CHECK(c.choices[1].operand_path->text() == "$.t");
  CHECK(c.choices[1].next_index == 2);
  CHECK(c.choices[2].op == ChoiceRule::Op::kAnd);
  REQUIRE(c.choices[2].children.size() == 2);
  CHECK(c.choices[2].children[0].op == ChoiceRule::Op::kIsPresent);
  CHECK(c.choices[2].children[1].op == ChoiceRule::Op::kNot);
  REQUIRE(c.choices[2].children[1].children.size() == 1);
  CHECK(c.choices[2].children[1].children[0].op == ChoiceRule::Op::kBooleanEquals);
  CHECK(c.choices[3].op == ChoiceRule::Op::kTimestampLessThan);
  CHECK(c.choices[3].operand.AsString() == "2016-03-14T01:59:00Z");
}

TEST_CASE("JSONata Choice rules keep Condition, Assign and Output") {
  auto m = MustParse(R"({"QueryLanguage":"JSONata","StartAt":"C","States":{
    "C":{"Type":"Choice","Choices":[{"Condition":"{% $states.input.a %}","Assign":{"x":1},"Output":{"o":2},"Next":"S"}],
         "Default":"S"},
    "S":{"Type":"Succeed"}}})");
  const ChoiceRule& rule = m->states[0].choices[0];
  CHECK(rule.op == ChoiceRule::Op::kCondition);
  CHECK(rule.condition->AsString() == "{% $states.input.a %}");
  CHECK(rule.jsonata_assign.has_value());
  CHECK(rule.jsonata_output.has_value());
  CHECK(rule.next_index == 1);
}

TEST_CASE("Wait keeps the one field it has") {
  auto m = MustParse(R"({"StartAt":"A","States":{
    "A":{"Type":"Wait","Seconds":10,"Next":"B"},
    "B":{"Type":"Wait","Timestamp":"2024-01-01T00:00:00Z","Next":"C"},
    "C":{"Type":"Wait","SecondsPath":"$.s","Next":"D"},
    "D":{"Type":"Wait","TimestampPath":"$$.Execution.Input.t","End":true}}})");
  CHECK(m->states[0].seconds == 10);
  CHECK(m->states[1].timestamp == "2024-01-01T00:00:00Z");
  CHECK(m->states[2].seconds_path->text() == "$.s");
  CHECK(m->states[3].timestamp_path->root() == Path::Root::kContext);
}

TEST_CASE("Fail keeps ErrorPath as a path and CausePath as an intrinsic call") {
  auto m = MustParse(R"J({"StartAt":"F","States":{
    "F":{"Type":"Fail","ErrorPath":"$.e","CausePath":"States.Format('bad {}', $.c)"}}})J");
  const State& f = m->states[0];
  REQUIRE(f.error_path.has_value());
  CHECK(f.error_path->text() == "$.e");
  CHECK(!f.cause_path.has_value());
  REQUIRE(f.cause_call.has_value());
  CHECK(f.cause_call->text() == "States.Format('bad {}', $.c)");
}

TEST_CASE("Parallel branches are nested machines with their own indices") {
  auto m = MustParse(R"({"StartAt":"P","States":{
    "P":{"Type":"Parallel","Branches":[
      {"StartAt":"B1","States":{"B0":{"Type":"Succeed"},"B1":{"Type":"Pass","Next":"B0"}}},
      {"StartAt":"C1","States":{"C1":{"Type":"Pass","End":true}}}],"End":true}}})");
  const State& p = m->states[0];
  REQUIRE(p.branches.size() == 2);
  CHECK(p.branches[0]->start_index == 1);
  CHECK(p.branches[0]->states[1].next_index == 0);
  CHECK(p.branches[1]->states[0].name == "C1");
  CHECK(p.branches[1]->query_language == QueryLanguage::kJsonPath);
}

TEST_CASE("Map keeps its processor, mode, items path, selector and concurrency") {
  auto m = MustParse(R"({"StartAt":"M","States":{
    "M":{"Type":"Map","ItemsPath":"$.items","ItemSelector":{"v.$":"$$.Map.Item.Value"},"MaxConcurrency":2,
         "ToleratedFailurePercentagePath":"$.pct","Label":"L",
         "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
                          "StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},
         "End":true}}})");
  const State& s = m->states[0];
  REQUIRE(s.item_processor != nullptr);
  CHECK(s.item_processor->states[0].name == "I");
  CHECK(s.item_processor->start_index == 0);
  CHECK(s.distributed);
  CHECK(s.items_path.kind == PathField::Kind::kPath);
  CHECK(s.items_path.path.text() == "$.items");
  CHECK(s.parameters.has_value());
  CHECK(s.max_concurrency.value == 2);
  CHECK(s.tolerated_failure_percentage.path->text() == "$.pct");
  CHECK(s.label->AsString() == "L");
}

TEST_CASE("Map accepts the older Iterator and Parameters names") {
  auto m = MustParse(R"({"StartAt":"M","States":{
    "M":{"Type":"Map","Parameters":{"x.$":"$$.Map.Item.Value"},
         "Iterator":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"End":true}}})");
  CHECK(m->states[0].item_processor != nullptr);
  CHECK(!m->states[0].distributed);
  CHECK(m->states[0].parameters.has_value());
}

TEST_CASE("JSONata states keep raw Arguments, Items, ItemSelector and expression numbers") {
  auto m = MustParse(R"({"QueryLanguage":"JSONata","StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Arguments":{"FunctionName":"f","Payload":"{% $states.input %}"},
         "TimeoutSeconds":"{% $t %}","Assign":{"x":"{% $states.result %}"},"Next":"M"},
    "M":{"Type":"Map","Items":"{% $states.input.list %}","ItemSelector":{"v":"{% $states.context.Map.Item.Value %}"},
         "MaxConcurrency":"{% 2 %}",
         "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass","End":true}}},"Next":"W"},
    "W":{"Type":"Wait","Seconds":"{% 1 %}","Next":"F"},
    "F":{"Type":"Fail","Error":"{% 'E' %}","Cause":"plain"}}})");
  const State& t = m->states[0];
  REQUIRE(t.arguments.has_value());
  CHECK(t.arguments->Find("FunctionName")->AsString() == "f");
  CHECK(t.timeout_seconds.jsonata->AsString() == "{% $t %}");
  CHECK(t.jsonata_assign.has_value());
  CHECK(!t.assign.has_value());
  const State& map = m->states[1];
  CHECK(map.jsonata_items->AsString() == "{% $states.input.list %}");
  CHECK(map.jsonata_item_selector.has_value());
  CHECK(map.max_concurrency.jsonata.has_value());
  CHECK(map.item_processor->query_language == QueryLanguage::kJsonata);
  CHECK(map.item_processor->states[0].query_language == QueryLanguage::kJsonata);
  CHECK(m->states[2].jsonata_seconds.has_value());
  CHECK(m->states[3].jsonata_error.has_value());
  CHECK(m->states[3].cause == "plain");
}

TEST_CASE("Credentials and distributed Map fields are kept as given") {
  auto m = MustParse(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Credentials":{"RoleArn":"arn:aws:iam::1:role/r"},
         "Next":"M"},
    "M":{"Type":"Map","ItemReader":{"Resource":"arn:aws:states:::s3:listObjectsV2","Parameters":{"Bucket":"b"}},
         "ItemBatcher":{"MaxItemsPerBatch":10},"ResultWriter":{"Resource":"arn:aws:states:::s3:putObject"},
         "ToleratedFailureCount":3,
         "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"EXPRESS"},
                          "StartAt":"I","States":{"I":{"Type":"Succeed"}}},"End":true}}})");
  CHECK(m->states[0].credentials.has_value());
  const State& map = m->states[1];
  CHECK(map.item_reader.has_value());
  CHECK(map.item_batcher.has_value());
  CHECK(map.result_writer.has_value());
  CHECK(map.tolerated_failure_count.value == 3);
}

TEST_CASE("ParseDefinition from a Value gives the same model as from text") {
  Value v;
  JsonError e;
  REQUIRE(ParseJson(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})", &v, &e));
  Diagnostics diagnostics;
  auto m = ParseDefinition(v, &diagnostics);
  REQUIRE(m != nullptr);
  CHECK(diagnostics.empty());
  CHECK(m->states[0].name == "A");
}
