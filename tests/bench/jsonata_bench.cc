// JSONata evaluations per second on typical Step Functions expressions, with
// `$states` bound to {input, context} as the engine binds it (input: an order of
// 50 items). Each expression is compiled once and evaluated repeatedly; a round
// runs batches until it has lasted at least --min-seconds, and the figure is the
// median rate of --rounds rounds (after one untimed warm-up round).
//
// The baseline is the reference implementation (npm jsonata 2.0.6 under node),
// run by jsonata_bench.sh with the exact workload this program prints with
// --workload, so both sides see the same expressions, data and bindings.
//
//   jsonata_bench [--min-seconds S] [--rounds N] [--only NAME] [--tsv]
//   jsonata_bench --workload        # the workload as JSON, for the reference
//
// --tsv prints "name<TAB>evals/s<TAB>result JSON" per expression (the result is
// "undefined" when the expression yields nothing), for jsonata_bench.sh.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/jsonata.h"
#include "stepflow/asl/value.h"

namespace {

namespace asl = stepflow::asl;
namespace jsonata = stepflow::asl::jsonata;
using asl::Value;
using Clock = std::chrono::steady_clock;

struct Case {
  const char* name;
  const char* text;
};

// Typical Output / Arguments / Assign / Condition expressions.
const Case kCases[] = {
    {"filter-project", R"($states.input.items[price > 10].{"id": id, "total": price * qty})"},
    {"sum-product", R"($sum($states.input.items.(price * qty)))"},
    {"concat", R"($states.input.customer.name & " <" & $states.input.customer.email & ">")"},
    {"count-filter", R"($count($states.input.items[category = "book"]))"},
    {"map-lambda", R"($map($states.input.items, function($v) { $v.price * 1.2 }))"},
    {"context-lookup", R"($states.context.Execution.Name)"},
    {"object-build",
     R"({"orderId": $states.input.orderId, "customer": $states.input.customer.name, )"
     R"("items": $count($states.input.items), "express": $states.input.shipping.express})"},
    {"condition", R"($states.input.shipping.express and $states.input.customer.tier = "gold")"},
};

// Deterministic order: 50 items, prices 0.5 .. 49.5 with some integral ones.
std::string InputJson() {
  static const char* kCategories[] = {"book", "toy", "food", "tool", "game"};
  std::string s = R"({"orderId":"ORD-2024-000917","customer":{"id":"c-4711","name":"Ada Lovelace",)"
                  R"("email":"ada@example.com","tier":"gold"},"shipping":{"express":true,)"
                  R"("address":{"city":"London","zip":"NW1"}},"items":[)";
  for (int i = 0; i < 50; ++i) {
    if (i > 0) s += ",";
    char buf[256];
    double price = (i % 4 == 0) ? (i + 1) : (i * 1.37 + 0.5);
    std::snprintf(buf, sizeof buf,
                  R"({"id":"sku-%03d","name":"Item %d","category":"%s","price":%.2f,"qty":%d,)"
                  R"("tags":["t%d","t%d"]})",
                  i, i, kCategories[(i * 7) % 5], price, 1 + (i * 3) % 5, i % 3, i % 7);
    s += buf;
  }
  s += "]}";
  return s;
}

const char kContextJson[] =
    R"({"Execution":{"Id":"arn:aws:states:us-east-1:123456789012:execution:orders:run-0917",)"
    R"("Input":{},"Name":"run-0917","RoleArn":"arn:aws:iam::123456789012:role/sfn",)"
    R"("StartTime":"2024-05-01T12:00:00.000Z","RedriveCount":0},)"
    R"("State":{"EnteredTime":"2024-05-01T12:00:01.000Z","Name":"Price","RetryCount":0},)"
    R"("StateMachine":{"Id":"arn:aws:states:us-east-1:123456789012:stateMachine:orders",)"
    R"("Name":"orders"},"Task":{"Token":"t"}})";

Value Json(const std::string& text) {
  Value v;
  asl::JsonError e;
  if (!asl::ParseJson(text, &v, &e)) {
    std::fprintf(stderr, "bad JSON: %s\n", e.message.c_str());
    std::exit(1);
  }
  return v;
}

struct Options {
  double min_seconds = 0.5;
  int rounds = 5;
  const char* only = nullptr;
  bool tsv = false;
  bool workload = false;
};

void Usage() {
  std::fprintf(stderr,
               "usage: jsonata_bench [--min-seconds S] [--rounds N] [--only NAME] [--tsv]\n"
               "       jsonata_bench --workload [--min-seconds S] [--rounds N] [--only NAME]\n");
  std::exit(2);
}

Options ParseArgs(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) Usage();
      return argv[++i];
    };
    if (!std::strcmp(argv[i], "--min-seconds")) {
      o.min_seconds = std::atof(value());
    } else if (!std::strcmp(argv[i], "--rounds")) {
      o.rounds = std::atoi(value());
    } else if (!std::strcmp(argv[i], "--only")) {
      o.only = value();
    } else if (!std::strcmp(argv[i], "--tsv")) {
      o.tsv = true;
    } else if (!std::strcmp(argv[i], "--workload")) {
      o.workload = true;
    } else {
      Usage();
    }
  }
  if (o.rounds < 1 || o.min_seconds < 0) Usage();
  return o;
}

bool Selected(const Options& o, const Case& c) { return o.only == nullptr || !std::strcmp(o.only, c.name); }

// The workload for jsonata_reference.js: settings, the bound `states`, cases.
void PrintWorkload(const Options& o, const Value& states) {
  std::string s = "{\"min_seconds\":" + std::to_string(o.min_seconds) +
                  ",\"rounds\":" + std::to_string(o.rounds) + ",\"bindings\":{\"states\":";
  asl::AppendJson(states, &s);
  s += "},\"cases\":[";
  bool first = true;
  for (const Case& c : kCases) {
    if (!Selected(o, c)) continue;
    if (!first) s += ",";
    first = false;
    s += "{\"name\":";
    asl::AppendJsonString(c.name, &s);
    s += ",\"expression\":";
    asl::AppendJsonString(c.text, &s);
    s += "}";
  }
  s += "]}\n";
  std::fputs(s.c_str(), stdout);
}

// Runs `fn` in batches of `batch` until `min_seconds` have passed; returns calls/s.
template <typename Fn>
double TimedRound(Fn& fn, long batch, double min_seconds) {
  long calls = 0;
  auto start = Clock::now();
  double seconds = 0;
  do {
    for (long i = 0; i < batch; ++i) fn();
    calls += batch;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  } while (seconds < min_seconds);
  return calls / seconds;
}

// Warm-up, batch size so that one batch takes ~5 ms, then the median of `rounds`.
template <typename Fn>
double MedianRate(Fn fn, const Options& o) {
  long batch = 1;
  for (;;) {
    auto start = Clock::now();
    for (long i = 0; i < batch; ++i) fn();
    if (std::chrono::duration<double>(Clock::now() - start).count() >= 0.005 || batch >= (1L << 30)) break;
    batch *= 2;
  }
  TimedRound(fn, batch, o.min_seconds);  // warm-up round, as the reference gets one
  std::vector<double> rates;
  for (int r = 0; r < o.rounds; ++r) rates.push_back(TimedRound(fn, batch, o.min_seconds));
  std::sort(rates.begin(), rates.end());
  return rates[rates.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o = ParseArgs(argc, argv);
  // Bound exactly as engine/execution_jsonata.cc binds it: $states = {input, context}.
  Value states = Value::MakeObject({{"input", Json(InputJson())}, {"context", Json(kContextJson)}});
  if (o.workload) {
    PrintWorkload(o, states);
    return 0;
  }
  jsonata::Bindings bindings;
  bindings["states"] = states;

  jsonata::Options compile_options;
  compile_options.step_functions = true;
  const jsonata::Limits limits;  // the engine's defaults
  size_t sink = 0;
  bool any = false;
  if (!o.tsv) std::printf("%-16s %14s  %s\n", "expression", "evals/s", "result");
  for (const Case& c : kCases) {
    if (!Selected(o, c)) continue;
    any = true;
    jsonata::Expression expr;
    jsonata::Error err;
    if (!jsonata::Expression::Compile(c.text, &expr, &err, compile_options)) {
      std::fprintf(stderr, "%s: compile failed: %s %s\n", c.name, err.code.c_str(), err.message.c_str());
      return 1;
    }
    // The engine passes no input document: everything comes through $states.
    std::optional<Value> out;
    if (!expr.Evaluate(nullptr, bindings, limits, &out, &err)) {
      std::fprintf(stderr, "%s: evaluation failed: %s %s\n", c.name, err.code.c_str(), err.message.c_str());
      return 1;
    }
    std::string result = out ? asl::ToJson(*out) : "undefined";
    double rate = MedianRate(
        [&] {
          std::optional<Value> r;
          jsonata::Error e;
          if (!expr.Evaluate(nullptr, bindings, limits, &r, &e)) std::exit(1);
          sink += r.has_value();
        },
        o);
    if (o.tsv) {
      std::printf("%s\t%.0f\t%s\n", c.name, rate, result.c_str());
    } else {
      if (result.size() > 60) result = result.substr(0, 57) + "...";
      std::printf("%-16s %14.0f  %s\n", c.name, rate, result.c_str());
    }
    std::fflush(stdout);
  }
  if (!any) {
    std::fprintf(stderr, "no expression named %s\n", o.only);
    return 2;
  }
  if (!o.tsv) std::printf("(median of %d rounds of >= %.2f s; sink %zu)\n", o.rounds, o.min_seconds, sink);
  return 0;
}
