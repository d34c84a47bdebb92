#include "stepflow/asl/jsonata.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "stepflow/asl/json.h"

using stepflow::asl::ParseJson;
using stepflow::asl::ToJson;
using stepflow::asl::Value;
namespace jsonata = stepflow::asl::jsonata;

namespace {

Value Json(const std::string& text) {
  Value v;
  stepflow::asl::JsonError e;
  REQUIRE(ParseJson(text, &v, &e));
  return v;
}

struct Outcome {
  bool ok = false;
  std::optional<Value> value;
  jsonata::Error error;
};

Outcome Run(const std::string& expr, const Value* input = nullptr,
            const jsonata::Bindings& bindings = {}, const jsonata::Limits& limits = {},
            const jsonata::Options& options = {}) {
  Outcome out;
  jsonata::Expression e;
  if (!jsonata::Expression::Compile(expr, &e, &out.error, options)) return out;
  out.ok = e.Evaluate(input, bindings, limits, &out.value, &out.error);
  return out;
}

std::string ResultJson(const std::string& expr, const std::string& input_json) {
  Value input = Json(input_json);
  Outcome o = Run(expr, &input);
  INFO(o.error.code, ": ", o.error.message);
  REQUIRE(o.ok);
  REQUIRE(o.value.has_value());
  return ToJson(*o.value);
}

}  // namespace

TEST_CASE("JSONata path navigation flattens sequences and keeps member order") {
  const std::string doc = R"({"a":[{"b":1,"c":"x"},{"b":[2,3]}],"z":{"y":1,"x":2}})";
  CHECK(ResultJson("a.b", doc) == "[1,2,3]");
  CHECK(ResultJson("a[0].c", doc) == "\"x\"");
  CHECK(ResultJson("$keys(z)", doc) == "[\"y\",\"x\"]");
  CHECK(ResultJson("a.b[]", R"({"a":{"b":1}})") == "[1]");
  CHECK(ResultJson("$sum(a.b) * 2", doc) == "12");
}

TEST_CASE("JSONata compile errors carry the reference error codes and positions") {
  jsonata::Expression e;
  jsonata::Error err;
  CHECK_FALSE(jsonata::Expression::Compile("Account.Order[0", &e, &err));
  CHECK(err.code == "S0203");
  CHECK_FALSE(jsonata::Expression::Compile("[1!2]", &e, &err));
  CHECK(err.code == "S0204");
  CHECK_FALSE(jsonata::Expression::Compile("\"unterminated", &e, &err));
  CHECK(err.code == "S0101");
  CHECK_FALSE(jsonata::Expression::Compile("function($x)<n-n:n{$x}", &e, &err));
  CHECK_FALSE(jsonata::Expression::Compile("λ($arg)<n<n>>{$arg}", &e, &err));
  CHECK(err.code == "S0401");
  CHECK_FALSE(jsonata::Expression::Compile("1 + ", &e, &err));
  CHECK(err.code == "S0207");
  CHECK(err.position >= 0);
  CHECK_FALSE(e.valid());
  CHECK(jsonata::Expression::Compile("1 + 1", &e, &err));
  CHECK(e.valid());
}

TEST_CASE("JSONata distinguishes undefined from null") {
  Outcome missing = Run("foo", nullptr);
  REQUIRE(missing.ok);
  CHECK_FALSE(missing.value.has_value());

  Value null_input;
  Outcome null_result = Run("$", &null_input);
  REQUIRE(null_result.ok);
  REQUIRE(null_result.value.has_value());
  CHECK(null_result.value->is_null());

  Value obj = Json(R"({"a":null})");
  Outcome a = Run("a", &obj);
  REQUIRE(a.value.has_value());
  CHECK(a.value->is_null());
  CHECK_FALSE(Run("b", &obj).value.has_value());
  CHECK(ToJson(*Run("$exists(b)", &obj).value) == "false");
}

TEST_CASE("JSONata bindings are visible as variables") {
  jsonata::Bindings b;
  b["x"] = Value::Int(5);
  b["name"] = Value::String("Ada");
  Outcome o = Run("$x * 2 & ' ' & $name", nullptr, b);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "\"10 Ada\"");
}

TEST_CASE("JSONata evaluation errors are values, not exceptions") {
  Value input = Json(R"({"s":"text"})");
  Outcome o = Run("s + 1", &input);
  CHECK_FALSE(o.ok);
  CHECK(o.error.code == "T2001");
  o = Run("$error('boom')");
  CHECK(o.error.code == "D3137");
  CHECK(o.error.message == "boom");
  o = Run("$string(1/0)");
  CHECK(o.error.code == "D3001");
}

TEST_CASE("JSONata depth limit stops runaway recursion with U1001") {
  jsonata::Limits limits;
  limits.max_depth = 300;
  Outcome o = Run("($f := function($n){$n + $f($n-1)}; $f(5))", nullptr, {}, limits);
  CHECK_FALSE(o.ok);
  CHECK(o.error.code == "U1001");
  // tail calls do not grow the depth
  o = Run("($f := function($n){$n = 0 ? 'done' : $f($n-1)}; $f(10000))", nullptr, {}, limits);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "\"done\"");
}

TEST_CASE("JSONata time limit stops long evaluations with U1001") {
  jsonata::Limits limits;
  limits.timelimit_ms = 50;
  Outcome o = Run("($f := function($n){$f($n+1)}; $f(0))", nullptr, {}, limits);
  CHECK_FALSE(o.ok);
  CHECK(o.error.code == "U1001");
}

TEST_CASE("JSONata deep nesting fails cleanly instead of overflowing the stack") {
  std::string deep(200000, '(');
  Outcome o = Run(deep + "1" + std::string(200000, ')'));
  CHECK(o.error.code == "U1001");
  o = Run("($f := function($n){$n = 0 ? 0 : 1 + $f($n-1)}; $f(1000000))");
  CHECK_FALSE(o.ok);
  CHECK(o.error.code == "U1001");
  o = Run("$reduce([1..200000], function($acc, $x){{'a': $acc}}, {}) ~> $string()");
  CHECK(o.error.code == "U1001");
}

TEST_CASE("JSONata's $string escapes a control character as JSON.stringify does, in lower-case hex") {
  CHECK(Run(R"($string({"a": "\u001f\t"}))").value->AsString() == R"({"a":"\u001f\t"})");
}

TEST_CASE("JSONata follows JavaScript number formatting") {
  CHECK(ToJson(*Run("$string(1e21)").value) == "\"1e+21\"");
  CHECK(ToJson(*Run("$string(0.1 + 0.2)").value) == "\"0.3\"");
  CHECK(ToJson(*Run("$string(1e-7)").value) == "\"1e-7\"");
  CHECK(ToJson(*Run("'' & 100000000000000000000").value) == "\"100000000000000000000\"");
  CHECK(ToJson(*Run("$round(2.5)").value) == "2");
  CHECK(ToJson(*Run("$formatNumber(1234.5, '#,##0.00')").value) == "\"1,234.50\"");
  CHECK(ToJson(*Run("$fromMillis(0)").value) == "\"1970-01-01T00:00:00.000Z\"");
}

TEST_CASE("JSONata regular expressions use JavaScript-like semantics") {
  CHECK(ToJson(*Run("$replace('abcabc', /b(c)/, '[$1]')").value) == "\"a[c]a[c]\"");
  CHECK(ToJson(*Run("$contains('Hat', /hat/i)").value) == "true");
  CHECK(ToJson(*Run("$split('a1b22c', /\\d+/)").value) == "[\"a\",\"b\",\"c\"]");
}

TEST_CASE("Step Functions mode adds the AWS functions and removes $eval") {
  jsonata::Options sfn;
  sfn.step_functions = true;
  Outcome o = Run("$partition([1,2,3,4,5], 2)", nullptr, {}, {}, sfn);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "[[1,2],[3,4],[5]]");
  o = Run("$hash('abc', 'SHA-256')", nullptr, {}, {}, sfn);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "\"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\"");
  o = Run("$parse('{\"a\":[1]}').a", nullptr, {}, {}, sfn);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "[1]");
  o = Run("$range(0, 10, 5)", nullptr, {}, {}, sfn);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "[0,5,10]");
  o = Run("$length($uuid())", nullptr, {}, {}, sfn);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "36");
  CHECK_FALSE(Run("$eval('1+1')", nullptr, {}, {}, sfn).ok);
  CHECK(ToJson(*Run("$eval('1+1')").value) == "2");
}

TEST_CASE("Host functions can be registered with a signature") {
  jsonata::Options options;
  options.functions["greet"] = {"<s:s>", [](const std::vector<std::optional<Value>>& args,
                                            std::optional<Value>* result, jsonata::Error*) {
                                  *result = Value::String("hello " + args[0]->AsString());
                                  return true;
                                }};
  options.functions["fail"] = {
      "", [](const std::vector<std::optional<Value>>&, std::optional<Value>*, jsonata::Error* err) {
        err->code = "H0001";
        err->message = "nope";
        return false;
      }};
  Outcome o = Run("$greet('bob')", nullptr, {}, {}, options);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "\"hello bob\"");
  o = Run("$greet(1)", nullptr, {}, {}, options);
  CHECK(o.error.code == "T0410");
  o = Run("$fail()", nullptr, {}, {}, options);
  CHECK(o.error.code == "H0001");
}

TEST_CASE("A compiled expression can be evaluated concurrently") {
  jsonata::Expression e;
  jsonata::Error err;
  REQUIRE(jsonata::Expression::Compile("$sum(items.(price * qty)) & ' ' & 'total'", &e, &err));
  Value input = Json(R"({"items":[{"price":2,"qty":3},{"price":1.5,"qty":2}]})");
  std::vector<std::thread> threads;
  std::vector<std::string> results(4);
  for (int t = 0; t < 4; t++) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 200; i++) {
        std::optional<Value> out;
        jsonata::Error e2;
        if (e.Evaluate(&input, {}, {}, &out, &e2) && out) results[t] = ToJson(*out);
      }
    });
  }
  for (auto& th : threads) th.join();
  for (auto& r : results) CHECK(r == "\"9 total\"");
}

TEST_CASE("The clock and the random seed can be injected") {
  jsonata::Options options;
  options.clock_ms = [] { return int64_t{1521801216617}; };
  options.random_seed = [] { return uint64_t{42}; };
  Outcome o = Run("$now()", nullptr, {}, {}, options);
  REQUIRE(o.ok);
  CHECK(ToJson(*o.value) == "\"2018-03-23T10:33:36.617Z\"");
  CHECK(ToJson(*Run("$millis()", nullptr, {}, {}, options).value) == "1521801216617");
  std::string first = ToJson(*Run("$random()", nullptr, {}, {}, options).value);
  CHECK(ToJson(*Run("$random()", nullptr, {}, {}, options).value) == first);
}
