#include <doctest/doctest.h>

#include <string>

#include "stepflow/asl/model.h"

using namespace stepflow::asl;

namespace {

std::string Describe(const Diagnostics& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) out += "\n  " + d.code + " at '" + d.location + "': " + d.message;
  return out.empty() ? " (no diagnostics)" : out;
}

// Asserts the definition is valid.
void Accepted(const std::string& text) {
  Diagnostics diagnostics;
  auto machine = ParseDefinition(text, &diagnostics);
  INFO(text, Describe(diagnostics));
  CHECK(machine != nullptr);
  CHECK(!HasError(diagnostics));
}

// Asserts the definition is rejected with an error of `code` at `location`.
void Rejected(const std::string& text, const std::string& code, const std::string& location) {
  Diagnostics diagnostics;
  auto machine = ParseDefinition(text, &diagnostics);
  INFO(text, "\nexpected ", code, " at '", location, "'; got", Describe(diagnostics));
  CHECK(machine == nullptr);
  bool found = false;
  for (const Diagnostic& d : diagnostics) {
    if (d.code == code && d.location == location && d.severity == Diagnostic::Severity::kError) {
      found = true;
      CHECK(!d.message.empty());
    }
  }
  CHECK(found);
}

// A machine of one state "A" (plus "Done", a Succeed, for states that need a Next).
std::string One(const std::string& state) {
  return R"({"StartAt":"A","States":{"A":)" + state + R"(,"Done":{"Type":"Succeed"}}})";
}
std::string OneEnd(const std::string& state) { return R"({"StartAt":"A","States":{"A":)" + state + "}}"; }
std::string Jsonata(const std::string& state) {
  return R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":)" + state + R"(,"Done":{"Type":"Succeed"}}})";
}

}  // namespace

// --- Top level -------------------------------------------------------------------

TEST_CASE("A minimal definition is accepted") { Accepted(OneEnd(R"({"Type":"Pass","End":true})")); }

TEST_CASE("Missing StartAt is rejected at the root") {
  Rejected(R"({"States":{"A":{"Type":"Succeed"}}})", "SCHEMA_VALIDATION_FAILED", "");
}

TEST_CASE("StartAt naming no state is MISSING_TRANSITION_TARGET at /StartAt") {
  Rejected(R"({"StartAt":"Nope","States":{"A":{"Type":"Succeed"}}})", "MISSING_TRANSITION_TARGET", "/StartAt");
}

TEST_CASE("Missing States is rejected, States not an object is rejected, empty States is rejected") {
  Rejected(R"({"StartAt":"A"})", "SCHEMA_VALIDATION_FAILED", "");
  Rejected(R"({"StartAt":"A","States":[1]})", "SCHEMA_VALIDATION_FAILED", "/States");
  Rejected(R"({"StartAt":"A","States":{}})", "SCHEMA_VALIDATION_FAILED", "/States");
}

TEST_CASE("A non-object top level is rejected") {
  Rejected("[1,2]", "SCHEMA_VALIDATION_FAILED", "");
  Rejected("\"text\"", "SCHEMA_VALIDATION_FAILED", "");
  Rejected("null", "SCHEMA_VALIDATION_FAILED", "");
}

TEST_CASE("Unknown top-level fields are rejected; Comment, Version, TimeoutSeconds, QueryLanguage accepted") {
  Accepted(R"({"Comment":"x","Version":"1.0","TimeoutSeconds":10,"QueryLanguage":"JSONPath","StartAt":"A",
              "States":{"A":{"Type":"Succeed"}}})");
  Rejected(R"({"StartAt":"A","Foo":1,"States":{"A":{"Type":"Succeed"}}})", "SCHEMA_VALIDATION_FAILED", "/Foo");
}

TEST_CASE("Top-level TimeoutSeconds must be a positive integer") {
  Rejected(R"({"TimeoutSeconds":0,"StartAt":"A","States":{"A":{"Type":"Succeed"}}})", "SCHEMA_VALIDATION_FAILED",
           "/TimeoutSeconds");
  Rejected(R"({"TimeoutSeconds":"10","StartAt":"A","States":{"A":{"Type":"Succeed"}}})",
           "SCHEMA_VALIDATION_FAILED", "/TimeoutSeconds");
}

TEST_CASE("QueryLanguage must be JSONPath or JSONata") {
  Accepted(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Succeed"}}})");
  Rejected(R"({"QueryLanguage":"XPath","StartAt":"A","States":{"A":{"Type":"Succeed"}}})",
           "SCHEMA_VALIDATION_FAILED", "/QueryLanguage");
  Rejected(OneEnd(R"({"Type":"Succeed","QueryLanguage":"jsonata"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/QueryLanguage");
}

TEST_CASE("Comment is accepted on every state type, rules, retriers and catchers") {
  Accepted(R"({"Comment":"top","StartAt":"A","States":{
    "A":{"Type":"Task","Comment":"t","Resource":"arn:aws:lambda:us-east-1:1:function:f",
         "Retry":[{"Comment":"r","ErrorEquals":["E"]}],"Catch":[{"Comment":"c","ErrorEquals":["E"],"Next":"F"}],
         "Next":"C"},
    "C":{"Type":"Choice","Comment":"c","Choices":[{"Comment":"r","Variable":"$.a","IsNull":true,"Next":"S"}],
         "Default":"F"},
    "S":{"Type":"Succeed","Comment":"s"},
    "F":{"Type":"Fail","Comment":"f"}}})");
}

// --- JSON syntax and hostile input ---------------------------------------------------

TEST_CASE("JSON syntax errors are INVALID_JSON_DESCRIPTION with line and column") {
  Diagnostics diagnostics;
  CHECK(ParseDefinition("{\n  \"StartAt\": \"A\",\n  \"States\": {,}\n}", &diagnostics) == nullptr);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "INVALID_JSON_DESCRIPTION");
  CHECK(diagnostics[0].message.find("line 3") != std::string::npos);
  CHECK(diagnostics[0].message.find("column 14") != std::string::npos);
}

TEST_CASE("An empty definition is MISSING_DESCRIPTION") {
  Diagnostics diagnostics;
  CHECK(ParseDefinition("  \n", &diagnostics) == nullptr);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "MISSING_DESCRIPTION");
}

// --- States: names, types, fields --------------------------------------------------

TEST_CASE("A state must be an object with a known Type") {
  Rejected(OneEnd("3"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(OneEnd(R"({"End":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(OneEnd(R"({"Type":"Sleep","End":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Type");
}

TEST_CASE("State names up to 80 characters are accepted, longer are INVALID_STATE_NAME") {
  std::string ok(80, 'a');
  std::string bad(81, 'a');
  Accepted(R"({"StartAt":")" + ok + R"(","States":{")" + ok + R"(":{"Type":"Succeed"}}})");
  Rejected(R"({"StartAt":")" + bad + R"(","States":{")" + bad + R"(":{"Type":"Succeed"}}})", "INVALID_STATE_NAME",
           "/States/" + bad);
}

TEST_CASE("State names count characters, not bytes") {
  std::string name;
  for (int i = 0; i < 80; ++i) name += "\xC3\xA9";  // é, two bytes each
  Accepted(R"({"StartAt":")" + name + R"(","States":{")" + name + R"(":{"Type":"Succeed"}}})");
}

TEST_CASE("A state name listed twice in States is DUPLICATE_STATE_NAME") {
  Rejected(R"({"StartAt":"A","States":{"A":{"Type":"Succeed"},"A":{"Type":"Succeed"}}})", "DUPLICATE_STATE_NAME",
           "/States/A");
}

TEST_CASE("A state name reused in a Parallel branch is DUPLICATE_STATE_NAME") {
  Rejected(R"({"StartAt":"A","States":{"A":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Succeed"}}}]}}})",
           "DUPLICATE_STATE_NAME", "/States/A/Branches/0/States/A");
}

TEST_CASE("State names in JSON pointers are escaped") {
  Rejected(R"({"StartAt":"a/b~c","States":{"a/b~c":{"Type":"Pass","Next":"x"}}})", "MISSING_TRANSITION_TARGET",
           "/States/a~1b~0c/Next");
}

TEST_CASE("Unknown state fields are rejected") {
  Rejected(One(R"({"Type":"Pass","Nxt":"Done","End":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Nxt");
}

TEST_CASE("A field listed twice in a state is rejected") {
  Rejected(OneEnd(R"({"Type":"Pass","End":true,"End":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A/End");
}

TEST_CASE("Fields not allowed on the state's type are rejected") {
  Rejected(One(R"({"Type":"Choice","ResultPath":"$.x","Choices":[{"Variable":"$.a","IsNull":true,"Next":"Done"}]})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath");
  Rejected(OneEnd(R"({"Type":"Succeed","ResultPath":"$.x"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/ResultPath");
  Rejected(OneEnd(R"({"Type":"Succeed","Parameters":{}})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters");
  Rejected(OneEnd(R"({"Type":"Fail","InputPath":"$"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath");
  Rejected(OneEnd(R"({"Type":"Fail","OutputPath":"$"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/OutputPath");
  Rejected(One(R"({"Type":"Wait","Seconds":1,"ResultPath":"$.x","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/ResultPath");
  Rejected(One(R"({"Type":"Pass","Resource":"arn:x","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Resource");
  Rejected(One(R"({"Type":"Pass","Retry":[],"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Retry");
  Rejected(OneEnd(R"({"Type":"Succeed","Next":"A"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Next");
  Rejected(OneEnd(R"({"Type":"Fail","End":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A/End");
}

TEST_CASE("InputPath and OutputPath are accepted on Pass, Task, Choice, Wait, Succeed, Parallel, Map") {
  Accepted(R"({"StartAt":"P","States":{
    "P":{"Type":"Pass","InputPath":"$.a","OutputPath":"$.b","Next":"T"},
    "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","InputPath":"$","OutputPath":null,"Next":"C"},
    "C":{"Type":"Choice","InputPath":"$","OutputPath":"$","Choices":[{"Variable":"$.a","IsNull":true,"Next":"W"}],
         "Default":"W"},
    "W":{"Type":"Wait","Seconds":0,"InputPath":"$","OutputPath":"$","Next":"Pa"},
    "Pa":{"Type":"Parallel","InputPath":"$","OutputPath":"$","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}}}],
          "Next":"M"},
    "M":{"Type":"Map","InputPath":"$","OutputPath":"$","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},
         "Next":"S"},
    "S":{"Type":"Succeed","InputPath":"$","OutputPath":"$"}}})");
}

// --- Transitions ---------------------------------------------------------------

TEST_CASE("Next naming no state is MISSING_TRANSITION_TARGET at its location") {
  Rejected(One(R"({"Type":"Pass","Next":"Nowhere"})"), "MISSING_TRANSITION_TARGET", "/States/A/Next");
}

TEST_CASE("Next may only name a state of the same machine, not one in a branch") {
  Rejected(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","Next":"B","Branches":[
      {"StartAt":"B","States":{"B":{"Type":"Succeed"}}}]}}})",
           "MISSING_TRANSITION_TARGET", "/States/P/Next");
}

TEST_CASE("A non-terminal state without Next or End is rejected") {
  Rejected(OneEnd(R"({"Type":"Pass"})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(OneEnd(R"({"Type":"Pass","End":false})"), "SCHEMA_VALIDATION_FAILED", "/States/A/End");
}

TEST_CASE("Next together with End is rejected") {
  Rejected(One(R"({"Type":"Pass","Next":"Done","End":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A/End");
}

TEST_CASE("Next and End must have the right types") {
  Rejected(OneEnd(R"({"Type":"Pass","End":"true"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/End");
  Rejected(OneEnd(R"({"Type":"Pass","Next":1})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Next");
}

TEST_CASE("Unreachable states are rejected at their location") {
  Rejected(R"({"StartAt":"A","States":{"A":{"Type":"Succeed"},"Lost":{"Type":"Succeed"}}})",
           "SCHEMA_VALIDATION_FAILED", "/States/Lost");
}

TEST_CASE("States reached only through Catch, Choice rules or Default are reachable") {
  Accepted(R"({"StartAt":"T","States":{
    "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Catch":[{"ErrorEquals":["States.ALL"],"Next":"C"}],
         "End":true},
    "C":{"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"X"}],"Default":"Y"},
    "X":{"Type":"Succeed"},
    "Y":{"Type":"Fail"}}})");
}

TEST_CASE("A machine without any terminal state is MISSING_END_STATE") {
  Rejected(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"A"}}})",
           "MISSING_END_STATE", "/States");
}

TEST_CASE("A loop with an exit is accepted") {
  Accepted(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"C"},
    "C":{"Type":"Choice","Choices":[{"Variable":"$.done","BooleanEquals":true,"Next":"E"}],"Default":"A"},
    "E":{"Type":"Succeed"}}})");
}

// --- Paths ---------------------------------------------------------------------

TEST_CASE("Invalid JSONPath syntax is INVALID_JSON_PATH") {
  Rejected(One(R"({"Type":"Pass","InputPath":"$.a[","Next":"Done"})"), "INVALID_JSON_PATH", "/States/A/InputPath");
  Rejected(One(R"({"Type":"Pass","OutputPath":"a.b","Next":"Done"})"), "INVALID_JSON_PATH", "/States/A/OutputPath");
}

TEST_CASE("Paths must be strings") {
  Rejected(One(R"({"Type":"Pass","InputPath":3,"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/InputPath");
}

TEST_CASE("ResultPath must be a reference path into the input") {
  Accepted(One(R"({"Type":"Pass","ResultPath":"$.a.b[0]","Next":"Done"})"));
  Accepted(One(R"({"Type":"Pass","ResultPath":"$","Next":"Done"})"));
  Rejected(One(R"({"Type":"Pass","ResultPath":"$.a[*]","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/ResultPath");
  Rejected(One(R"({"Type":"Pass","ResultPath":"$..a","Next":"Done"})"), "INVALID_JSON_PATH", "/States/A/ResultPath");
  Rejected(One(R"({"Type":"Pass","ResultPath":"$$.Execution.Id","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/ResultPath");
}

TEST_CASE("InputPath may be indefinite or a context path") {
  Accepted(One(R"({"Type":"Pass","InputPath":"$.a[*].b","Next":"Done"})"));
  Accepted(One(R"({"Type":"Pass","InputPath":"$$.Execution.Input","Next":"Done"})"));
}

TEST_CASE("The ...Path fields require reference paths") {
  const char* task = R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f",)";
  Accepted(One(std::string(task) + R"("TimeoutSecondsPath":"$.t","HeartbeatSecondsPath":"$.h","Next":"Done"})"));
  Rejected(One(std::string(task) + R"("TimeoutSecondsPath":"$.t[*]","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/TimeoutSecondsPath");
  Rejected(One(std::string(task) + R"("HeartbeatSecondsPath":"$..h","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/HeartbeatSecondsPath");
  Rejected(One(R"({"Type":"Wait","SecondsPath":"$.s[1:2]","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/SecondsPath");
  Rejected(One(R"({"Type":"Wait","TimestampPath":"$.*","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/TimestampPath");
  const char* map = R"({"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},)";
  Accepted(One(std::string(map) + R"("ItemsPath":"$.items","MaxConcurrencyPath":"$.m","Next":"Done"})"));
  Rejected(One(std::string(map) + R"("ItemsPath":"$.items[*]","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/ItemsPath");
  Rejected(One(std::string(map) + R"("MaxConcurrencyPath":"$..m","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/MaxConcurrencyPath");
  Rejected(One(std::string(map) + R"("ToleratedFailureCountPath":"$.a[*]","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/ToleratedFailureCountPath");
  Rejected(One(std::string(map) + R"("ToleratedFailurePercentagePath":"$.a[*]","Next":"Done"})"),
           "INVALID_JSON_PATH", "/States/A/ToleratedFailurePercentagePath");
  Rejected(OneEnd(R"({"Type":"Fail","ErrorPath":"$.e[*]"})"), "INVALID_JSON_PATH", "/States/A/ErrorPath");
  Rejected(OneEnd(R"({"Type":"Fail","CausePath":"$..c"})"), "INVALID_JSON_PATH", "/States/A/CausePath");
}

TEST_CASE("A literal and its ...Path variant are mutually exclusive") {
  Rejected(One(R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","TimeoutSeconds":5,
                   "TimeoutSecondsPath":"$.t","Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSecondsPath");
  Rejected(OneEnd(R"({"Type":"Fail","Error":"E","ErrorPath":"$.e"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/ErrorPath");
}

TEST_CASE("ErrorPath and CausePath accept intrinsic calls; malformed calls are INVALID_INTRINSIC_FUNCTION") {
  Accepted(OneEnd(R"J({"Type":"Fail","ErrorPath":"States.Format('E{}', $.n)","CausePath":"$$.Execution.Id"})J"));
  Rejected(OneEnd(R"({"Type":"Fail","CausePath":"States.Format('x'"})"), "INVALID_INTRINSIC_FUNCTION",
           "/States/A/CausePath");
  Rejected(OneEnd(R"J({"Type":"Fail","CausePath":"States.NoSuchFunction($.a)"})J"), "INVALID_INTRINSIC_FUNCTION",
           "/States/A/CausePath");
}

// --- Payload templates -------------------------------------------------------------

TEST_CASE("Parameters with bad paths or intrinsic calls are rejected at the field") {
  Accepted(One(R"J({"Type":"Pass","Parameters":{"a.$":"$.x","b.$":"States.Array($.y, 1)","c":"$.lit"},"Next":"Done"})J"));
  Rejected(One(R"({"Type":"Pass","Parameters":{"a.$":"$.x["},"Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/Parameters/a.$");
  Rejected(One(R"({"Type":"Pass","Parameters":{"n":{"b.$":"States.Array("}},"Next":"Done"})"),
           "INVALID_INTRINSIC_FUNCTION", "/States/A/Parameters/n/b.$");
}

TEST_CASE("Parameters, ResultSelector, ItemSelector and Assign must be objects") {
  Rejected(One(R"({"Type":"Pass","Parameters":[1],"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Parameters");
  Rejected(One(R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","ResultSelector":"x","Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/ResultSelector");
  Rejected(One(R"({"Type":"Pass","Assign":1,"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Assign");
  Rejected(One(R"({"Type":"Map","ItemSelector":"x","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},
                   "Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/ItemSelector");
}

TEST_CASE("Assign in JSONPath states compiles its paths") {
  Accepted(One(R"({"Type":"Pass","Assign":{"x.$":"$.a","y":2},"Next":"Done"})"));
  Rejected(One(R"({"Type":"Pass","Assign":{"x.$":"$.a["},"Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/Assign/x.$");
}

// --- Task ----------------------------------------------------------------------

TEST_CASE("Task needs a Resource that is an ARN") {
  Rejected(One(R"({"Type":"Task","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(One(R"({"Type":"Task","Resource":"my-function","Next":"Done"})"), "INVALID_RESOURCE",
           "/States/A/Resource");
  Rejected(One(R"({"Type":"Task","Resource":7,"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Resource");
}

TEST_CASE("TimeoutSeconds and HeartbeatSeconds must be positive integers") {
  const std::string task = R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Next":"Done",)";
  Accepted(One(task + R"("TimeoutSeconds":10,"HeartbeatSeconds":5})"));
  Rejected(One(task + R"("TimeoutSeconds":0})"), "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds");
  Rejected(One(task + R"("TimeoutSeconds":-5})"), "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds");
  Rejected(One(task + R"("TimeoutSeconds":1.5})"), "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds");
  Rejected(One(task + R"("HeartbeatSeconds":0})"), "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds");
  Rejected(One(task + R"("HeartbeatSeconds":"5"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/HeartbeatSeconds");
}

TEST_CASE("HeartbeatSeconds must be smaller than TimeoutSeconds") {
  const std::string task = R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Next":"Done",)";
  Rejected(One(task + R"("TimeoutSeconds":10,"HeartbeatSeconds":10})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/HeartbeatSeconds");
  Rejected(One(task + R"("TimeoutSeconds":10,"HeartbeatSeconds":20})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/HeartbeatSeconds");
}

TEST_CASE("Credentials must be an object") {
  const std::string task = R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Next":"Done",)";
  Accepted(One(task + R"("Credentials":{"RoleArn":"arn:aws:iam::1:role/r"}})"));
  Rejected(One(task + R"("Credentials":"role"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Credentials");
}

// --- Retry and Catch --------------------------------------------------------------

namespace {
std::string TaskWith(const std::string& fields) {
  return One(R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Next":"Done",)" + fields + "}");
}
}  // namespace

TEST_CASE("Retry with every field in range is accepted") {
  Accepted(TaskWith(R"("Retry":[{"ErrorEquals":["A","B"],"IntervalSeconds":1,"MaxAttempts":0,"BackoffRate":1,
                                 "MaxDelaySeconds":5,"JitterStrategy":"NONE"},
                                {"ErrorEquals":["States.ALL"]}])"));
}

TEST_CASE("States.ALL must be alone in ErrorEquals") {
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["States.ALL","E"]}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/ErrorEquals/0");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["E","States.ALL"],"Next":"Done"}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Catch/0/ErrorEquals/1");
}

TEST_CASE("A retrier or catcher with States.ALL must be the last") {
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["States.ALL"]},{"ErrorEquals":["E"]}])"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals/0");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done"},{"ErrorEquals":["E"],"Next":"Done"}])"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0/ErrorEquals/0");
}

TEST_CASE("ErrorEquals is required and non-empty") {
  Rejected(TaskWith(R"("Retry":[{"MaxAttempts":1}])"), "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0");
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":[]}])"), "SCHEMA_VALIDATION_FAILED", "/States/A/Retry/0/ErrorEquals");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":[1],"Next":"Done"}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Catch/0/ErrorEquals/0");
}

TEST_CASE("Retrier numbers are range-checked") {
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"BackoffRate":0.5}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/BackoffRate");
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"MaxAttempts":-1}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/MaxAttempts");
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"IntervalSeconds":0}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/IntervalSeconds");
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"IntervalSeconds":1.5}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/IntervalSeconds");
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"MaxDelaySeconds":0}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/MaxDelaySeconds");
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"JitterStrategy":"HALF"}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/JitterStrategy");
}

TEST_CASE("Unknown retrier and catcher fields are rejected") {
  Rejected(TaskWith(R"("Retry":[{"ErrorEquals":["E"],"Backoff":2}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Retry/0/Backoff");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["E"],"Next":"Done","Then":"x"}])"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Catch/0/Then");
}

TEST_CASE("Catch needs Next naming a state") {
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["E"]}])"), "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["E"],"Next":"Gone"}])"), "MISSING_TRANSITION_TARGET",
           "/States/A/Catch/0/Next");
}

TEST_CASE("Catch ResultPath must be a reference path") {
  Accepted(TaskWith(R"("Catch":[{"ErrorEquals":["E"],"Next":"Done","ResultPath":"$.error"}])"));
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["E"],"Next":"Done","ResultPath":"$.e[*]"}])"), "INVALID_JSON_PATH",
           "/States/A/Catch/0/ResultPath");
}

TEST_CASE("Retry and Catch must be arrays of objects") {
  Rejected(TaskWith(R"("Retry":{"ErrorEquals":["E"]})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Retry");
  Rejected(TaskWith(R"("Catch":[1])"), "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0");
}

// --- Wait ----------------------------------------------------------------------

TEST_CASE("Wait needs exactly one of Seconds, Timestamp, SecondsPath, TimestampPath") {
  Accepted(One(R"({"Type":"Wait","Seconds":5,"Next":"Done"})"));
  Accepted(One(R"({"Type":"Wait","Seconds":0,"Next":"Done"})"));
  Rejected(One(R"({"Type":"Wait","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(One(R"({"Type":"Wait","Seconds":5,"SecondsPath":"$.s","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A");
}

TEST_CASE("Wait Seconds must be a non-negative integer") {
  Rejected(One(R"({"Type":"Wait","Seconds":-1,"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Seconds");
  Rejected(One(R"({"Type":"Wait","Seconds":"5","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Seconds");
}

TEST_CASE("Wait Timestamp must be RFC 3339") {
  Accepted(One(R"({"Type":"Wait","Timestamp":"2016-03-14T01:59:00Z","Next":"Done"})"));
  Accepted(One(R"({"Type":"Wait","Timestamp":"2016-03-14T01:59:00.123+02:00","Next":"Done"})"));
  Rejected(One(R"({"Type":"Wait","Timestamp":"2016-03-14 01:59:00","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Timestamp");
  Rejected(One(R"({"Type":"Wait","Timestamp":"2016-02-30T01:59:00Z","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Timestamp");
}

// --- Fail ----------------------------------------------------------------------

TEST_CASE("Fail Error and Cause must be strings") {
  Accepted(OneEnd(R"({"Type":"Fail","Error":"E","Cause":"C"})"));
  Rejected(OneEnd(R"({"Type":"Fail","Error":1})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Error");
  Rejected(OneEnd(R"({"Type":"Fail","Cause":{}})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Cause");
}

// --- Choice --------------------------------------------------------------------

namespace {
std::string ChoiceWith(const std::string& rules, const std::string& extra = R"(,"Default":"Done")") {
  return One(R"({"Type":"Choice","Choices":[)" + rules + "]" + extra + "}");
}
}  // namespace

TEST_CASE("Choice needs a non-empty Choices array") {
  Rejected(One(R"({"Type":"Choice","Default":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(ChoiceWith(""), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices");
}

TEST_CASE("Choice without Default is accepted") {
  Accepted(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Next":"Done"})", ""));
}

TEST_CASE("Choice Default naming no state is MISSING_TRANSITION_TARGET") {
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Next":"Done"})", R"(,"Default":"Gone")"),
           "MISSING_TRANSITION_TARGET", "/States/A/Default");
}

TEST_CASE("Choice rule Next naming no state is MISSING_TRANSITION_TARGET") {
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Next":"Gone"})"), "MISSING_TRANSITION_TARGET",
           "/States/A/Choices/0/Next");
}

TEST_CASE("Every comparison operator and its Path variant is accepted") {
  Accepted(ChoiceWith(R"(
    {"Variable":"$.a","StringEquals":"x","Next":"Done"},{"Variable":"$.a","StringEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","StringLessThan":"x","Next":"Done"},{"Variable":"$.a","StringLessThanPath":"$.b","Next":"Done"},
    {"Variable":"$.a","StringGreaterThan":"x","Next":"Done"},{"Variable":"$.a","StringGreaterThanPath":"$.b","Next":"Done"},
    {"Variable":"$.a","StringLessThanEquals":"x","Next":"Done"},{"Variable":"$.a","StringLessThanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","StringGreaterThanEquals":"x","Next":"Done"},{"Variable":"$.a","StringGreaterThanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","StringMatches":"x*","Next":"Done"},
    {"Variable":"$.a","NumericEquals":1,"Next":"Done"},{"Variable":"$.a","NumericEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","NumericLessThan":1.5,"Next":"Done"},{"Variable":"$.a","NumericLessThanPath":"$.b","Next":"Done"},
    {"Variable":"$.a","NumericGreaterThan":1,"Next":"Done"},{"Variable":"$.a","NumericGreaterThanPath":"$.b","Next":"Done"},
    {"Variable":"$.a","NumericLessThanEquals":1,"Next":"Done"},{"Variable":"$.a","NumericLessThanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","NumericGreaterThanEquals":1,"Next":"Done"},{"Variable":"$.a","NumericGreaterThanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","BooleanEquals":true,"Next":"Done"},{"Variable":"$.a","BooleanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","TimestampEquals":"2020-01-01T00:00:00Z","Next":"Done"},{"Variable":"$.a","TimestampEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","TimestampLessThan":"2020-01-01T00:00:00Z","Next":"Done"},{"Variable":"$.a","TimestampLessThanPath":"$.b","Next":"Done"},
    {"Variable":"$.a","TimestampGreaterThan":"2020-01-01T00:00:00Z","Next":"Done"},{"Variable":"$.a","TimestampGreaterThanPath":"$.b","Next":"Done"},
    {"Variable":"$.a","TimestampLessThanEquals":"2020-01-01T00:00:00Z","Next":"Done"},{"Variable":"$.a","TimestampLessThanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","TimestampGreaterThanEquals":"2020-01-01T00:00:00Z","Next":"Done"},{"Variable":"$.a","TimestampGreaterThanEqualsPath":"$.b","Next":"Done"},
    {"Variable":"$.a","IsNull":true,"Next":"Done"},{"Variable":"$.a","IsPresent":false,"Next":"Done"},
    {"Variable":"$.a","IsNumeric":true,"Next":"Done"},{"Variable":"$.a","IsString":true,"Next":"Done"},
    {"Variable":"$.a","IsBoolean":true,"Next":"Done"},{"Variable":"$.a","IsTimestamp":true,"Next":"Done"},
    {"Variable":"$$.Execution.Input.a","IsNull":true,"Next":"Done"},{"Variable":"$var","IsNull":true,"Next":"Done"})"));
}

TEST_CASE("A Choice rule needs exactly one comparison operator") {
  Rejected(ChoiceWith(R"({"Variable":"$.a","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0");
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"IsString":true,"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0");
  Rejected(ChoiceWith(R"({"Variable":"$.a","NumericEquals":1,"NumericEqualsPath":"$.b","Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0");
}

TEST_CASE("A comparison needs Variable; And/Or/Not must not have one") {
  Rejected(ChoiceWith(R"({"StringEquals":"x","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0");
  Rejected(ChoiceWith(R"({"Variable":"$.a","Not":{"Variable":"$.a","IsNull":true},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Variable");
}

TEST_CASE("Variable and ...Path operands must be reference paths") {
  Rejected(ChoiceWith(R"({"Variable":"$.a[*]","IsNull":true,"Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/Choices/0/Variable");
  Rejected(ChoiceWith(R"({"Variable":"$.a[","IsNull":true,"Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/Choices/0/Variable");
  Rejected(ChoiceWith(R"({"Variable":"$.a","StringEqualsPath":"$..b","Next":"Done"})"), "INVALID_JSON_PATH",
           "/States/A/Choices/0/StringEqualsPath");
}

TEST_CASE("Top-level Choice rules need Next") {
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0");
}

TEST_CASE("Next is not allowed inside And, Or, Not") {
  Accepted(ChoiceWith(R"({"Or":[{"Variable":"$.a","IsNull":true},{"Variable":"$.b","IsNull":true}],"Next":"Done"})"));
  Rejected(ChoiceWith(R"({"And":[{"Variable":"$.a","IsNull":true,"Next":"Done"}],"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/And/0/Next");
  Rejected(ChoiceWith(R"({"Not":{"Variable":"$.a","IsNull":true,"Next":"Done"},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Not/Next");
}

TEST_CASE("And and Or need a non-empty array; Not needs one rule object") {
  Rejected(ChoiceWith(R"({"And":[],"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/And");
  Rejected(ChoiceWith(R"({"Or":{},"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Or");
  Rejected(ChoiceWith(R"({"Not":[],"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Not");
}

TEST_CASE("Nested rules are validated too") {
  Rejected(ChoiceWith(R"({"And":[{"Variable":"$.a","Nope":1}],"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0/And/0/Nope");
}

TEST_CASE("Comparison operands must have the operator's type") {
  Rejected(ChoiceWith(R"({"Variable":"$.a","StringEquals":1,"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0/StringEquals");
  Rejected(ChoiceWith(R"({"Variable":"$.a","NumericEquals":"1","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0/NumericEquals");
  Rejected(ChoiceWith(R"({"Variable":"$.a","BooleanEquals":"true","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0/BooleanEquals");
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsPresent":1,"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0/IsPresent");
}

TEST_CASE("Timestamp comparison literals must be RFC 3339") {
  Rejected(ChoiceWith(R"({"Variable":"$.a","TimestampEquals":"yesterday","Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/TimestampEquals");
  Rejected(ChoiceWith(R"({"Variable":"$.a","TimestampLessThan":"2020-01-01T00:00:00","Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/TimestampLessThan");
}

TEST_CASE("Choice rule Assign compiles its paths") {
  Accepted(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Assign":{"x.$":"$.a"},"Next":"Done"})"));
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Assign":{"x.$":"$["},"Next":"Done"})"),
           "INVALID_JSON_PATH", "/States/A/Choices/0/Assign/x.$");
}

// --- Parallel and Map -------------------------------------------------------------

TEST_CASE("Parallel needs a non-empty Branches array of valid machines") {
  Rejected(One(R"({"Type":"Parallel","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(One(R"({"Type":"Parallel","Branches":[],"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Branches");
  Rejected(One(R"({"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Pass","Next":"Nope"}}}],
                   "Next":"Done"})"),
           "MISSING_TRANSITION_TARGET", "/States/A/Branches/0/States/B/Next");
  Rejected(One(R"({"Type":"Parallel","Branches":[{"StartAt":"B","States":{"B":{"Type":"Succeed"}},"Extra":1}],
                   "Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Branches/0/Extra");
}

TEST_CASE("Map needs ItemProcessor or Iterator, not both") {
  Rejected(One(R"({"Type":"Map","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A");
  Rejected(One(R"({"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},
                   "Iterator":{"StartAt":"J","States":{"J":{"Type":"Succeed"}}},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Iterator");
}

TEST_CASE("Map ProcessorConfig Mode and ExecutionType are checked") {
  Rejected(One(R"({"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"FAST"},"StartAt":"I",
                   "States":{"I":{"Type":"Succeed"}}},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/ItemProcessor/ProcessorConfig/Mode");
  Rejected(One(R"({"Type":"Map","ItemProcessor":{"ProcessorConfig":{"ExecutionType":"FAST"},"StartAt":"I",
                   "States":{"I":{"Type":"Succeed"}}},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/ItemProcessor/ProcessorConfig/ExecutionType");
}

TEST_CASE("Map numbers are range-checked") {
  const std::string map = R"({"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"Next":"Done",)";
  Accepted(One(map + R"("MaxConcurrency":0,"ToleratedFailureCount":0,"ToleratedFailurePercentage":12.5})"));
  Rejected(One(map + R"("MaxConcurrency":-1})"), "SCHEMA_VALIDATION_FAILED", "/States/A/MaxConcurrency");
  Rejected(One(map + R"("ToleratedFailurePercentage":101})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/ToleratedFailurePercentage");
  Rejected(One(map + R"("ToleratedFailureCount":-2})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/ToleratedFailureCount");
}

TEST_CASE("Map ItemSelector and Parameters are mutually exclusive") {
  Rejected(One(R"({"Type":"Map","ItemSelector":{},"Parameters":{},
                   "ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Parameters");
}

TEST_CASE("Nested machines are fully validated") {
  Rejected(One(R"({"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Pass"}}},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/ItemProcessor/States/I");
  Rejected(One(R"({"Type":"Map","ItemProcessor":{"StartAt":"X","States":{"I":{"Type":"Succeed"}}},"Next":"Done"})"),
           "MISSING_TRANSITION_TARGET", "/States/A/ItemProcessor/StartAt");
}

// --- Query languages -----------------------------------------------------------------

TEST_CASE("JSONPath-only fields are rejected in JSONata states") {
  Rejected(Jsonata(R"({"Type":"Pass","Parameters":{},"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Parameters");
  Rejected(Jsonata(R"({"Type":"Pass","InputPath":"$","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/InputPath");
  Rejected(Jsonata(R"({"Type":"Pass","ResultPath":"$.x","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/ResultPath");
  Rejected(Jsonata(R"({"Type":"Wait","SecondsPath":"$.s","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/SecondsPath");
  Rejected(Jsonata(R"({"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Next":"Done"}]})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Variable");
}

TEST_CASE("JSONata-only fields are rejected in JSONPath states") {
  Rejected(One(R"({"Type":"Pass","Output":{},"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Output");
  Rejected(One(R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Arguments":{},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Arguments");
  Rejected(ChoiceWith(R"({"Condition":"{% true %}","Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0/Condition");
  Rejected(One(R"({"Type":"Map","Items":[1],"ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},
                   "Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Items");
}

TEST_CASE("A JSONPath state inside a JSONata machine is accepted, and the reverse") {
  Accepted(Jsonata(R"({"Type":"Pass","QueryLanguage":"JSONPath","Parameters":{"a.$":"$.b"},"Next":"Done"})"));
  Accepted(One(R"({"Type":"Pass","QueryLanguage":"JSONata","Output":"{% $states.input %}","Next":"Done"})"));
}

TEST_CASE("JSONata Choice rules need a Condition expression") {
  Accepted(Jsonata(R"({"Type":"Choice","Choices":[{"Condition":"{% $states.input.a > 1 %}","Next":"Done"}]})"));
  Rejected(Jsonata(R"({"Type":"Choice","Choices":[{"Next":"Done"}]})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Choices/0");
  Rejected(Jsonata(R"({"Type":"Choice","Choices":[{"Condition":"$.a","Next":"Done"}]})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Condition");
}

TEST_CASE("JSONata numbers take an expression or a literal, nothing else") {
  const std::string task = R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Next":"Done",)";
  Accepted(Jsonata(task + R"("TimeoutSeconds":"{% $t %}","HeartbeatSeconds":3})"));
  Rejected(Jsonata(task + R"("TimeoutSeconds":"10"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/TimeoutSeconds");
  Accepted(Jsonata(R"({"Type":"Wait","Seconds":"{% 3 %}","Next":"Done"})"));
  Accepted(Jsonata(R"({"Type":"Wait","Timestamp":"{% $now() %}","Next":"Done"})"));
}

TEST_CASE("JSONata Map Items must be an array, an object or an expression") {
  const std::string map = R"({"Type":"Map","ItemProcessor":{"StartAt":"I","States":{"I":{"Type":"Succeed"}}},"Next":"Done",)";
  Accepted(Jsonata(map + R"("Items":[1,2]})"));
  Accepted(Jsonata(map + R"("Items":"{% [1,2] %}"})"));
  Accepted(Jsonata(map + R"("Items":{"a":"{% [1] %}"}})"));
  Rejected(Jsonata(map + R"("Items":"a,b"})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Items");
  Rejected(Jsonata(map + R"("Items":7})"), "SCHEMA_VALIDATION_FAILED", "/States/A/Items");
}

TEST_CASE("JSONata Catch takes Output, not ResultPath") {
  const std::string task = R"({"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","Next":"Done",)";
  Accepted(Jsonata(task + R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done","Output":"{% $states.errorOutput %}"}]})"));
  Rejected(Jsonata(task + R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done","ResultPath":"$.e"}]})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0/ResultPath");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["States.ALL"],"Next":"Done","Output":{}}])"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Catch/0/Output");
}

// --- Every problem at once ----------------------------------------------------------

TEST_CASE("Validation reports every problem at once") {
  Diagnostics diagnostics;
  auto machine = ParseDefinition(R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Next":"Gone","InputPath":"$["},
    "B":{"Type":"Wait","Next":"A"},
    "C":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:1:function:f","End":true,"Bogus":1}}})",
                                 &diagnostics);
  CHECK(machine == nullptr);
  auto has = [&](const std::string& code, const std::string& location) {
    for (const Diagnostic& d : diagnostics) {
      if (d.code == code && d.location == location) return true;
    }
    return false;
  };
  CHECK(has("MISSING_TRANSITION_TARGET", "/States/A/Next"));
  CHECK(has("INVALID_JSON_PATH", "/States/A/InputPath"));
  CHECK(has("SCHEMA_VALIDATION_FAILED", "/States/B"));
  CHECK(has("SCHEMA_VALIDATION_FAILED", "/States/C/Bogus"));
  CHECK(has("SCHEMA_VALIDATION_FAILED", "/States/C"));  // unreachable
}

// --- Warnings and variable names ------------------------------------------------------

namespace {

// Asserts the definition is valid but warned with `code` at `location`.
void Warned(const std::string& text, const std::string& code, const std::string& location) {
  Diagnostics diagnostics;
  auto machine = ParseDefinition(text, &diagnostics);
  INFO(text, "\nexpected warning ", code, " at '", location, "'; got", Describe(diagnostics));
  CHECK(machine != nullptr);
  CHECK(!HasError(diagnostics));
  bool found = false;
  for (const Diagnostic& d : diagnostics) {
    found = found || (d.code == code && d.location == location && d.severity == Diagnostic::Severity::kWarning);
  }
  CHECK(found);
}

bool NoWarnings(const std::string& text) {
  Diagnostics diagnostics;
  ParseDefinition(text, &diagnostics);
  INFO(Describe(diagnostics));
  return diagnostics.empty();
}

}  // namespace

TEST_CASE("A plain key whose value looks like a path is warned NO_DOLLAR, not rejected") {
  Warned(One(R"({"Type":"Pass","Parameters":{"a":{"b":"$.x"}},"Next":"Done"})"), "NO_DOLLAR",
         "/States/A/Parameters/a/b");
  Warned(One(R"J({"Type":"Pass","Parameters":{"a":"States.Array(1)"},"Next":"Done"})J"), "NO_DOLLAR",
         "/States/A/Parameters/a");
  CHECK(NoWarnings(One(R"({"Type":"Pass","Parameters":{"a.$":"$.x","b":"cost in $"},"Next":"Done"})")));
}

TEST_CASE("A string comparison with a path-like literal is warned NO_PATH") {
  Warned(One(R"({"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"$.b","Next":"Done"}]})"), "NO_PATH",
         "/States/A/Choices/0/StringEquals");
  CHECK(NoWarnings(One(R"({"Type":"Choice","Choices":[{"Variable":"$.a","StringEquals":"b","Next":"Done"}]})")));
}

TEST_CASE("A Pass Result with '.$' keys is warned PASS_RESULT_IS_STATIC") {
  Warned(One(R"({"Type":"Pass","Result":{"a.$":"$.x"},"Next":"Done"})"), "PASS_RESULT_IS_STATIC",
         "/States/A/Result/a.$");
  CHECK(NoWarnings(One(R"({"Type":"Pass","Result":{"a":"$.x"},"Next":"Done"})")));
}

TEST_CASE("Assign variable names must be identifiers") {
  Accepted(One(R"({"Type":"Pass","Assign":{"x":1,"_y2.$":"$.a","\u00e9t\u00e9":2},"Next":"Done"})"));
  Rejected(One(R"({"Type":"Pass","Assign":{"2x":1},"Next":"Done"})"), "INVALID_VARIABLE_NAME",
           "/States/A/Assign/2x");
  Rejected(One(R"({"Type":"Pass","Assign":{"a.b":1},"Next":"Done"})"), "INVALID_VARIABLE_NAME",
           "/States/A/Assign/a.b");
  Rejected(One(R"({"Type":"Pass","Assign":{"":1},"Next":"Done"})"), "INVALID_VARIABLE_NAME", "/States/A/Assign/");
  Rejected(Jsonata(R"({"Type":"Pass","Assign":{"my var":1},"Next":"Done"})"), "INVALID_VARIABLE_NAME",
           "/States/A/Assign/my var");
  Rejected(One(R"({"Type":"Choice","Choices":[{"Variable":"$.a","IsNull":true,"Assign":{"$x":1},"Next":"Done"}]})"),
           "INVALID_VARIABLE_NAME", "/States/A/Choices/0/Assign/$x");
}

TEST_CASE("Empty state names in StartAt, Next, Default and Catch Next are rejected") {
  Rejected(R"({"StartAt":"","States":{"A":{"Type":"Succeed"}}})", "MISSING_TRANSITION_TARGET", "/StartAt");
  Rejected(One(R"({"Type":"Pass","Next":""})"), "MISSING_TRANSITION_TARGET", "/States/A/Next");
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Next":"Done"})", R"(,"Default":"")"),
           "MISSING_TRANSITION_TARGET", "/States/A/Default");
  Rejected(ChoiceWith(R"({"Variable":"$.a","IsNull":true,"Next":""})"), "MISSING_TRANSITION_TARGET",
           "/States/A/Choices/0/Next");
  Rejected(TaskWith(R"("Catch":[{"ErrorEquals":["E"],"Next":""}])"), "MISSING_TRANSITION_TARGET",
           "/States/A/Catch/0/Next");
}

TEST_CASE("ErrorPath and CausePath accept only the intrinsics that return a string") {
  Accepted(OneEnd(R"J({"Type":"Fail","ErrorPath":"States.JsonToString($.e)","CausePath":"States.UUID()"})J"));
  Accepted(OneEnd(R"J({"Type":"Fail","CausePath":"States.ArrayGetItem($.a, 0)"})J"));
  Rejected(OneEnd(R"J({"Type":"Fail","CausePath":"States.Array($.a)"})J"), "INVALID_INTRINSIC_FUNCTION",
           "/States/A/CausePath");
  Rejected(OneEnd(R"J({"Type":"Fail","ErrorPath":"States.MathAdd(1, 2)"})J"), "INVALID_INTRINSIC_FUNCTION",
           "/States/A/ErrorPath");
}

TEST_CASE("JSONata expressions are syntax-checked at their location") {
  Accepted(Jsonata(R"({"Type":"Pass","Output":{"a":["{% $states.input.x + 1 %}"]},"Next":"Done"})"));
  Rejected(Jsonata(R"({"Type":"Pass","Output":{"a":["{% $states.input.x + %}"]},"Next":"Done"})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Output/a/0");
  Rejected(Jsonata(R"({"Type":"Choice","Choices":[{"Condition":"{% ( %}","Next":"Done"}]})"),
           "SCHEMA_VALIDATION_FAILED", "/States/A/Choices/0/Condition");
  Rejected(Jsonata(R"({"Type":"Pass","Assign":{"x":"{% %}"},"Next":"Done"})"), "SCHEMA_VALIDATION_FAILED",
           "/States/A/Assign/x");
  // Comments are prose, and JSONPath states are not JSONata.
  Accepted(Jsonata(R"({"Type":"Pass","Comment":"{% not ( an expression %}","Next":"Done"})"));
  Accepted(One(R"({"Type":"Pass","Result":"{% ( %}","Next":"Done"})"));
}
