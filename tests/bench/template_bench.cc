// Payload template + ResultPath evaluation per second on a realistic Parameters
// block, against a baseline in the same run: serialising the state input once
// (what writing one history event costs at least).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/path.h"
#include "stepflow/asl/payload_template.h"

namespace {

using stepflow::asl::Value;
using Clock = std::chrono::steady_clock;

Value Json(const char* text) {
  Value v;
  stepflow::asl::JsonError e;
  if (!stepflow::asl::ParseJson(text, &v, &e)) {
    std::fprintf(stderr, "bad JSON: %s\n", e.message.c_str());
    std::exit(1);
  }
  return v;
}

template <typename Fn>
double MedianOpsPerSecond(Fn fn, int iterations) {
  std::vector<double> rates;
  for (int round = 0; round < 7; ++round) {
    auto start = Clock::now();
    for (int i = 0; i < iterations; ++i) fn();
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    rates.push_back(iterations / seconds);
  }
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main() {
  Value input = Json(R"j({"order":{"id":"A-1001","customer":{"id":"c-7","tier":"gold","email":"a@example.com"},
      "lines":[{"sku":"pen","qty":3,"price":1.5},{"sku":"pad","qty":1,"price":4}],"total":8.5},
      "meta":{"source":"web","retries":0}})j");
  Value context = Json(R"j({"Execution":{"Id":"arn:aws:states:us-east-1:0:execution:sm:e1","Name":"e1"},
      "State":{"Name":"Price","RetryCount":0}})j");
  stepflow::asl::Diagnostics diagnostics;
  auto parameters = stepflow::asl::PayloadTemplate::Compile(
      Json(R"j({"orderId.$":"$.order.id","customer":{"id.$":"$.order.customer.id","tier.$":"$.order.customer.tier"},
           "firstSku.$":"$.order.lines[0].sku","total.$":"$.order.total",
           "label.$":"States.Format('order {} for {}', $.order.id, $.order.customer.email)",
           "execution.$":"$$.Execution.Name","source":"stepflow","static":{"a":1,"b":[1,2,3]}})j"),
      "/Parameters", &diagnostics);
  if (!diagnostics.empty()) {
    std::fprintf(stderr, "template did not compile: %s\n", diagnostics[0].message.c_str());
    return 1;
  }
  stepflow::asl::Path result_path;
  std::string error;
  if (!stepflow::asl::Path::Parse("$.priced.summary", &result_path, &error)) return 1;
  stepflow::asl::EvalEnv env;
  env.context = &context;

  size_t sink = 0;
  double evaluate = MedianOpsPerSecond(
      [&] {
        Value out, combined;
        stepflow::asl::Failure failure;
        if (!parameters.Evaluate(input, env, &out, &failure)) std::exit(1);
        if (!result_path.Assign(input, out, &combined, &error)) std::exit(1);
        sink += combined.AsObject().size();
      },
      200000);
  double serialise = MedianOpsPerSecond([&] { sink += stepflow::asl::ToJson(input).size(); }, 200000);
  std::printf("template + ResultPath: %.0f evaluations/s (median of 7)\n", evaluate);
  std::printf("baseline, serialise the input once: %.0f/s\n", serialise);
  std::printf("ratio evaluate/serialise: %.2f (sink %zu)\n", evaluate / serialise, sink);
  return 0;
}
