// LambdaInvoker on its own: the state's deadline and the idempotency key.

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>

#include "../engine/dispatch/lambda.h"  // an engine internal; tests may include those
#include "testing/asl_helpers.h"
#include "testing/loopback_function_server.h"

namespace {

using stepflow::engine::HttpClient;
using stepflow::engine::LambdaInvoker;
using stepflow::engine::LambdaStyle;
using stepflow::engine::TaskOutcome;
using stepflow::testing::Invocation;
using stepflow::testing::Json;
using stepflow::testing::LoopbackFunctionServer;
using stepflow::testing::Reply;
using stepflow::testing::Watchdog;
using namespace std::chrono_literals;

}  // namespace

TEST_CASE("LambdaInvoker fails with States.Timeout past the given deadline and sends the idempotency key") {
  Watchdog watchdog(30s, "lambda deadline");
  LoopbackFunctionServer server;
  server.Define("Slow", [](const Invocation&) {
    Reply r;
    r.delay = 3s;
    return r;
  });
  server.Define("Fast", [](const Invocation& i) {
    Reply r;
    r.body = i.body;
    return r;
  });
  boost::asio::io_context io;
  HttpClient client(io, 1 << 20);
  LambdaInvoker invoker(&client, server.endpoint(), {}, 1 << 20);
  auto run = [&](const std::string& function, int64_t timeout_ms) {
    std::optional<TaskOutcome> outcome;
    invoker.Invoke(LambdaStyle::kFunctionArn, "arn:aws:lambda:us-east-1:000000000000:function:" + function,
                   Json(R"({"x":1})"), "idem-" + function, [&](TaskOutcome o) { outcome = std::move(o); },
                   timeout_ms);
    io.restart();
    for (auto start = std::chrono::steady_clock::now(); !outcome && std::chrono::steady_clock::now() - start < 10s;) {
      io.run_for(20ms);
    }
    REQUIRE(outcome.has_value());
    return *outcome;
  };
  auto start = std::chrono::steady_clock::now();
  TaskOutcome slow = run("Slow", 300);
  CHECK(std::chrono::steady_clock::now() - start < 2s);
  CHECK(!slow.ok);
  CHECK(slow.failure.error == "States.Timeout");
  TaskOutcome fast = run("Fast", 5000);
  REQUIRE(fast.ok);
  CHECK(fast.result == Json(R"({"x":1})"));
  CHECK(server.invocations("Fast").at(0).idempotency_key == "idem-Fast");
  CHECK(server.invocations("Slow").size() == 1);
}

TEST_CASE("Lambda resources are told apart as before: full ARNs, aliases, shortened forms and the rest") {
  using stepflow::engine::ClassifyLambdaResource;
  CHECK(ClassifyLambdaResource("arn:aws:lambda:us-east-1:123456789012:function:echo") == LambdaStyle::kFunctionArn);
  CHECK(ClassifyLambdaResource("arn:aws:lambda:us-east-1:123456789012:function:echo:prod") ==
        LambdaStyle::kFunctionArn);
  CHECK(ClassifyLambdaResource("arn:aws:lambda:us-east-1:function:echo") == LambdaStyle::kFunctionArn);
  CHECK(ClassifyLambdaResource("arn:aws:lambda:us-east-1:123456789012:layer:x") == LambdaStyle::kNone);
  CHECK(ClassifyLambdaResource("arn:aws:lambda:") == LambdaStyle::kNone);
  CHECK(ClassifyLambdaResource("arn:aws:states:::lambda:invoke") == LambdaStyle::kInvoke);
  CHECK(ClassifyLambdaResource("arn:aws:states:::lambda:invoke.waitForTaskToken") == LambdaStyle::kInvoke);
  CHECK(ClassifyLambdaResource("arn:aws:states:::http:invoke") == LambdaStyle::kNone);
}
