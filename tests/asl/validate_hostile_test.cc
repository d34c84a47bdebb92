#include <doctest/doctest.h>

#include <string>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

using namespace stepflow::asl;

namespace {

Diagnostics Validate(const std::string& text) {
  Diagnostics diagnostics;
  CHECK(ParseDefinition(text, &diagnostics) == nullptr);
  CHECK(HasError(diagnostics));
  return diagnostics;
}

}  // namespace

TEST_CASE("100,000 levels of array nesting are rejected cleanly") {
  std::string text = std::string(100000, '[') + std::string(100000, ']');
  Diagnostics diagnostics = Validate(text);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "INVALID_JSON_DESCRIPTION");
  CHECK(diagnostics[0].message.find("deeper") != std::string::npos);
}

TEST_CASE("100,000 levels of nesting inside a state's Parameters are rejected cleanly") {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 100000; ++i) deep += "}";
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Parameters":)" + deep + R"(,"End":true}}})");
}

TEST_CASE("100,000 nested Not rules are rejected cleanly") {
  std::string rule;
  for (int i = 0; i < 100000; ++i) rule += R"({"Not":)";
  rule += R"({"Variable":"$.a","IsNull":true})";
  for (int i = 0; i < 100000; ++i) rule += "}";
  Validate(R"({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[)" + rule + R"(]}}})");
}

TEST_CASE("Nesting within the depth limit is accepted") {
  std::string deep;
  for (int i = 0; i < 900; ++i) deep += "[";
  for (int i = 0; i < 900; ++i) deep += "]";
  Diagnostics diagnostics;
  auto m = ParseDefinition(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":)" + deep + R"(,"End":true}}})",
                           &diagnostics);
  CHECK(m != nullptr);
}

TEST_CASE("A deep Value handed to ParseDefinition is rejected as TOO_DEEPLY_NESTED") {
  Value v = Value::Int(1);
  for (int i = 0; i < 2000; ++i) v = Value::MakeArray({v});
  Value definition = Value::MakeObject({{"StartAt", Value::String("A")},
                                        {"States", Value::MakeObject({{"A", Value::MakeObject({
                                                                                {"Type", Value::String("Pass")},
                                                                                {"Result", v},
                                                                                {"End", Value::Bool(true)},
                                                                            })}})}});
  Diagnostics diagnostics;
  CHECK(ParseDefinition(definition, &diagnostics) == nullptr);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].code == "TOO_DEEPLY_NESTED");
}

TEST_CASE("A 50 MB definition is rejected for size before parsing") {
  std::string text = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Result":")";
  text += std::string(50 * 1024 * 1024, 'x');
  text += "\"}}}";
  Diagnostics diagnostics = Validate(text);
  REQUIRE(diagnostics.size() == 1);
  CHECK(diagnostics[0].message.find("limit") != std::string::npos);
}

TEST_CASE("A definition just under 1 MiB is accepted") {
  std::string text = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Result":")";
  text += std::string(1000 * 1000, 'x');
  text += "\"}}}";
  Diagnostics diagnostics;
  CHECK(ParseDefinition(text, &diagnostics) != nullptr);
}

TEST_CASE("Invalid UTF-8 is rejected as INVALID_JSON_DESCRIPTION") {
  Diagnostics diagnostics = Validate("{\"StartAt\":\"\xff\xfe\",\"States\":{}}");
  CHECK(diagnostics[0].code == "INVALID_JSON_DESCRIPTION");
}

TEST_CASE("Numbers out of range are rejected cleanly") {
  Diagnostics diagnostics = Validate(R"({"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1e400,"End":true}}})");
  CHECK(diagnostics[0].code == "INVALID_JSON_DESCRIPTION");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":1e300,"End":true}}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Wait","Seconds":18446744073709551616,"End":true}}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","TimeoutSeconds":9223372036854775807,"End":true}}})");
}

TEST_CASE("Wrong JSON types at every level are rejected, never crash") {
  Validate("42");
  Validate("[]");
  Validate(R"({"StartAt":1,"States":"x"})");
  Validate(R"({"StartAt":"A","States":{"A":null}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":null}}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Parallel","Branches":[1,null,"x"],"End":true}}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Map","ItemProcessor":[],"End":true}}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Choice","Choices":[null,1,"x",[]]}}})");
  Validate(R"({"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:x","Retry":[null],"Catch":"x","End":true}}})");
}

TEST_CASE("A NUL byte inside a state name is handled") {
  std::string text = std::string(R"({"StartAt":"A\u0000B","States":{"A\u0000B":{"Type":"Succeed"}}})");
  Diagnostics diagnostics;
  ParseDefinition(text, &diagnostics);
  CHECK(!HasError(diagnostics));
}

TEST_CASE("A JSONata expression nested 100,000 deep is rejected cleanly") {
  std::string expr = "{% " + std::string(100000, '(') + "1" + std::string(100000, ')') + " %}";
  Validate(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":")" + expr +
           R"(","End":true}}})");
  std::string unbalanced = "{% " + std::string(100000, '[') + " %}";
  Validate(R"({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass","Output":")" + unbalanced +
           R"(","End":true}}})");
}
