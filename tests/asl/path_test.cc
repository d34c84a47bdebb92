#include <doctest/doctest.h>

#include <string>

#include "stepflow/asl/json.h"
#include "stepflow/asl/path.h"

using stepflow::asl::JsonError;
using stepflow::asl::ParseJson;
using stepflow::asl::Path;
using stepflow::asl::ToJson;
using stepflow::asl::Value;

namespace {

Value J(const std::string& text) {
  Value v;
  JsonError e;
  INFO(text);
  REQUIRE(ParseJson(text, &v, &e));
  return v;
}

Path P(const std::string& text) {
  Path p;
  std::string error;
  INFO(text, ": ", error);
  REQUIRE(Path::Parse(text, &p, &error));
  return p;
}

// Evaluates `path` on `doc`: the result as JSON, or "error: <message>".
std::string Eval(const std::string& path, const std::string& doc) {
  Path p = P(path);
  Value out;
  std::string error;
  if (!p.Evaluate(J(doc), &out, &error)) return "error: " + error;
  return ToJson(out);
}

std::string ParseError(const std::string& path) {
  Path p;
  std::string error;
  if (Path::Parse(path, &p, &error)) return "accepted";
  return error;
}

}  // namespace

TEST_CASE("Definite paths read members and indexes") {
  CHECK(Eval("$", R"({"a":1})") == R"({"a":1})");
  CHECK(Eval("$.a.b", R"({"a":{"b":[1,2]}})") == "[1,2]");
  CHECK(Eval("$.a.b[1]", R"({"a":{"b":[1,2]}})") == "2");
  CHECK(Eval("$['a']['b'][0]", R"({"a":{"b":[1,2]}})") == "1");
  CHECK(Eval("$.a[-1]", R"({"a":[1,2,3]})") == "3");
}

TEST_CASE("Missing last member reports No results for path") {
  CHECK(Eval("$.NoSuchInputPath", "{}") == "error: No results for path: $['NoSuchInputPath']");
}

TEST_CASE("Missing intermediate member reports Missing property in path") {
  CHECK(Eval("$.no.such.result.path", "{}") == "error: Missing property in path $['no']");
}

TEST_CASE("Paths without a root are rejected") {
  CHECK(ParseError("a.b") == "a path must start with '$' at offset 0");
}
