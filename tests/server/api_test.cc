#include "api.h"

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "serve_metrics.h"
#include "stepflow/asl/json.h"
#include "stepflow/engine/engine.h"
#include "testing/asl_helpers.h"

namespace stepflow::server {
namespace {

using asl::Value;
using testing::Json;

constexpr char kPassChain[] =
    R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},)"
    R"("B":{"Type":"Pass","End":true}}})";
constexpr char kLongWait[] = R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}})";
constexpr char kRole[] = "arn:aws:iam::000000000000:role/stepflow";

// An Api over an in-memory engine running in background mode.
struct Fixture {
  Fixture() {
    auto opened = engine::Engine::Open(engine::EngineOptions());
    REQUIRE(opened.ok());
    engine = std::move(*opened);
    REQUIRE(engine->RunInBackground().ok());
    api = std::make_unique<Api>(engine.get(), ApiOptions(), &metrics);
  }

  struct Reply {
    int status;
    Value body;
    std::string type() const {
      const Value* t = body.Find("__type");
      return t != nullptr && t->is_string() ? t->AsString() : "";
    }
  };
  Reply Call(const std::string& action, const std::string& body,
             const std::string& content_type = "application/x-amz-json-1.0") {
    ApiResponse r = api->Handle({"AWSStepFunctions." + action, content_type, body});
    return {r.status, Json(r.body)};
  }
  Reply Call(const std::string& action, const asl::Object& members) {
    return Call(action, asl::ToJson(Value::MakeObject(members)));
  }

  std::string CreateMachine(const std::string& name, const std::string& definition) {
    Reply r = Call("CreateStateMachine", {{"name", Value::String(name)},
                                          {"definition", Value::String(definition)},
                                          {"roleArn", Value::String(kRole)}});
    REQUIRE_MESSAGE(r.status == 200, asl::ToJson(r.body));
    return r.body.Find("stateMachineArn")->AsString();
  }
  std::string Start(const std::string& machine_arn, const std::string& name, const std::string& input = "{}") {
    Reply r = Call("StartExecution", {{"stateMachineArn", Value::String(machine_arn)},
                                      {"name", Value::String(name)},
                                      {"input", Value::String(input)}});
    REQUIRE_MESSAGE(r.status == 200, asl::ToJson(r.body));
    return r.body.Find("executionArn")->AsString();
  }

  // Polls DescribeExecution for up to 10 s until the status is `status`.
  bool StatusWithin(const std::string& arn, const std::string& status) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      Reply r = Call("DescribeExecution", {{"executionArn", Value::String(arn)}});
      if (r.status == 200 && r.body.Find("status")->AsString() == status) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }

  ServeMetrics metrics;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<Api> api;
};

TEST_CASE("The state machine's name is read from an execution ARN, and from nothing else") {
  CHECK(StateMachineNameOfExecution("arn:aws:states:us-east-1:123456789012:execution:orders:e-1") == "orders");
  CHECK(StateMachineNameOfExecution("arn:aws:states:us-east-1:123456789012:execution:orders:e-1:f00d") == "orders");
  CHECK(StateMachineNameOfExecution("arn:aws:states:us-east-1:123456789012:stateMachine:orders").empty());
  CHECK(StateMachineNameOfExecution("").empty());
}

TEST_CASE("Malformed requests get AWS's error types") {
  Fixture f;
  CHECK(f.api->Handle({"AWSStepFunctions.Frobnicate", "application/x-amz-json-1.0", "{}"}).error_type ==
        "UnknownOperationException");
  CHECK(f.api->Handle({"", "application/x-amz-json-1.0", "{}"}).error_type == "UnknownOperationException");
  CHECK(f.api->Handle({"AWSStepFunctions.ListStateMachines", "text/plain", "{}"}).error_type ==
        "SerializationException");
  auto truncated = f.Call("ListStateMachines", R"({"maxResults": 1)");
  CHECK(truncated.status == 400);
  CHECK(truncated.type() == "SerializationException");
  CHECK(f.Call("ListStateMachines", "[1]").type() == "SerializationException");
  CHECK(f.Call("ListStateMachines", std::string(5000, '[') + std::string(5000, ']')).type() ==
        "SerializationException");
  CHECK(f.Call("StartExecution", R"({"stateMachineArn": 7})").type() == "SerializationException");
  auto missing = f.Call("StartExecution", "{}");
  CHECK(missing.type() == "ValidationException");
  CHECK(missing.body.Find("message")->AsString().find("'stateMachineArn'") != std::string::npos);
  CHECK(f.Call("ListStateMachines", "").status == 200);  // an empty body is an empty request
}

TEST_CASE("CreateStateMachine validates, is idempotent, and refuses a different definition under the same name") {
  Fixture f;
  auto bad = f.Call("CreateStateMachine", {{"name", Value::String("m")},
                                           {"definition", Value::String(R"({"StartAt":"Nope","States":{}})")},
                                           {"roleArn", Value::String(kRole)}});
  CHECK(bad.type() == "InvalidDefinition");
  CHECK(bad.body.Find("message")->AsString().find("Invalid State Machine Definition: '") == 0);

  auto bad_name = f.Call("CreateStateMachine", {{"name", Value::String("has space")},
                                                {"definition", Value::String(kPassChain)},
                                                {"roleArn", Value::String(kRole)}});
  CHECK(bad_name.type() == "InvalidName");
  auto bad_role = f.Call("CreateStateMachine", {{"name", Value::String("m")},
                                                {"definition", Value::String(kPassChain)},
                                                {"roleArn", Value::String("not-an-arn")}});
  CHECK(bad_role.type() == "InvalidArn");

  std::string arn = f.CreateMachine("m", kPassChain);
  CHECK(arn == "arn:aws:states:us-east-1:000000000000:stateMachine:m");
  CHECK(f.CreateMachine("m", kPassChain) == arn);
  auto clash = f.Call("CreateStateMachine", {{"name", Value::String("m")},
                                             {"definition", Value::String(kLongWait)},
                                             {"roleArn", Value::String(kRole)}});
  CHECK(clash.type() == "StateMachineAlreadyExists");

  auto described = f.Call("DescribeStateMachine", {{"stateMachineArn", Value::String(arn)}});
  CHECK(described.status == 200);
  CHECK(described.body.Find("definition")->AsString() == kPassChain);
  CHECK(described.body.Find("type")->AsString() == "STANDARD");
  CHECK(described.body.Find("creationDate")->is_number());

  auto updated = f.Call("UpdateStateMachine",
                        {{"stateMachineArn", Value::String(arn)}, {"definition", Value::String(kLongWait)}});
  CHECK(updated.status == 200);
  CHECK(updated.body.Find("revisionId")->AsString() == "2");
  CHECK(f.Call("DescribeStateMachine", {{"stateMachineArn", Value::String(arn)}}).body.Find("definition")->AsString() ==
        kLongWait);

  CHECK(f.Call("DeleteStateMachine", {{"stateMachineArn", Value::String(arn)}}).status == 200);
  CHECK(f.Call("DescribeStateMachine", {{"stateMachineArn", Value::String(arn)}}).type() ==
        "StateMachineDoesNotExist");
  CHECK(f.Call("DescribeStateMachine", {{"stateMachineArn", Value::String("arn:aws:states:us-east-1:000000000000:foo")}})
            .type() == "InvalidArn");
}

TEST_CASE("ValidateStateMachineDefinition lists diagnostics with severity, code, message and location") {
  Fixture f;
  auto fail = f.Call("ValidateStateMachineDefinition",
                     {{"definition", Value::String(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"}}})")}});
  REQUIRE(fail.status == 200);
  CHECK(fail.body.Find("result")->AsString() == "FAIL");
  const asl::Array& items = fail.body.Find("diagnostics")->AsArray();
  REQUIRE(!items.empty());
  CHECK(items[0].Find("severity")->AsString() == "ERROR");
  CHECK(items[0].Find("code")->AsString() == "MISSING_TRANSITION_TARGET");
  CHECK(items[0].Find("location")->AsString() == "/States/A/Next");
  CHECK(f.Call("ValidateStateMachineDefinition", {{"definition", Value::String(kPassChain)}})
            .body.Find("result")
            ->AsString() == "OK");
}

TEST_CASE("Executions start idempotently by name, run, and read back with history pages in both orders") {
  Fixture f;
  std::string machine = f.CreateMachine("chain", kPassChain);
  std::string arn = f.Start(machine, "one", R"({"in":true})");
  CHECK(arn == "arn:aws:states:us-east-1:000000000000:execution:chain:one");
  // As on AWS, a start is idempotent while the execution runs; once it has
  // ended, or with another input, the name is taken.
  std::string waits = f.CreateMachine("waits", kLongWait);
  std::string waiting = f.Start(waits, "w", R"({"in":true})");
  CHECK(f.Start(waits, "w", R"({"in":true})") == waiting);
  auto clash = f.Call("StartExecution", {{"stateMachineArn", Value::String(waits)},
                                         {"name", Value::String("w")},
                                         {"input", Value::String(R"({"in":false})")}});
  CHECK(clash.type() == "ExecutionAlreadyExists");
  CHECK(f.Call("StartExecution", {{"stateMachineArn", Value::String(machine)}, {"input", Value::String("{")}})
            .type() == "InvalidExecutionInput");
  CHECK(f.Call("StartExecution", {{"stateMachineArn", Value::String(machine)}, {"name", Value::String("a/b")}})
            .type() == "InvalidName");
  CHECK(f.Call("StartExecution",
               {{"stateMachineArn", Value::String("arn:aws:states:us-east-1:000000000000:stateMachine:none")}})
            .type() == "StateMachineDoesNotExist");

  REQUIRE(f.engine->AwaitExecution(arn).ok());
  CHECK(f.Call("StartExecution", {{"stateMachineArn", Value::String(machine)},
                                  {"name", Value::String("one")},
                                  {"input", Value::String(R"({"in":true})")}})
            .type() == "ExecutionAlreadyExists");
  auto described = f.Call("DescribeExecution", {{"executionArn", Value::String(arn)}});
  REQUIRE(described.status == 200);
  CHECK(described.body.Find("status")->AsString() == "SUCCEEDED");
  CHECK(Json(described.body.Find("output")->AsString()) == Json(R"({"in":true,"a":{"x":1}})"));
  CHECK(described.body.Find("stopDate")->is_number());

  auto history = f.Call("GetExecutionHistory", {{"executionArn", Value::String(arn)}});
  const asl::Array& all = history.body.Find("events")->AsArray();
  REQUIRE(all.size() >= 6);
  CHECK(all[0].Find("type")->AsString() == "ExecutionStarted");
  CHECK(all[0].Find("id")->AsInt() == 1);
  CHECK(all[0].Find("previousEventId")->AsInt() == 0);
  CHECK(all[0].Find("executionStartedEventDetails")->Find("input")->is_string());
  CHECK(all.back().Find("type")->AsString() == "ExecutionSucceeded");
  CHECK(history.body.Find("nextToken") == nullptr);

  auto without_data = f.Call("GetExecutionHistory",
                             {{"executionArn", Value::String(arn)}, {"includeExecutionData", Value::Bool(false)}});
  CHECK(without_data.body.Find("events")->AsArray()[0].Find("executionStartedEventDetails")->Find("input") ==
        nullptr);

  for (bool reverse : {false, true}) {
    std::vector<int64_t> ids;
    std::string token;
    int pages = 0;
    do {
      asl::Object request{{"executionArn", Value::String(arn)},
                          {"maxResults", Value::Int(2)},
                          {"reverseOrder", Value::Bool(reverse)}};
      if (!token.empty()) request.emplace_back("nextToken", Value::String(token));
      auto page = f.Call("GetExecutionHistory", request);
      REQUIRE(page.status == 200);
      for (const Value& e : page.body.Find("events")->AsArray()) ids.push_back(e.Find("id")->AsInt());
      const Value* next = page.body.Find("nextToken");
      token = next != nullptr ? next->AsString() : "";
      ++pages;
    } while (!token.empty() && pages < 100);
    REQUIRE(ids.size() == all.size());
    for (size_t i = 0; i < ids.size(); ++i) {
      CHECK(ids[i] == (reverse ? static_cast<int64_t>(ids.size() - i) : static_cast<int64_t>(i + 1)));
    }
  }
  CHECK(f.Call("GetExecutionHistory", {{"executionArn", Value::String(arn)}, {"nextToken", Value::String("zz")}})
            .type() == "InvalidToken");
  CHECK(f.Call("DescribeExecution",
               {{"executionArn", Value::String("arn:aws:states:us-east-1:000000000000:execution:chain:none")}})
            .type() == "ExecutionDoesNotExist");
  auto for_execution = f.Call("DescribeStateMachineForExecution", {{"executionArn", Value::String(arn)}});
  CHECK(for_execution.body.Find("definition")->AsString() == kPassChain);
}

TEST_CASE("ListExecutions filters by status and pages; StopExecution aborts a running one") {
  Fixture f;
  std::string machine = f.CreateMachine("waits", kLongWait);
  std::set<std::string> started;
  for (int i = 0; i < 5; ++i) started.insert(f.Start(machine, "e" + std::to_string(i)));
  auto stop = f.Call("StopExecution", {{"executionArn", Value::String(*started.begin())},
                                       {"error", Value::String("Why")},
                                       {"cause", Value::String("Because")}});
  REQUIRE(stop.status == 200);
  CHECK(stop.body.Find("stopDate")->is_number());
  CHECK(f.StatusWithin(*started.begin(), "ABORTED"));

  std::set<std::string> listed;
  std::string token;
  int pages = 0;
  do {
    asl::Object request{{"stateMachineArn", Value::String(machine)},
                        {"statusFilter", Value::String("RUNNING")},
                        {"maxResults", Value::Int(2)}};
    if (!token.empty()) request.emplace_back("nextToken", Value::String(token));
    auto page = f.Call("ListExecutions", request);
    REQUIRE(page.status == 200);
    for (const Value& e : page.body.Find("executions")->AsArray()) {
      CHECK(e.Find("status")->AsString() == "RUNNING");
      listed.insert(e.Find("executionArn")->AsString());
    }
    const Value* next = page.body.Find("nextToken");
    token = next != nullptr ? next->AsString() : "";
    ++pages;
  } while (!token.empty() && pages < 10);
  CHECK(listed.size() == 4);
  CHECK(listed.count(*started.begin()) == 0);
  CHECK(pages >= 2);
  CHECK(f.Call("ListExecutions", {{"stateMachineArn", Value::String(machine)}, {"statusFilter", Value::String("X")}})
            .type() == "ValidationException");
}

TEST_CASE("A machine deleted while it runs executions is DELETING until they end") {
  Fixture f;
  std::string machine = f.CreateMachine("going", kLongWait);
  std::string running = f.Start(machine, "last");
  REQUIRE(f.Call("DeleteStateMachine", {{"stateMachineArn", Value::String(machine)}}).status == 200);
  auto described = f.Call("DescribeStateMachine", {{"stateMachineArn", Value::String(machine)}});
  REQUIRE(described.status == 200);
  CHECK(described.body.Find("status")->AsString() == "DELETING");
  CHECK(f.Call("StartExecution", {{"stateMachineArn", Value::String(machine)}}).type() == "StateMachineDeleting");
  auto again = f.Call("CreateStateMachine", {{"name", Value::String("going")},
                                             {"definition", Value::String(kLongWait)},
                                             {"roleArn", Value::String(kRole)}});
  CHECK(again.type() == "StateMachineDeleting");
  CHECK(f.Call("UpdateStateMachine", {{"stateMachineArn", Value::String(machine)},
                                      {"definition", Value::String(kPassChain)}})
            .type() == "StateMachineDeleting");
  REQUIRE(f.Call("StopExecution", {{"executionArn", Value::String(running)}}).status == 200);
  CHECK(f.StatusWithin(running, "ABORTED"));
  CHECK(f.Call("DescribeStateMachine", {{"stateMachineArn", Value::String(machine)}}).type() ==
        "StateMachineDoesNotExist");
}

TEST_CASE("Task tokens: unknown tokens are InvalidToken; StartSyncExecution needs an EXPRESS machine") {
  Fixture f;
  CHECK(f.Call("SendTaskSuccess", {{"taskToken", Value::String("nope")}, {"output", Value::String("{}")}}).type() ==
        "InvalidToken");
  CHECK(f.Call("SendTaskHeartbeat", {{"taskToken", Value::String("nope")}}).type() == "InvalidToken");
  CHECK(f.Call("SendTaskSuccess", {{"taskToken", Value::String("nope")}, {"output", Value::String("{")}}).type() ==
        "InvalidOutput");

  std::string standard = f.CreateMachine("std", kPassChain);
  CHECK(f.Call("StartSyncExecution", {{"stateMachineArn", Value::String(standard)}}).type() ==
        "StateMachineTypeNotSupported");
  auto created = f.Call("CreateStateMachine", {{"name", Value::String("fast")},
                                               {"definition", Value::String(kPassChain)},
                                               {"roleArn", Value::String(kRole)},
                                               {"type", Value::String("EXPRESS")}});
  REQUIRE(created.status == 200);
  auto sync = f.Call("StartSyncExecution", {{"stateMachineArn", created.body.AsObject()[0].second},
                                            {"input", Value::String(R"({"k":2})")}});
  REQUIRE(sync.status == 200);
  CHECK(sync.body.Find("status")->AsString() == "SUCCEEDED");
  CHECK(Json(sync.body.Find("output")->AsString()) == Json(R"({"k":2,"a":{"x":1}})"));
}

TEST_CASE("Names follow AWS's rules") {
  CHECK(IsValidName("order-42_ok.v1"));
  CHECK(IsValidName(std::string(80, 'a')));
  CHECK_FALSE(IsValidName(std::string(81, 'a')));
  CHECK_FALSE(IsValidName(""));
  for (std::string bad : {"a b", "a<b", "a{b", "a?b", "a*b", "a\"b", "a#b", "a%b", "a\\b", "a^b", "a|b", "a~b",
                          "a`b", "a$b", "a&b", "a,b", "a;b", "a:b", "a/b", "a\tb", "a\x7f", "a\xc2\x85"}) {
    CHECK_MESSAGE(!IsValidName(bad), bad);
  }
  CHECK(IsValidName("caf\xc3\xa9"));
}

}  // namespace
}  // namespace stepflow::server
