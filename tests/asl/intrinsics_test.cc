#include <doctest/doctest.h>

#include <random>
#include <string>

#include "stepflow/asl/errors.h"
#include "stepflow/asl/eval.h"
#include "stepflow/asl/intrinsics.h"
#include "stepflow/asl/json.h"

using stepflow::asl::EvalEnv;
using stepflow::asl::Failure;
using stepflow::asl::IntrinsicCall;
using stepflow::asl::JsonError;
using stepflow::asl::ParseJson;
using stepflow::asl::ToJson;
using stepflow::asl::Value;
namespace errors = stepflow::asl::errors;

namespace {

[[maybe_unused]] Value Json(const std::string& text) {
  Value v;
  JsonError e;
  REQUIRE_MESSAGE(ParseJson(text, &v, &e), text, ": ", e.message);
  return v;
}

bool Parses(const std::string& text, std::string* error = nullptr) {
  IntrinsicCall call;
  std::string e;
  bool ok = IntrinsicCall::Parse(text, &call, &e);
  if (error != nullptr) *error = e;
  return ok;
}

std::string ParseError(const std::string& text) {
  std::string e;
  CHECK_FALSE_MESSAGE(Parses(text, &e), text);
  return e;
}

}  // namespace

// ---- parsing ----------------------------------------------------------------------------------

TEST_CASE("LooksLikeCall recognises the States. prefix") {
  CHECK(IntrinsicCall::LooksLikeCall("States.Array(1)"));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall("$.States"));
  CHECK_FALSE(IntrinsicCall::LooksLikeCall("states.Array(1)"));
}

TEST_CASE("Intrinsic parse accepts every function name with its arity") {
  const char* ok[] = {
      "States.Format('x')",
      "States.Format('{} and {}', 1, 2)",
      "States.StringToJson('{}')",
      "States.JsonToString($)",
      "States.Array()",
      "States.Array(1, 'a', true, false, null, 1.5, -2)",
      "States.ArrayPartition($.a, 2)",
      "States.ArrayContains($.a, 2)",
      "States.ArrayRange(1, 9, 2)",
      "States.ArrayGetItem($.a, 0)",
      "States.ArrayLength($.a)",
      "States.ArrayUnique($.a)",
      "States.Base64Encode('x')",
      "States.Base64Decode('eA==')",
      "States.Hash('x', 'SHA-1')",
      "States.JsonMerge($.a, $.b, false)",
      "States.MathRandom(1, 10)",
      "States.MathRandom(1, 10, 7)",
      "States.MathAdd(1, -1)",
      "States.StringSplit('a,b', ',')",
      "States.UUID()",
  };
  for (const char* text : ok) {
    std::string e;
    CHECK_MESSAGE(Parses(text, &e), text, ": ", e);
  }
}

TEST_CASE("Intrinsic parse keeps the call text") {
  IntrinsicCall call;
  std::string e;
  REQUIRE(IntrinsicCall::Parse("States.Array( $.a , 1 )", &call, &e));
  CHECK(call.text() == "States.Array( $.a , 1 )");
}

TEST_CASE("Intrinsic parse rejects an unknown function") {
  CHECK(ParseError("States.Foo(1)") == "unknown intrinsic function 'States.Foo' at offset 0");
  CHECK(ParseError("States.Array(States.Nope())").find("'States.Nope'") != std::string::npos);
  CHECK(ParseError("States.format('x')").find("unknown intrinsic function") != std::string::npos);
}

TEST_CASE("Intrinsic parse rejects wrong argument counts") {
  CHECK(ParseError("States.ArrayRange(1, 2)") == "States.ArrayRange takes 3 arguments, got 2");
  CHECK(ParseError("States.UUID(1)") == "States.UUID takes 0 arguments, got 1");
  CHECK(ParseError("States.ArrayLength()") == "States.ArrayLength takes 1 argument, got 0");
  CHECK(ParseError("States.MathRandom(1)") == "States.MathRandom takes 2 or 3 arguments, got 1");
  CHECK(ParseError("States.MathRandom(1, 2, 3, 4)") == "States.MathRandom takes 2 or 3 arguments, got 4");
  CHECK(ParseError("States.Format()") == "States.Format takes at least 1 argument, got 0");
  CHECK(ParseError("States.JsonMerge($.a, $.b)") == "States.JsonMerge takes 3 arguments, got 2");
}

TEST_CASE("Intrinsic parse checks a literal States.Format template against its arguments") {
  CHECK(ParseError("States.Format('{} {}', 1)") ==
        "States.Format template has 2 placeholders but 1 argument follow it");
  CHECK(ParseError("States.Format('none', 1)") ==
        "States.Format template has 0 placeholders but 1 argument follow it");
  CHECK(Parses("States.Format('\\{} {}', 1)"));  // an escaped brace is no placeholder
  CHECK(Parses("States.Format($.template, 1, 2, 3)"));  // a path template is checked at run time
  CHECK(ParseError("States.Format(1)") == "the first argument of States.Format must be a string");
}

TEST_CASE("Intrinsic parse rejects bad syntax with a position") {
  CHECK(ParseError("States.Array(1, 2") == "missing ')' to close States.Array at offset 17");
  CHECK(ParseError("States.Array(1 2)") == "expected ',' or ')' at offset 15");
  CHECK(ParseError("States.Array(1,)") == "unexpected character ')' at offset 15");
  CHECK(ParseError("States.Array(1) x") == "unexpected text after the call at offset 16");
  CHECK(ParseError("States.Array('abc)") == "unterminated string literal starting at offset 13");
  CHECK(ParseError("States.Array(\"abc\")") == "unexpected character '\"' at offset 13");
  CHECK(ParseError("States.Array(truex)") == "unexpected 'truex' at offset 13");
  CHECK(ParseError("States.Array(1a)") == "invalid number at offset 14");
  CHECK(ParseError("States.Array(-)") == "expected a digit at offset 14");
  CHECK(ParseError("States.Array") == "expected '(' after States.Array at offset 12");
  CHECK(ParseError("Array(1)") == "expected 'States.' at offset 0");
  CHECK(ParseError("States.Array('a\\nb')").find("invalid escape sequence") != std::string::npos);
}

TEST_CASE("Intrinsic parse caps nesting depth instead of exhausting the stack") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "States.Array(";
  for (int i = 0; i < 100000; ++i) deep += ")";
  CHECK(ParseError(deep) == "intrinsic calls nest deeper than 64 levels");

  std::string ok;
  for (int i = 0; i < 64; ++i) ok += "States.Array(";
  for (int i = 0; i < 64; ++i) ok += ")";
  CHECK(Parses(ok));
}
