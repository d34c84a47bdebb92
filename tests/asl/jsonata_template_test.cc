#include <doctest/doctest.h>

#include "stepflow/asl/json.h"
#include "stepflow/asl/jsonata_template.h"

using stepflow::asl::Failure;
using stepflow::asl::JsonataTemplate;
using stepflow::asl::Value;

namespace {

Value Json(const char* text) {
  Value v;
  stepflow::asl::JsonError e;
  REQUIRE(stepflow::asl::ParseJson(text, &v, &e));
  return v;
}

}  // namespace

TEST_CASE("JSONata fields evaluate {% %} strings anywhere and copy everything else") {
  JsonataTemplate t;
  std::string error;
  REQUIRE(JsonataTemplate::Compile(Json(R"j({"sum":"{% $states.input.a + 1 %}","list":[1,"{% $x %}"],"lit":"text"})j"),
                                   "Output", &t, &error));
  stepflow::asl::jsonata::Bindings bindings;
  bindings["states"] = Json(R"j({"input":{"a":41}})j");
  bindings["x"] = Value::String("var");
  Value out;
  Failure failure;
  REQUIRE(t.Evaluate(bindings, &out, &failure));
  CHECK(out == Json(R"j({"sum":42,"list":[1,"var"],"lit":"text"})j"));
  CHECK(t.whole_expression() == nullptr);
}

TEST_CASE("A JSONata field that yields nothing is States.QueryEvaluationError naming the field path") {
  JsonataTemplate t;
  std::string error;
  REQUIRE(JsonataTemplate::Compile(Json(R"j({"result":"{% $doesNotExist %}"})j"), "Assign", &t, &error));
  Value out;
  Failure failure;
  CHECK_FALSE(t.Evaluate({}, &out, &failure));
  CHECK(failure.error == "States.QueryEvaluationError");
  CHECK(failure.cause ==
        "The JSONata expression '$doesNotExist' specified for the field 'Assign/result' returned nothing (undefined).");
}

TEST_CASE("A JSONata field that yields a function is an unsupported result type") {
  JsonataTemplate t;
  std::string error;
  REQUIRE(JsonataTemplate::Compile(Value::String("{% function($x){$x} %}"), "Items", &t, &error));
  REQUIRE(t.whole_expression() != nullptr);
  Value out;
  Failure failure;
  CHECK_FALSE(t.Evaluate({}, &out, &failure));
  CHECK(failure.cause.find("returned an unsupported result type.") != std::string::npos);
}

TEST_CASE("A JSONata field that does not parse is rejected at compile time with JSONata's code") {
  JsonataTemplate t;
  std::string error;
  CHECK_FALSE(JsonataTemplate::Compile(Value::String("{% $x + %}"), "Output", &t, &error));
  CHECK(error.find("S0") != std::string::npos);
}
