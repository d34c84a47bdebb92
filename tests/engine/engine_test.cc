#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "stepflow/engine/engine.h"
#include "testing/asl_helpers.h"
#include "testing/engine_helpers.h"

namespace {

using stepflow::asl::Value;
using stepflow::engine::Engine;
using stepflow::engine::EngineOptions;
using stepflow::engine::ExecutionResult;
using stepflow::engine::Instant;
using stepflow::engine::kNanosPerSecond;
using stepflow::engine::ManualClock;
using stepflow::engine::TaskInvocation;
using stepflow::engine::TaskOutcome;
using stepflow::storage::ExecutionStatus;

using stepflow::testing::Json;
using stepflow::testing::Machine;

struct Harness {
  ManualClock clock;
  std::unique_ptr<Engine> engine;
  std::string arn;

  explicit Harness(EngineOptions options = EngineOptions()) {
    options.clock = &clock;
    options.random_seed = 42;
    auto opened = Engine::Open(std::move(options));
    REQUIRE(opened.ok());
    engine = std::move(*opened);
  }

  ExecutionResult Run(const std::string& definition, const std::string& input = "{}") {
    auto started = stepflow::testing::StartText(*engine, definition, "test", "", input);
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

}  // namespace

TEST_CASE("A one-year Wait finishes at once on a manual clock, a year later") {
  Harness h;
  Instant start = h.clock.Now();
  auto result = h.Run(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":31536000,"End":true}}})j",
                      R"j({"a":1})j");
  CHECK(result.status == ExecutionStatus::kSucceeded);
  CHECK(*result.output == Json(R"j({"a":1})j"));
  CHECK(h.clock.Now() - start == 31536000LL * kNanosPerSecond);
  CHECK(h.EventTypes() == std::vector<std::string>{"ExecutionStarted", "WaitStateEntered", "WaitStateExited",
                                                   "ExecutionSucceeded"});
}

TEST_CASE("Retry waits IntervalSeconds times BackoffRate to the power of the attempt") {
  EngineOptions options;
  std::vector<Instant> attempts;
  ManualClock* clock = nullptr;
  options.task_handlers.emplace_back("arn:aws:lambda:us-east-1:000000000000:function:flaky", [&](const TaskInvocation&, std::function<void(TaskOutcome)> done) {
    attempts.push_back(clock->Now());
    if (attempts.size() < 3) {
      done(TaskOutcome{false, Value(), {"Flaky.Error", "try again"}});
    } else {
      done(TaskOutcome{true, Json(R"j({"ok":true})j"), {}});
    }
  });
  Harness h(std::move(options));
  clock = &h.clock;
  auto result = h.Run(R"j({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:flaky",
      "Retry":[{"ErrorEquals":["Other"],"MaxAttempts":5},
               {"ErrorEquals":["States.ALL"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
      "End":true}}})j");
  CHECK(result.status == ExecutionStatus::kSucceeded);
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[1] - attempts[0] == 2 * kNanosPerSecond);
  CHECK(attempts[2] - attempts[1] == 6 * kNanosPerSecond);
}

TEST_CASE("Retry exhausted falls through to Catch, whose ResultPath keeps the state input") {
  EngineOptions options;
  int calls = 0;
  options.task_handlers.emplace_back("arn:aws:lambda:us-east-1:000000000000:function:broken", [&](const TaskInvocation&, std::function<void(TaskOutcome)> done) {
    ++calls;
    done(TaskOutcome{false, Value(), {"Broken", "always"}});
  });
  Harness h(std::move(options));
  auto result = h.Run(R"j({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:broken","Retry":[{"ErrorEquals":["Broken"],"MaxAttempts":1}],
           "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.error","Next":"Done"}],"End":true},
      "Done":{"Type":"Pass","End":true}}})j",
                      R"j({"keep":"me"})j");
  CHECK(calls == 2);
  CHECK(result.status == ExecutionStatus::kSucceeded);
  CHECK(*result.output == Json(R"j({"keep":"me","error":{"Error":"Broken","Cause":"always"}})j"));
}

TEST_CASE("States.Runtime is neither retried nor caught") {
  Harness h;
  auto result = h.Run(R"j({"StartAt":"P","States":{
      "P":{"Type":"Pass","InputPath":"$.missing","Next":"Q"},
      "Q":{"Type":"Pass","End":true}}})j");
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(*result.error == "States.Runtime");
  CHECK(*result.cause ==
        "An error occurred while executing the state 'P' (entered at the event id #2). Invalid path '$.missing' : "
        "No results for path: $['missing']");
}

TEST_CASE("Execution TimeoutSeconds times the execution out with States.Timeout") {
  Harness h;
  auto result = h.Run(R"j({"TimeoutSeconds":5,"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}})j");
  CHECK(result.status == ExecutionStatus::kTimedOut);
  CHECK(*result.error == "States.Timeout");
  CHECK(h.EventTypes().back() == "ExecutionTimedOut");
}

TEST_CASE("Stopping an execution aborts it and records ExecutionAborted") {
  Harness h;
  auto started = stepflow::testing::StartText(
      *h.engine, R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}})j", "test", "stop-me",
      "{}");
  REQUIRE(started.ok());
  h.arn = *started;
  REQUIRE(h.engine->StopExecution(h.arn, "Operator", "no longer needed").ok());
  auto result = h.engine->AwaitExecution(h.arn);
  REQUIRE(result.ok());
  CHECK(result->status == ExecutionStatus::kAborted);
  CHECK(h.EventTypes().back() == "ExecutionAborted");
}

TEST_CASE("A failing Parallel branch fails the state with the branch's own error") {
  Harness h;
  auto result = h.Run(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"BranchBroke","Cause":"b"}}}]}}})j");
  CHECK(result.status == ExecutionStatus::kFailed);
  CHECK(*result.error == "BranchBroke");
  CHECK(*result.cause == "b");
}

TEST_CASE("Map keeps results in item order and never runs more than MaxConcurrency iterations") {
  EngineOptions options;
  int running = 0, peak = 0;
  std::vector<std::function<void()>> parked;
  ManualClock* clock = nullptr;
  options.task_handlers.emplace_back("arn:aws:lambda:us-east-1:000000000000:function:slow", [&](const TaskInvocation& call, std::function<void(TaskOutcome)> done) {
    ++running;
    peak = std::max(peak, running);
    // Completes on a timer, so iterations overlap.
    clock->ScheduleAt(clock->Now() + kNanosPerSecond * (10 - call.parameters.AsInt()), [&, call, done] {
      --running;
      done(TaskOutcome{true, Value::Int(call.parameters.AsInt() * 10), {}});
    });
  });
  Harness h(std::move(options));
  clock = &h.clock;
  auto result = h.Run(R"j({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":3,"End":true,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:lambda:us-east-1:000000000000:function:slow","End":true}}}}}})j",
                      "[1,2,3,4,5,6,7,8]");
  CHECK(result.status == ExecutionStatus::kSucceeded);
  CHECK(*result.output == Json("[10,20,30,40,50,60,70,80]"));
  CHECK(peak == 3);
}

TEST_CASE("Map with a tolerated failure count succeeds with the failures in place") {
  Harness h;
  auto result = h.Run(R"j({"StartAt":"M","States":{"M":{"Type":"Map","ToleratedFailureCount":1,"End":true,
      "ItemProcessor":{"StartAt":"C","States":{
        "C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":2,"Next":"F"}],"Default":"P"},
        "F":{"Type":"Fail","Error":"Two","Cause":"no twos"},
        "P":{"Type":"Pass","End":true}}}}}})j",
                      "[1,2,3]");
  CHECK(result.status == ExecutionStatus::kSucceeded);
  CHECK(*result.output == Json(R"j([1,{"Error":"Two","Cause":"no twos"},3])j"));
}

TEST_CASE("Variables assigned in one state are read by later states") {
  Harness h;
  auto result = h.Run(R"j({"StartAt":"A","States":{
      "A":{"Type":"Pass","Assign":{"greeting":"hello","who.$":"$.name"},"Next":"B"},
      "B":{"Type":"Pass","Parameters":{"text.$":"States.Format('{} {}', $greeting, $who)"},"End":true}}})j",
                      R"j({"name":"ada"})j");
  CHECK(result.status == ExecutionStatus::kSucceeded);
  CHECK(*result.output == Json(R"j({"text":"hello ada"})j"));
}

TEST_CASE("A state output over the payload limit fails with States.DataLimitExceeded; one at the limit passes") {
  // Output {"s":"<n x's>","t":"<n x's>"}: 2n + 15 bytes, from an input of n + 8.
  const std::string definition = R"j({"StartAt":"P","States":{
      "P":{"Type":"Pass","Parameters":{"s.$":"$.s","t.$":"$.s"},"End":true}}})j";
  auto input = [](size_t n) { return R"({"s":")" + std::string(n, 'x') + R"("})"; };
  EngineOptions options;
  options.limits.max_payload_bytes = 101;
  Harness at_limit(options);
  ExecutionResult ok = at_limit.Run(definition, input(43));
  CHECK(ok.status == ExecutionStatus::kSucceeded);
  CHECK(stepflow::asl::ToJson(*ok.output).size() == 101);

  Harness over(options);
  ExecutionResult failed = over.Run(definition, input(44));
  CHECK(failed.status == ExecutionStatus::kFailed);
  CHECK(*failed.error == "States.DataLimitExceeded");
  CHECK(over.EventTypes() == std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "ExecutionFailed"});
}

TEST_CASE(
    "On the real clock, event times never go back, and a state entered at once shares its predecessor's exit time") {
  auto opened = Engine::Open(EngineOptions());
  REQUIRE(opened.ok());
  Engine& engine = **opened;
  const std::string definition = R"({"StartAt":"A","States":{
    "A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},
    "C":{"Type":"Pass","Result":{"x":1},"Next":"D"},"D":{"Type":"Succeed"}}})";
  auto started = stepflow::testing::StartText(engine, definition, "times", "", "{}");
  REQUIRE_MESSAGE(started.ok(), started.status().ToString());
  auto result = engine.AwaitExecution(*started);
  REQUIRE(result.ok());
  CHECK(result->status == ExecutionStatus::kSucceeded);
  auto events = engine.store().GetHistory(*started, 0, 1000);
  REQUIRE(events.ok());
  REQUIRE(events->size() == 10);  // started, 4 x (entered, exited), succeeded
  int shared = 0;
  for (size_t i = 1; i < events->size(); ++i) {
    const auto& before = (*events)[i - 1];
    const auto& after = (*events)[i];
    CHECK(after.timestamp_ns >= before.timestamp_ns);
    if (before.type.ends_with("StateExited") && after.type.ends_with("StateEntered")) {
      CHECK(after.timestamp_ns == before.timestamp_ns);
      ++shared;
    }
  }
  CHECK(shared == 3);
}
