// Lambda dispatch end to end: the engine on the system clock invokes functions
// served over real HTTP by a loopback server on 127.0.0.1.

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "stepflow/engine/engine.h"
#include "testing/asl_helpers.h"
#include "testing/engine_helpers.h"
#include "testing/loopback_function_server.h"

namespace {

using stepflow::asl::Value;
using stepflow::engine::Engine;
using stepflow::engine::EngineOptions;
using stepflow::engine::ExecutionResult;
using stepflow::storage::ExecutionStatus;
using stepflow::testing::FunctionError;
using stepflow::testing::Invocation;
using stepflow::testing::LoopbackFunctionServer;
using stepflow::testing::Reply;
using stepflow::testing::Watchdog;
using namespace std::chrono_literals;

using stepflow::testing::Json;
using stepflow::testing::Machine;

std::string FunctionArn(const std::string& name) { return "arn:aws:lambda:us-east-1:000000000000:function:" + name; }

// One Task state calling `resource`, with extra fields spliced into the state.
std::string OneTask(const std::string& resource, const std::string& extra = "") {
  return R"({"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":")" + resource + "\"" +
         (extra.empty() ? "" : "," + extra) + R"(,"End":true}}})";
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// An engine on the system clock whose Lambda endpoint is `endpoint`. Declared
// after the server it talks to, so it is destroyed first.
struct Harness {
  std::unique_ptr<Engine> engine;
  std::string arn;

  explicit Harness(const std::string& endpoint) {
    EngineOptions options;
    options.lambda_endpoint = endpoint;
    auto opened = Engine::Open(std::move(options));
    REQUIRE(opened.ok());
    engine = std::move(*opened);
  }

  ExecutionResult Run(const std::string& definition, const std::string& input = "{}", const std::string& name = "") {
    auto started = stepflow::testing::StartText(*engine, definition, "integ", name, input);
    REQUIRE_MESSAGE(started.ok(), started.status().ToString());
    arn = *started;
    auto result = engine->AwaitExecution(arn);
    REQUIRE_MESSAGE(result.ok(), result.status().ToString());
    return *result;
  }

  std::vector<std::string> EventTypes() {
    auto events = engine->store().GetHistory(arn, 0, 100000);
    REQUIRE(events.ok());
    std::vector<std::string> types;
    for (const auto& e : *events) types.emplace_back(e.type);
    return types;
  }
};

std::string ErrorOf(const ExecutionResult& r) { return r.error.value_or("<none>"); }
std::string CauseOf(const ExecutionResult& r) { return r.cause.value_or("<none>"); }

}  // namespace

TEST_CASE("A function ARN task returns the function's payload; the server sees the path, body and idempotency key") {
  Watchdog watchdog(30s, "success");
  LoopbackFunctionServer server;
  server.Define("Greeter", [](const Invocation& i) {
    Reply r;
    r.body = R"({"greeting":"hello","echo":)" + i.body + "}";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Greeter")), R"({"who":"world","n":[1,2]})");
  REQUIRE(result.status == ExecutionStatus::kSucceeded);
  CHECK(*result.output == Json(R"({"greeting":"hello","echo":{"who":"world","n":[1,2]}})"));
  auto seen = server.invocations();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == "/2015-03-31/functions/Greeter/invocations");
  CHECK(Json(seen[0].body) == Json(R"({"who":"world","n":[1,2]})"));
  CHECK(!seen[0].idempotency_key.empty());
  CHECK(seen[0].idempotency_key.find(h.arn) != std::string::npos);
  CHECK(h.EventTypes() == std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                                                   "LambdaFunctionStarted", "LambdaFunctionSucceeded",
                                                   "TaskStateExited", "ExecutionSucceeded"});
}

TEST_CASE("lambda:invoke sends Payload to FunctionName and wraps the result as AWS does") {
  Watchdog watchdog(30s, "lambda:invoke");
  LoopbackFunctionServer server;
  server.Define("Adder", [](const Invocation& i) {
    Value in = Json(i.body);
    Reply r;
    r.body = "{\"sum\":" + std::to_string(in.Find("a")->AsInt() + in.Find("b")->AsInt()) + "}";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask("arn:aws:states:::lambda:invoke",
                              R"("Parameters":{"FunctionName":"arn:aws:lambda:us-east-1:000000000000:function:Adder:live",)"
                              R"("Payload":{"a.$":"$.x","b":2}},"ResultSelector":{"p.$":"$.Payload","s.$":"$.StatusCode",)"
                              R"("v.$":"$.ExecutedVersion"})"),
                      R"({"x":40})");
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(*result.output == Json(R"({"p":{"sum":42},"s":200,"v":"$LATEST"})"));
  auto seen = server.invocations();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == "/2015-03-31/functions/Adder/invocations");
  CHECK(Json(seen[0].body) == Json(R"({"a":40,"b":2})"));
  CHECK(!seen[0].idempotency_key.empty());
  CHECK(h.EventTypes() == std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                                   "TaskStarted", "TaskSucceeded", "TaskStateExited",
                                                   "ExecutionSucceeded"});
}

TEST_CASE("lambda:invoke reports the response headers, executed version and request id as the AWS SDK does") {
  Watchdog watchdog(30s, "sdk metadata");
  LoopbackFunctionServer server;
  server.Define("Versioned", [](const Invocation&) {
    Reply r;
    r.headers = {{"X-Amz-Executed-Version", "7"}, {"X-Amzn-RequestId", "req-1"}, {"X-Multi", "a"}, {"X-Multi", "b"}};
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName":"Versioned"})"));
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  const Value& out = *result.output;
  CHECK(*out.Find("ExecutedVersion") == Value::String("7"));
  CHECK(*out.Find("SdkResponseMetadata")->Find("RequestId") == Value::String("req-1"));
  const Value* meta = out.Find("SdkHttpMetadata");
  REQUIRE(meta != nullptr);
  CHECK(*meta->Find("HttpStatusCode") == Value::Int(200));
  CHECK(*meta->Find("HttpHeaders")->Find("Content-Type") == Value::String("application/json"));
  CHECK(*meta->Find("AllHttpHeaders")->Find("Content-Type") == Json(R"(["application/json"])"));
  CHECK(*meta->Find("AllHttpHeaders")->Find("X-Multi") == Json(R"(["a","b"])"));
  CHECK(*meta->Find("HttpHeaders")->Find("X-Multi") == Value::String("b"));
  size_t multi = 0;
  for (const auto& [name, value] : meta->Find("HttpHeaders")->AsObject()) multi += name == "X-Multi";
  CHECK(multi == 1);
}

TEST_CASE("A function error fails the task with the payload's errorType and the payload as cause") {
  Watchdog watchdog(30s, "function error");
  LoopbackFunctionServer server;
  server.Define("Thrower", [](const Invocation&) { return FunctionError("MyError", "m"); });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Thrower")));
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "MyError");
  REQUIRE(result.cause.has_value());
  Value cause = Json(*result.cause);
  CHECK(cause.Find("errorMessage") != nullptr);
  CHECK(cause.Find("errorMessage")->AsString() == "m");
  CHECK(h.EventTypes() == std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                                                   "LambdaFunctionStarted", "LambdaFunctionFailed",
                                                   "ExecutionFailed"});
}

TEST_CASE("Retry on a function error re-invokes with a new idempotency key per attempt, the same keys on a re-run") {
  Watchdog watchdog(60s, "retry keys");
  LoopbackFunctionServer server;
  std::atomic<int> calls{0};
  server.Define("Flaky", [&calls](const Invocation&) {
    // Fails the first two calls of every execution (each execution makes three).
    if (calls.fetch_add(1) % 3 < 2) return FunctionError("MyError", "m");
    Reply r;
    r.body = R"({"ok":true})";
    return r;
  });
  const std::string definition = OneTask(
      FunctionArn("Flaky"), R"("Retry":[{"ErrorEquals":["MyError"],"IntervalSeconds":1,"MaxAttempts":2,"BackoffRate":1}])");
  std::vector<std::string> first_keys;
  {
    Harness h(server.endpoint());
    auto result = h.Run(definition, "{}", "same-name");
    REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
    CHECK(*result.output == Json(R"({"ok":true})"));
    for (const auto& i : server.invocations()) first_keys.push_back(i.idempotency_key);
    REQUIRE(first_keys.size() == 3);
    CHECK(std::set<std::string>(first_keys.begin(), first_keys.end()).size() == 3);
  }
  // The key derives from execution, state and attempt: a second dispatch of the
  // same attempts (as after a crash) sends the same keys again.
  Harness again(server.endpoint());
  auto result = again.Run(definition, "{}", "same-name");
  REQUIRE(result.status == ExecutionStatus::kSucceeded);
  auto all = server.invocations();
  REQUIRE(all.size() == 6);
  for (size_t i = 0; i < 3; ++i) CHECK(all[3 + i].idempotency_key == first_keys[i]);
}

TEST_CASE("HTTP 500 from the Lambda service is Lambda.ServiceException, seen by Retry and Catch") {
  Watchdog watchdog(30s, "http 500");
  LoopbackFunctionServer server;
  server.Define("Broken", [](const Invocation&) {
    Reply r;
    r.status = 500;
    r.body = R"({"message":"internal failure"})";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(
      R"({"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":")" + FunctionArn("Broken") +
      R"(","Retry":[{"ErrorEquals":["Lambda.ServiceException"],"IntervalSeconds":1,"MaxAttempts":1}],)"
      R"("Catch":[{"ErrorEquals":["Lambda.ServiceException"],"ResultPath":"$.caught","Next":"Handled"}],"End":true},)"
      R"("Handled":{"Type":"Pass","End":true}}})",
      R"({"keep":1})");
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(server.invocations().size() == 2);
  const Value* caught = result.output->Find("caught");
  REQUIRE(caught != nullptr);
  CHECK(caught->Find("Error")->AsString() == "Lambda.ServiceException");
  CHECK(caught->Find("Cause")->AsString().find("500") != std::string::npos);
  CHECK(result.output->Find("keep")->AsInt() == 1);
}

TEST_CASE("An unknown function is Lambda.ResourceNotFoundException") {
  Watchdog watchdog(30s, "404");
  LoopbackFunctionServer server;
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Missing")));
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "Lambda.ResourceNotFoundException");
}

TEST_CASE("A refused connection fails the task at once with a clear error") {
  Watchdog watchdog(30s, "refused");
  int port = stepflow::testing::UnusedPort();
  REQUIRE(port > 0);
  auto start = std::chrono::steady_clock::now();
  {
    Harness h("http://127.0.0.1:" + std::to_string(port));
    auto result = h.Run(OneTask(FunctionArn("Anything")));
    CHECK(result.status == ExecutionStatus::kFailed);
    CHECK(ErrorOf(result) == "States.TaskFailed");
    CHECK_MESSAGE(CauseOf(result).find("refused") != std::string::npos, CauseOf(result));
    CHECK(h.EventTypes().back() == "ExecutionFailed");
  }
  {
    Harness h("http://127.0.0.1:" + std::to_string(port));
    auto result = h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName":"Anything"})"));
    CHECK(result.status == ExecutionStatus::kFailed);
    CHECK(ErrorOf(result) == "Lambda.SdkClientException");
    CHECK_MESSAGE(CauseOf(result).find("refused") != std::string::npos, CauseOf(result));
  }
  CHECK(SecondsSince(start) < 5);
}

TEST_CASE("TimeoutSeconds 1 on a 3-second function fails with States.Timeout after about 1 s") {
  Watchdog watchdog(30s, "timeout");
  LoopbackFunctionServer server;
  server.Define("Slow", [](const Invocation&) {
    Reply r;
    r.delay = 3s;
    return r;
  });
  Harness h(server.endpoint());
  auto start = std::chrono::steady_clock::now();
  auto result = h.Run(OneTask(FunctionArn("Slow"), R"("TimeoutSeconds":1)"));
  double took = SecondsSince(start);
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "States.Timeout");
  CHECK(took >= 0.9);
  CHECK(took < 2.0);
  CHECK(h.EventTypes() == std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                                                   "LambdaFunctionStarted", "LambdaFunctionTimedOut",
                                                   "ExecutionFailed"});
}

TEST_CASE("A timed-out task can be retried and the engine stays usable for the next execution") {
  Watchdog watchdog(30s, "timeout then next");
  LoopbackFunctionServer server;
  std::atomic<int> calls{0};
  server.Define("SlowOnce", [&calls](const Invocation&) {
    Reply r;
    if (calls.fetch_add(1) == 0) r.delay = 2500ms;
    r.body = R"({"done":true})";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("SlowOnce"),
                              R"("TimeoutSeconds":1,"Retry":[{"ErrorEquals":["States.Timeout"],"IntervalSeconds":1,"MaxAttempts":1}])"));
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(*result.output == Json(R"({"done":true})"));
  auto next = h.Run(OneTask(FunctionArn("SlowOnce")));
  CHECK(next.status == ExecutionStatus::kSucceeded);
}

TEST_CASE("A response cut off mid-body fails the task with a clear error") {
  Watchdog watchdog(30s, "truncated");
  LoopbackFunctionServer server;
  server.Define("Cut", [](const Invocation&) {
    Reply r;
    r.body = R"({"data":")" + std::string(1000, 'x') + R"("})";
    r.truncate_after = 100;
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Cut")));
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "States.TaskFailed");
  CHECK_MESSAGE(CauseOf(result).find("Cut") != std::string::npos, CauseOf(result));
  MESSAGE("truncated-body cause: " << CauseOf(result));
  CHECK(server.invocations().size() == 1);
}

TEST_CASE("A response cut off on a reused connection is not silently sent again") {
  Watchdog watchdog(30s, "truncated reused");
  LoopbackFunctionServer server;
  server.Define("Fine", [](const Invocation&) { return Reply(); });
  server.Define("Cut", [](const Invocation&) {
    Reply r;
    r.body = R"({"data":")" + std::string(1000, 'x') + R"("})";
    r.truncate_after = 100;
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":")" + FunctionArn("Fine") +
                      R"(","Next":"B"},"B":{"Type":"Task","Resource":")" + FunctionArn("Cut") + R"(","End":true}}})");
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "States.TaskFailed");
  // The function ran and started answering: invoking it again is Retry's call, not the transport's.
  CHECK(server.invocations("Cut").size() == 1);
  CHECK(server.connections() == 1);
}

TEST_CASE("A pooled connection the server closed is replaced without failing the task") {
  Watchdog watchdog(30s, "stale pooled connection");
  LoopbackFunctionServer::Options options;
  options.keep_alive_timeout_seconds = 0;  // the server drops idle connections at once
  LoopbackFunctionServer server(options);
  server.Define("Fine", [](const Invocation&) { return Reply(); });
  Harness h(server.endpoint());
  auto result = h.Run(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":")" + FunctionArn("Fine") +
                      R"(","Next":"W"},"W":{"Type":"Wait","Seconds":1,"Next":"B"},)"
                      R"("B":{"Type":"Task","Resource":")" + FunctionArn("Fine") + R"(","End":true}}})");
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(server.invocations("Fine").size() == 2);
  CHECK(server.connections() == 2);
}

TEST_CASE("A 10 MB response fails with States.DataLimitExceeded") {
  Watchdog watchdog(30s, "10 MB");
  LoopbackFunctionServer server;
  server.Define("Huge", [](const Invocation&) {
    Reply r;
    r.body = "\"" + std::string(10 << 20, 'x') + "\"";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Huge")));
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "States.DataLimitExceeded");
  CHECK(CauseOf(result) ==
        "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service limit.");
  // And over lambda:invoke.
  auto wrapped = h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName":"Huge"})"));
  CHECK(wrapped.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(wrapped) == "States.DataLimitExceeded");
}

TEST_CASE("Twenty sequential tasks reuse keep-alive connections") {
  Watchdog watchdog(30s, "keep-alive");
  LoopbackFunctionServer server;
  server.Define("Inc", [](const Invocation& i) {
    Reply r;
    r.body = "{\"n\":" + std::to_string(Json(i.body).Find("n")->AsInt() + 1) + "}";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(R"({"StartAt":"Inc","States":{"Inc":{"Type":"Task","Resource":")" + FunctionArn("Inc") +
                          R"(","Next":"More"},"More":{"Type":"Choice","Choices":[{"Variable":"$.n","NumericLessThan":20,)"
                          R"("Next":"Inc"}],"Default":"Done"},"Done":{"Type":"Succeed"}}})",
                      R"({"n":0})");
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(*result.output == Json(R"({"n":20})"));
  CHECK(server.invocations().size() == 20);
  MESSAGE("connections for 20 requests: " << server.connections());
  CHECK(server.connections() <= 2);
}

TEST_CASE("A non-JSON response body comes back as a JSON string") {
  Watchdog watchdog(30s, "raw body");
  LoopbackFunctionServer server;
  server.Define("Text", [](const Invocation&) {
    Reply r;
    r.body = "hello, not json {";
    r.content_type = "text/plain";
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Text")));
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(*result.output == Value::String("hello, not json {"));
  auto wrapped = h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName":"Text"},"OutputPath":"$.Payload")"));
  REQUIRE(wrapped.status == ExecutionStatus::kSucceeded);
  CHECK(*wrapped.output == Value::String("hello, not json {"));
}

TEST_CASE("A hundred concurrent Map iterations all succeed") {
  Watchdog watchdog(60s, "map 100");
  // A thread per connection, as `sam local start-lambda` serves.
  LoopbackFunctionServer::Options options;
  options.threads = 128;
  LoopbackFunctionServer server(options);
  server.Define("Square", [](const Invocation& i) {
    Reply r;
    r.delay = 100ms;
    int64_t x = Json(i.body).AsInt();
    r.body = std::to_string(x * x);
    return r;
  });
  std::string items = "[";
  for (int i = 0; i < 100; ++i) items += (i ? "," : "") + std::to_string(i);
  items += "]";
  Harness h(server.endpoint());
  auto start = std::chrono::steady_clock::now();
  auto result = h.Run(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":0,"ItemProcessor":{"StartAt":"Sq",)"
                      R"("States":{"Sq":{"Type":"Task","Resource":")" + FunctionArn("Square") + R"(","End":true}}},"End":true}}})",
                      items);
  double took = SecondsSince(start);
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  REQUIRE(result.output->is_array());
  REQUIRE(result.output->AsArray().size() == 100);
  for (int i = 0; i < 100; ++i) CHECK(result.output->AsArray()[i].AsInt() == i * i);
  auto seen = server.invocations();
  CHECK(seen.size() == 100);
  std::set<std::string> keys;
  for (const auto& i : seen) keys.insert(i.idempotency_key);
  CHECK(keys.size() == 100);
  MESSAGE("100 iterations took " << took << " s, " << server.connections() << " connections, at most "
                                 << server.max_in_flight() << " at once");
  CHECK(server.max_in_flight() > 1);
  CHECK(took < 10);
}

TEST_CASE("An https endpoint nobody listens on fails the task with a transport error naming it") {
  Watchdog watchdog(30s, "https");
  std::string endpoint = "https://127.0.0.1:" + std::to_string(stepflow::testing::UnusedPort());
  Harness h(endpoint);
  auto result = h.Run(OneTask(FunctionArn("Secure")));
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "States.TaskFailed");
  CHECK_MESSAGE(CauseOf(result).find(endpoint) != std::string::npos, CauseOf(result));
  auto wrapped = h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName":"Secure"})"));
  CHECK(wrapped.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(wrapped) == "Lambda.SdkClientException");
}

TEST_CASE("Task history records the parameters sent and the result received") {
  Watchdog watchdog(30s, "history details");
  LoopbackFunctionServer server;
  server.Define("F", [](const Invocation&) {
    Reply r;
    r.body = R"({"r":2})";
    return r;
  });
  Harness h(server.endpoint());
  auto details = [&h](const std::string& type) {
    auto events = h.engine->store().GetHistory(h.arn, 0, 100);
    REQUIRE(events.ok());
    for (const auto& e : *events) {
      if (e.type == type) return Json(e.details_json);
    }
    FAIL("no " << type << " event");
    return Value();
  };
  h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName":"F","Payload":{"a":1}})"));
  Value scheduled = *details("TaskScheduled").Find("taskScheduledEventDetails");
  CHECK(*scheduled.Find("resourceType") == Value::String("lambda"));
  CHECK(Json(scheduled.Find("parameters")->AsString()) == Json(R"({"FunctionName":"F","Payload":{"a":1}})"));
  Value succeeded = *details("TaskSucceeded").Find("taskSucceededEventDetails");
  CHECK(*Json(succeeded.Find("output")->AsString()).Find("Payload") == Json(R"({"r":2})"));

  h.Run(OneTask(FunctionArn("F")), R"({"in":1})");
  Value lambda_scheduled = *details("LambdaFunctionScheduled").Find("lambdaFunctionScheduledEventDetails");
  CHECK(*lambda_scheduled.Find("resource") == Value::String(FunctionArn("F")));
  CHECK(Json(lambda_scheduled.Find("input")->AsString()) == Json(R"({"in":1})"));
  Value lambda_succeeded = *details("LambdaFunctionSucceeded").Find("lambdaFunctionSucceededEventDetails");
  CHECK(Json(lambda_succeeded.Find("output")->AsString()) == Json(R"({"r":2})"));
}

TEST_CASE("A function with no endpoint configured fails clearly") {
  Watchdog watchdog(30s, "no endpoint");
  Harness h("");
  auto result = h.Run(OneTask(FunctionArn("Nowhere")));
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(ErrorOf(result) == "States.TaskFailed");
  CHECK_MESSAGE(CauseOf(result).find("Nowhere") != std::string::npos, CauseOf(result));
}

TEST_CASE("A FunctionName that is no function name fails without a request") {
  Watchdog watchdog(30s, "bad function name");
  LoopbackFunctionServer server;
  Harness h(server.endpoint());
  for (const char* name : {"a b", "x/../../admin", "evil\r\nX-Injected: 1", ""}) {
    std::string input = "{\"f\":" + stepflow::asl::ToJson(Value::String(name)) + "}";
    auto result = h.Run(OneTask("arn:aws:states:::lambda:invoke", R"("Parameters":{"FunctionName.$":"$.f"})"), input);
    CHECK(result.status == ExecutionStatus::kFailed);
    CHECK_MESSAGE(ErrorOf(result) == "Lambda.AWSLambdaException", name);
  }
  CHECK(server.invocations().empty());
}

TEST_CASE("A per-function endpoint overrides the default endpoint") {
  Watchdog watchdog(30s, "per-function endpoint");
  LoopbackFunctionServer fallback, special;
  fallback.Define("Common", [](const Invocation&) {
    Reply r;
    r.body = R"("fallback")";
    return r;
  });
  special.Define("Special", [](const Invocation&) {
    Reply r;
    r.body = R"("special")";
    return r;
  });
  EngineOptions options;
  options.lambda_endpoint = fallback.endpoint();
  options.function_endpoints = {{"Special", special.endpoint() + "/"}};
  auto opened = Engine::Open(std::move(options));
  REQUIRE(opened.ok());
  auto& engine = *opened;
  auto run = [&engine](const std::string& function) {
    auto arn = stepflow::testing::StartText(*engine, OneTask(FunctionArn(function), R"("ResultPath":"$.r")"), "integ",
                                            "", "{}");
    REQUIRE(arn.ok());
    auto result = engine->AwaitExecution(*arn);
    REQUIRE(result.ok());
    return *result;
  };
  auto a = run("Common");
  auto b = run("Special");
  REQUIRE(a.status == ExecutionStatus::kSucceeded);
  REQUIRE(b.status == ExecutionStatus::kSucceeded);
  CHECK(*a.output->Find("r") == Value::String("fallback"));
  CHECK(*b.output->Find("r") == Value::String("special"));
  CHECK(fallback.invocations().size() == 1);
  CHECK(special.invocations().size() == 1);
  engine.reset();
}

TEST_CASE("Throttling (429 TooManyRequestsException) is Lambda.TooManyRequestsException and retried") {
  Watchdog watchdog(30s, "429");
  LoopbackFunctionServer server;
  std::atomic<int> calls{0};
  server.Define("Busy", [&calls](const Invocation&) {
    Reply r;
    if (calls.fetch_add(1) == 0) {
      r.status = 429;
      r.headers.emplace_back("X-Amzn-ErrorType", "TooManyRequestsException");
      r.body = R"({"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded","message":"Rate Exceeded."})";
    }
    return r;
  });
  Harness h(server.endpoint());
  auto result = h.Run(OneTask(FunctionArn("Busy"),
                              R"("Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"IntervalSeconds":1,"MaxAttempts":1}])"));
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(server.invocations().size() == 2);
  auto types = h.EventTypes();
  CHECK(std::count(types.begin(), types.end(), "LambdaFunctionFailed") == 1);
}

TEST_CASE("Responses with Connection: close are not pooled and every task still succeeds") {
  Watchdog watchdog(30s, "connection close");
  LoopbackFunctionServer::Options options;
  options.keep_alive_max_count = 1;  // httplib then answers "Connection: close"
  LoopbackFunctionServer server(options);
  server.Define("Once", [](const Invocation&) { return Reply(); });
  Harness h(server.endpoint());
  auto result = h.Run(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":")" + FunctionArn("Once") +
                      R"(","Next":"B"},"B":{"Type":"Task","Resource":")" + FunctionArn("Once") +
                      R"(","Next":"C"},"C":{"Type":"Task","Resource":")" + FunctionArn("Once") + R"(","End":true}}})");
  REQUIRE_MESSAGE(result.status == ExecutionStatus::kSucceeded, ErrorOf(result), " ", CauseOf(result));
  CHECK(server.invocations().size() == 3);
  CHECK(server.connections() == 3);
}
