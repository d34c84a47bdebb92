#include "stepflow/asl/json.h"

#include <doctest/doctest.h>

#include <limits>
#include <string>
#include <vector>

using stepflow::asl::AppendJsonAsString;
using stepflow::asl::AppendJsonString;
using stepflow::asl::Array;
using stepflow::asl::JsonError;
using stepflow::asl::JsonLimits;
using stepflow::asl::ParseJson;
using stepflow::asl::ToJson;
using stepflow::asl::Value;

TEST_CASE("JSON round-trips objects in member order") {
  Value v;
  JsonError e;
  REQUIRE(ParseJson(R"({"b":1,"a":[true,null,"x",1.5,-3]})", &v, &e));
  CHECK(ToJson(v) == R"({"b":1,"a":[true,null,"x",1.5,-3]})");
  CHECK(v.Find("a")->AsArray().size() == 5);
  CHECK(v.Find("zz") == nullptr);
}

TEST_CASE("JSON numbers compare by value") {
  Value a, b;
  JsonError e;
  REQUIRE(ParseJson("[1, 2.0]", &a, &e));
  REQUIRE(ParseJson("[1.0, 2]", &b, &e));
  CHECK(a == b);
}

TEST_CASE("JSON syntax errors give line and column") {
  Value v;
  JsonError e;
  CHECK_FALSE(ParseJson("{\n  \"a\": 1,\n  \"b\" 2\n}", &v, &e));
  CHECK(e.line == 3);
  CHECK(e.column == 7);
  CHECK(e.message.find("colon") != std::string::npos);
}

TEST_CASE("Plain JSON reads as the full parser reads it, and anything else is left to the full parser") {
  // ParseJson reads plain text (no escapes, integers only) itself. Beside an
  // escaped string the same document goes to rapidjson: both must agree.
  std::string wide = "{";
  for (int i = 0; i < 20; ++i)
    wide += (i ? "," : "") + std::string("\"k") + std::to_string(i) + "\":" + std::to_string(i);
  wide += "}";
  for (std::string doc :
       {std::string("0"), std::string("-1"), std::string("123456789012345678"), std::string("-123456789012345678"),
        std::string("{}"), std::string("[]"),
        std::string(" {\t\"a\" :\r\n[ 1 , { } , [ ] , \"x y\" ] , \"b\" : null } "), std::string(R"({"a":1,"a":2})"),
        std::string("true"), std::string("false"), std::string(R"("~ !#$%&'()*+,-./:;<=>?@[]^_`{|}")"), wide,
        std::string(R"([[[[[[[[[[{"deep":[[["yes"]]]}]]]]]]]]]])")}) {
    CAPTURE(doc);
    Value plain, full;
    JsonError e;
    REQUIRE(ParseJson(doc, &plain, &e));
    REQUIRE(ParseJson("[" + doc + R"(,"a"])", &plain, &e));
    REQUIRE(ParseJson("[" + doc + R"(,"\u0061"])", &full, &e));
    CHECK(ToJson(plain) == ToJson(full));  // the same members, in order, and the same number types
  }
  // Text the plain reader gives up on, read by rapidjson as before.
  Value v;
  JsonError e;
  REQUIRE(ParseJson("9223372036854775807", &v, &e));
  CHECK(v.AsInt() == std::numeric_limits<int64_t>::max());
  REQUIRE(ParseJson("[1.5, 1e3, -2]", &v, &e));
  CHECK(ToJson(v) == "[1.5,1000.0,-2]");
  REQUIRE(ParseJson(R"({"tab":"a\tb","del":"\u007f"})", &v, &e));
  CHECK(v.Find("tab")->AsString() == "a\tb");
  for (const char* bad :
       {"01", "-", "[1,]", R"({"a":1,})", "[1 2]", R"({"a" 1})", R"("abc)", "tru", "123abc", "{", "", "-01", "[1]]"}) {
    CAPTURE(bad);
    CHECK_FALSE(ParseJson(bad, &v, &e));
    CHECK_FALSE(e.message.empty());
  }
}

TEST_CASE("JSON nested 100,000 levels deep is rejected, not a crash") {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  Value v;
  JsonError e;
  CHECK_FALSE(ParseJson(deep, &v, &e));
  CHECK(e.message.find("Nesting deeper than 1000") != std::string::npos);
}

TEST_CASE("JSON nested exactly as deep as the limit parses; one level more is refused") {
  Value v;
  JsonError e;
  std::string at_limit = std::string(1000, '[') + "7" + std::string(1000, ']');
  REQUIRE(ParseJson(at_limit, &v, &e));
  const Value* inner = &v;
  for (int depth = 0; depth < 1000; ++depth) {
    REQUIRE(inner->is_array());
    REQUIRE(inner->AsArray().size() == 1);
    inner = &inner->AsArray()[0];
  }
  CHECK(inner->AsInt() == 7);
  CHECK_FALSE(ParseJson("[" + at_limit + "]", &v, &e));
  CHECK(e.message.find("Nesting deeper than 1000") != std::string::npos);
}

TEST_CASE("A parse that fails leaves nothing behind for the next one") {
  // Parses share their stacks per thread: a failure stops with values still on them.
  for (const char* bad : {R"({"a":[1,2,{"b":"x","c":[true,)", R"([[[{"k":1}]]], 5)", R"({"a":1,"b":})"}) {
    Value v;
    JsonError e;
    CHECK_FALSE(ParseJson(bad, &v, &e));
    REQUIRE(ParseJson(R"({"z":[3,{"y":null}],"w":"t"})", &v, &e));
    CHECK(ToJson(v) == R"({"z":[3,{"y":null}],"w":"t"})");
  }
  std::string wide = "[";
  for (int i = 0; i < 5000; ++i) wide += (i ? "," : "") + std::string(R"({"i":")") + std::string(20, 'x') + R"("})";
  Value v;
  JsonError e;
  REQUIRE(ParseJson(wide + "]", &v, &e));
  CHECK(v.AsArray().size() == 5000);
  CHECK_FALSE(ParseJson(wide, &v, &e));  // unterminated, after 5,000 items
  REQUIRE(ParseJson("[1]", &v, &e));
  CHECK(ToJson(v) == "[1]");
}

TEST_CASE("A NUL byte in JSON text is an error where it stands; escapes decode alike in small and large documents") {
  Value v;
  JsonError e;
  using namespace std::string_literals;
  CHECK_FALSE(ParseJson("{}\0{}"s, &v, &e));
  CHECK(e.offset == 2);
  CHECK_FALSE(ParseJson("[\"a\0b\"]"s, &v, &e));
  CHECK(e.offset == 3);
  CHECK(e.message.find("NUL") != std::string::npos);
  const std::string escaped = R"(["a\u0000b\n\"\u00e9\ud83d\ude42", "tail"])";
  REQUIRE(ParseJson(escaped, &v, &e));
  CHECK(v.AsArray()[0].AsString() == "a\0b\n\"\xc3\xa9\xf0\x9f\x99\x82"s);
  CHECK(v.AsArray()[1].AsString() == "tail");
  // Past 64 KiB a document is read where it lies, not from a copy.
  const std::string large = "[" + std::string(70 * 1024, ' ') + escaped + "]";
  Value big;
  REQUIRE(ParseJson(large, &big, &e));
  CHECK(big.AsArray()[0] == v);
}

TEST_CASE("JSON with valid UTF-8 beyond ASCII keeps its bytes") {
  Value v;
  JsonError e;
  REQUIRE(ParseJson("{\"caf\xc3\xa9\": [\"\xf0\x9f\x99\x82\", 1]}", &v, &e));
  const Value* item = v.Find("caf\xc3\xa9");
  REQUIRE(item != nullptr);
  CHECK(item->AsArray()[0].AsString() == "\xf0\x9f\x99\x82");
}

TEST_CASE("JSON with invalid UTF-8 is rejected") {
  Value v;
  JsonError e;
  CHECK_FALSE(ParseJson("\"\xff\xfe\"", &v, &e));
  CHECK(e.message.find("encoding") != std::string::npos);
}

TEST_CASE("JSON over the size limit is rejected before parsing") {
  JsonLimits limits;
  limits.max_bytes = 10;
  Value v;
  JsonError e;
  CHECK_FALSE(ParseJson("[1,2,3,4,5,6,7,8]", &v, &e, limits));
  CHECK(e.message.find("over the limit") != std::string::npos);
}

TEST_CASE("JSON numbers out of range are rejected") {
  Value v;
  JsonError e;
  CHECK_FALSE(ParseJson("1e999", &v, &e));
  CHECK(ParseJson("123456789012345678901234567890", &v, &e));
  CHECK(v.is_number());
}

TEST_CASE("JSON strings are escaped as rapidjson's Writer escapes them") {
  std::string out;
  AppendJsonString(std::string_view("a\"b\\c\n\t\x01\x1f/\xc3\xa9 \x7f\0", 15), &out);
  CHECK(out == "\"a\\\"b\\\\c\\n\\t\\u0001\\u001F/\xc3\xa9 \x7f\\u0000\"");
  out.clear();
  AppendJsonString("plain", &out);
  CHECK(out == "\"plain\"");
  out.clear();
  // JavaScript's JSON.stringify, which JSONata follows, writes lower-case hex.
  AppendJsonString(std::string_view("\x1f\n\x0b", 3), &out, stepflow::asl::HexDigits::kLower);
  CHECK(out == "\"\\u001f\\n\\u000b\"");
}

TEST_CASE("JSON sizes are counted as ToJson writes them") {
  for (const char* text : {"null", "true", "false", "0", "-9223372036854775808", "1e300", "0.1", "-0.25",
                           R"("")", R"("\u0001\u001f\"\\ é 😀")", "[]", "{}", R"([1,[2,[3,{}]],{"a":[]}])",
                           R"({"k\"ey\n":{"":null,"x":[true,false,"\t"]},"n":123456789012})"}) {
    Value v;
    JsonError e;
    REQUIRE_MESSAGE(ParseJson(text, &v, &e), std::string(text));
    CHECK_MESSAGE(JsonSize(v) == ToJson(v).size(), std::string(text));
  }
  CHECK(JsonSize(Value::Double(std::numeric_limits<double>::infinity())) == 4);  // written as null
}

TEST_CASE("A size limit is judged as the exact size would judge it") {
  std::vector<Value> values;
  for (const char* text :
       {"null", "false", "-9223372036854775808", "-2.2250738585072014e-308", "0.000001234567890123456",
        R"("\u0001\u001f\"\\")", R"({"k\"ey\n":{"":null,"x":[true,false,"\t\t\t"]},"n":1})"}) {
    Value v;
    JsonError e;
    REQUIRE_MESSAGE(ParseJson(text, &v, &e), std::string(text));
    values.push_back(v);
  }
  values.push_back(Value::String(std::string(1000, '\x01')));  // each byte six when written
  values.push_back(Value::MakeArray(Array(300, Value::String("abc"))));
  // Values made from others (as a state's output is) carry their parts' bounds.
  values.push_back(Value::MakeObject({{"in", values[6]}, {"all", Value::MakeArray(values)}}));
  for (const Value& v : values) {
    size_t size = JsonSize(v);
    CHECK_MESSAGE(v.JsonSizeBound() >= size, ToJson(v));
    for (size_t limit : {size_t{0}, size - 1, size, size + 1, 6 * size, 100 * size}) {
      CHECK_MESSAGE(JsonSizeOver(v, limit) == (size > limit), ToJson(v) << " against " << limit);
    }
  }
}

TEST_CASE("String sizes count each escaped byte wherever it sits in the string") {
  for (size_t length = 1; length <= 19; ++length) {
    for (int byte = 0; byte < 0x80; ++byte) {
      for (size_t at : {size_t{0}, length / 2, length - 1}) {
        std::string text(length, 'x');
        text[at] = static_cast<char>(byte);
        text += "\xC3\xA9";  // é: non-ASCII bytes are written as they are
        Value v = Value::String(text);
        CHECK_MESSAGE(JsonSize(v) == ToJson(v).size(), "byte " << byte << " at " << at << " of " << length);
      }
    }
  }
}

TEST_CASE("JSON quoted in one pass equals the quoted JSON text") {
  for (const char* text : {R"({"id":"run","data":{"i":1,"tag":"a \"q\" \\ b\n\u0002","x":[1.5,-3,null,true]}})",
                           R"("just a \"string\"")", "[]", "{}", "-0.25", R"([{"a":"\\\"\\"}])"}) {
    Value v;
    JsonError e;
    REQUIRE(ParseJson(text, &v, &e));
    std::string expected;
    AppendJsonString(ToJson(v), &expected);
    std::string out = "prefix";
    size_t size = AppendJsonAsString(v, &out);
    CHECK(out == "prefix" + expected);
    CHECK(size == ToJson(v).size());
    CHECK(JsonSize(v) == ToJson(v).size());
    Value back;
    REQUIRE(ParseJson(out.substr(6), &back, &e));
    CHECK(back.AsString() == ToJson(v));
  }
}

TEST_CASE("Interned strings of the same text share it and equal plain strings") {
  Value a = Value::InternedString("pass-chain");
  Value b = Value::InternedString(std::string("pass-") + "chain");
  CHECK(a.AsString().data() == b.AsString().data());
  CHECK(a == Value::String("pass-chain"));
  CHECK(ToJson(Value::InternedString("quote\"d")) == R"("quote\"d")");
  a = Value();
  CHECK(b.AsString() == "pass-chain");
}
