#include "stepflow/asl/intrinsics.h"

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "intrinsic_text.h"
#include "stepflow/asl/errors.h"
#include "stepflow/asl/eval.h"
#include "stepflow/asl/json.h"

using stepflow::asl::Array;
using stepflow::asl::EvalEnv;
using stepflow::asl::Failure;
using stepflow::asl::IntrinsicCall;
using stepflow::asl::JsonError;
using stepflow::asl::ParseJson;
using stepflow::asl::ToJson;
using stepflow::asl::Value;
namespace errors = stepflow::asl::errors;

namespace {

Value Json(const std::string& text) {
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

// Evaluates `text` with `input` as `$` and {"Execution":{"Input": input}} as `$$`.
struct Outcome {
  bool ok = false;
  Value value;
  Failure failure;
};

Outcome Eval(const std::string& text, const Value& input = Value(), std::mt19937_64* random = nullptr) {
  IntrinsicCall call;
  std::string error;
  Outcome outcome;
  REQUIRE_MESSAGE(IntrinsicCall::Parse(text, &call, &error), text, ": ", error);
  Value context = Value::MakeObject({{"Execution", Value::MakeObject({{"Input", input}})}});
  EvalEnv env;
  env.context = &context;
  env.random = random;
  outcome.ok = call.Evaluate(input, env, &outcome.value, &outcome.failure);
  return outcome;
}

// The result as compact JSON, or "<error>: <cause>" on failure.
std::string EvalJson(const std::string& text, const std::string& input = "null") {
  Outcome o = Eval(text, Json(input));
  return o.ok ? ToJson(o.value) : o.failure.error + ": " + o.failure.cause;
}

// One execution recorded on AWS (shared/conformance/cases/<name>.json): a Pass
// state with Parameters {"FunctionResult.$": call}, its input and AWS's value.
struct Recorded {
  const char* name;
  const char* call;
  const char* input;
  const char* expected;
};

template <size_t N>
void CheckRecorded(const Recorded (&cases)[N]) {
  for (const Recorded& c : cases) {
    Outcome o = Eval(c.call, Json(c.input));
    std::string name = c.name;
    CHECK_MESSAGE(o.ok, name, ": ", o.failure.error, ": ", o.failure.cause);
    if (!o.ok) continue;
    Value expected = Json(c.expected);
    CHECK_MESSAGE(o.value == expected, name, ": got ", ToJson(o.value), ", AWS gave ",
                  std::string(c.expected));
  }
}

// States.Array
const Recorded kRecordedArray[] = {
    {"array-array-2-1", R"json(States.Array($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "", "snd": ""}})json", R"json(["", ""])json"},
    {"array-array-2-3", R"json(States.Array($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "HelloWorld", "snd": "HelloWorld"}})json",
     R"json(["HelloWorld", "HelloWorld"])json"},
    {"array-array-2-4", R"json(States.Array($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": null, "snd": null}})json", R"json([null, null])json"},
    {"array-array-2-6", R"json(States.Array($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 1.1, "snd": 1.1}})json", R"json([1.1, 1.1])json"},
    {"array-array-2-7", R"json(States.Array($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "{\"Arg1\": 1, \"Arg2\": []}", "snd": "{\"Arg1\": 1, \"Arg2\": []}"}})json",
     R"json(["{\"Arg1\": 1, \"Arg2\": []}", "{\"Arg1\": 1, \"Arg2\": []}"])json"},
    {"array-array-2-8", R"json(States.Array($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}}})json",
     R"json([{"Arg1": 1, "Arg2": []}, {"Arg1": 1, "Arg2": []}])json"},
};

// States.ArrayContains
const Recorded kRecordedArrayContains[] = {
    {"array-array-contains-1", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [], "snd": null}})json", R"json(false)json"},
    {"array-array-contains-2", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [], "snd": []}})json", R"json(false)json"},
    {"array-array-contains-3", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [], "snd": 1}})json", R"json(false)json"},
    {"array-array-contains-4", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [[1, 2, 3], 2], "snd": null}})json", R"json(false)json"},
    {"array-array-contains-5", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [[1, 2, 3], 2], "snd": [1, 2, 3]}})json", R"json(true)json"},
    {"array-array-contains-6", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [{"1": 2, "2": []}], "snd": []}})json", R"json(false)json"},
    {"array-array-contains-7", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [{"1": 2, "2": []}], "snd": {"1": 2, "2": []}}})json",
     R"json(true)json"},
    {"array-array-contains-9", R"json(States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [true, false], "snd": false}})json", R"json(true)json"},
};

// States.ArrayLength
const Recorded kRecordedArrayLength[] = {
    {"array-array-length", R"json(States.ArrayLength($.FunctionInput))json",
     R"json({"FunctionInput": [1, 2, 3, 4, 5, 6, 7, 8, 9]})json", R"json(9)json"},
    {"array-array-unique", R"json(States.ArrayLength($.FunctionInput))json",
     R"json({"FunctionInput": [null, null, true, true, false, false, 1, 1, 1.1, 0, 0, "HelloWorld", "HelloWorld", [], [], [null], [null], {"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 1, "b": 1}]})json",
     R"json(20)json"},
};

// States.ArrayPartition
const Recorded kRecordedArrayPartition[] = {
    {"array-array-partition-1", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [], "snd": 1}})json", R"json([])json"},
    {"array-array-partition-10", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0], "snd": 5}})json", R"json([[0]])json"},
    {"array-array-partition-11", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1], "snd": 1}})json", R"json([[0], [1]])json"},
    {"array-array-partition-12", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1], "snd": 2}})json", R"json([[0, 1]])json"},
    {"array-array-partition-13", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1], "snd": 3}})json", R"json([[0, 1]])json"},
    {"array-array-partition-14", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1], "snd": 4}})json", R"json([[0, 1]])json"},
    {"array-array-partition-15", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1], "snd": 5}})json", R"json([[0, 1]])json"},
    {"array-array-partition-16", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1, 2], "snd": 1}})json", R"json([[0], [1], [2]])json"},
    {"array-array-partition-19", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1, 2], "snd": 4}})json", R"json([[0, 1, 2]])json"},
    {"array-array-partition-20", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1, 2], "snd": 5}})json", R"json([[0, 1, 2]])json"},
    {"array-array-partition-22", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1, 2, 3], "snd": 2}})json", R"json([[0, 1], [2, 3]])json"},
    {"array-array-partition-23", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1, 2, 3], "snd": 3}})json", R"json([[0, 1, 2], [3]])json"},
    {"array-array-partition-24", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0, 1, 2, 3], "snd": 4}})json", R"json([[0, 1, 2, 3]])json"},
    {"array-array-partition-3", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [], "snd": 3}})json", R"json([])json"},
    {"array-array-partition-4", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [], "snd": 4}})json", R"json([])json"},
    {"array-array-partition-6", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0], "snd": 1}})json", R"json([[0]])json"},
    {"array-array-partition-7", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0], "snd": 2}})json", R"json([[0]])json"},
    {"array-array-partition-8", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0], "snd": 3}})json", R"json([[0]])json"},
    {"array-array-partition-9", R"json(States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": [0], "snd": 4}})json", R"json([[0]])json"},
};

// States.ArrayRange
const Recorded kRecordedArrayRange[] = {
    {"array-array-range-1",
     R"json(States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd))json",
     R"json({"FunctionInput": {"fst": 0, "snd": 9, "trd": 3}})json", R"json([0, 3, 6, 9])json"},
    {"array-array-range-2",
     R"json(States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd))json",
     R"json({"FunctionInput": {"fst": 0, "snd": 10, "trd": 3}})json", R"json([0, 3, 6, 9])json"},
    {"array-array-range-3",
     R"json(States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd))json",
     R"json({"FunctionInput": {"fst": 1, "snd": 9, "trd": 9}})json", R"json([1])json"},
    {"array-array-range-4",
     R"json(States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd))json",
     R"json({"FunctionInput": {"fst": 1, "snd": 9, "trd": 2}})json", R"json([1, 3, 5, 7, 9])json"},
};

// States.Base64Encode
const Recorded kRecordedBase64Encode[] = {
    {"encode-decode-base-64-encode-2", R"json(States.Base64Encode($.FunctionInput))json",
     R"json({"FunctionInput": "Data to encode"})json", R"json("RGF0YSB0byBlbmNvZGU=")json"},
};

// States.StringSplit
const Recorded kRecordedStringSplit[] = {
    {"generic-escape-sequence", R"json(States.StringSplit('Hello
World', '
'))json",
     R"json({"FunctionInput": null})json", R"json(["Hello", "World"])json"},
    {"string-operations-string-split-1",
     R"json(States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": " ", "snd": ","}})json", R"json([" "])json"},
    {"string-operations-string-split-2",
     R"json(States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": " , ", "snd": ","}})json", R"json([" ", " "])json"},
    {"string-operations-string-split-3",
     R"json(States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": ", , ,", "snd": ","}})json", R"json([" ", " "])json"},
    {"string-operations-string-split-4",
     R"json(States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": ",,,,", "snd": ","}})json", R"json([])json"},
    {"string-operations-string-split-7",
     R"json(States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "split on T and \nnew line", "snd": "T\n"}})json",
     R"json(["split on ", " and ", "new line"])json"},
    {"string-operations-string-split-context-object",
     R"json(States.StringSplit($$.Execution.Input.FunctionInput, ','))json",
     R"json({"FunctionInput": "Value1,Value2,Value3\nValue4,Value5,Value6\n,,,\ntrue,1,'HelloWorld'\nNull,None,\n   \n"})json",
     R"json(["Value1", "Value2", "Value3\nValue4", "Value5", "Value6\n", "\ntrue", "1", "'HelloWorld'\nNull", "None", "\n   \n"])json"},
};

// States.Format
const Recorded kRecordedFormat[] = {
    {"generic-format-1-2", R"json(States.Format('Formatting argument {}.', $.FunctionInput))json",
     R"json({"FunctionInput": " "})json", R"json("Formatting argument  .")json"},
    {"generic-format-1-3", R"json(States.Format('Formatting argument {}.', $.FunctionInput))json",
     R"json({"FunctionInput": "HelloWorld"})json", R"json("Formatting argument HelloWorld.")json"},
    {"generic-format-1-5", R"json(States.Format('Formatting argument {}.', $.FunctionInput))json",
     R"json({"FunctionInput": 1})json", R"json("Formatting argument 1.")json"},
    {"generic-format-1-6", R"json(States.Format('Formatting argument {}.', $.FunctionInput))json",
     R"json({"FunctionInput": 1.1})json", R"json("Formatting argument 1.1.")json"},
    {"generic-format-1-7", R"json(States.Format('Formatting argument {}.', $.FunctionInput))json",
     R"json({"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"})json",
     R"json("Formatting argument {\"Arg1\": 1, \"Arg2\": []}.")json"},
    {"generic-format-2-2",
     R"json(States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": " ", "snd": " "}})json",
     R"json("Formatting arguments fst=  and snd= .")json"},
    {"generic-format-2-3",
     R"json(States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "HelloWorld", "snd": "HelloWorld"}})json",
     R"json("Formatting arguments fst=HelloWorld and snd=HelloWorld.")json"},
    {"generic-format-2-4",
     R"json(States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": null, "snd": null}})json",
     R"json("Formatting arguments fst=null and snd=null.")json"},
    {"generic-format-2-7",
     R"json(States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "{\"Arg1\": 1, \"Arg2\": []}", "snd": "{\"Arg1\": 1, \"Arg2\": []}"}})json",
     R"json("Formatting arguments fst={\"Arg1\": 1, \"Arg2\": []} and snd={\"Arg1\": 1, \"Arg2\": []}.")json"},
};

// States.Hash
const Recorded kRecordedHash[] = {
    {"hash-calculations-hash-3", R"json(States.Hash($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "input data", "snd": "SHA-256"}})json",
     R"json("b4a697a057313163aee33cd8d40c66e9f0f177e00cac2de32475ffff6169c3e3")json"},
    {"hash-calculations-hash-4", R"json(States.Hash($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "input data", "snd": "SHA-384"}})json",
     R"json("d28a7d5cf25a74f11a50a18452b75e04bb3d70c9dd0510d6123aa008c756511b87525bdc835ebb27e1fb9e9374a15562")json"},
    {"hash-calculations-hash-5", R"json(States.Hash($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": "input data", "snd": "SHA-512"}})json",
     R"json("6ce4adb348546d4f449c4d25aad9a7c9cb711d9e91982d3f0b29ca2f3f47d4ce2deba23bf2954f0f1d593fc50283731a533d30d425402d4f91316d871303aac4")json"},
};

// States.JsonMerge
const Recorded kRecordedJsonMerge[] = {
    {"json-manipulation-json-merge",
     R"json(States.JsonMerge($.FunctionInput.fst, $.FunctionInput.snd, false))json",
     R"json({"FunctionInput": {"fst": {"a": {"a1": 1, "a2": 2}, "b": 2, "d": 3}, "snd": {"a": {"a3": 1, "a4": 2}, "c": 3, "d": 4}}})json",
     R"json({"a": {"a3": 1, "a4": 2}, "b": 2, "c": 3, "d": 4})json"},
};

// States.JsonToString
const Recorded kRecordedJsonToString[] = {
    {"json-manipulation-json-to-string-2", R"json(States.JsonToString($.FunctionInput))json",
     R"json({"FunctionInput": 0})json", R"json("0")json"},
    {"json-manipulation-json-to-string-3", R"json(States.JsonToString($.FunctionInput))json",
     R"json({"FunctionInput": 1})json", R"json("1")json"},
    {"json-manipulation-json-to-string-5", R"json(States.JsonToString($.FunctionInput))json",
     R"json({"FunctionInput": true})json", R"json("true")json"},
    {"json-manipulation-json-to-string-7", R"json(States.JsonToString($.FunctionInput))json",
     R"json({"FunctionInput": [1, 2, "HelloWorld"]})json", R"json("[1,2,\"HelloWorld\"]")json"},
};

// States.StringToJson
const Recorded kRecordedStringToJson[] = {
    {"json-manipulation-string-to-json-10", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": "{\"Arg1\": 1, \"Arg2\": []}"})json", R"json({"Arg1": 1, "Arg2": []})json"},
    {"json-manipulation-string-to-json-2", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": " "})json", R"json(null)json"},
    {"json-manipulation-string-to-json-3", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": "null"})json", R"json(null)json"},
    {"json-manipulation-string-to-json-5", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": "1"})json", R"json(1)json"},
    {"json-manipulation-string-to-json-6", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": "1.1"})json", R"json(1.1)json"},
    {"json-manipulation-string-to-json-7", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": "true"})json", R"json(true)json"},
    {"json-manipulation-string-to-json-8", R"json(States.StringToJson($.FunctionInput))json",
     R"json({"FunctionInput": "\"HelloWorld\""})json", R"json("HelloWorld")json"},
};

// States.MathAdd
const Recorded kRecordedMathAdd[] = {
    {"math-operations-math-add-10", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": -1.49, "snd": 0}})json", R"json(-1)json"},
    {"math-operations-math-add-11", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": -1.5, "snd": 0}})json", R"json(-1)json"},
    {"math-operations-math-add-12", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": -1.51, "snd": 0}})json", R"json(-2)json"},
    {"math-operations-math-add-13", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 0.5, "snd": 0}})json", R"json(1)json"},
    {"math-operations-math-add-15", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 3.5, "snd": 0}})json", R"json(4)json"},
    {"math-operations-math-add-19", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": -3.5, "snd": 0}})json", R"json(-3)json"},
    {"math-operations-math-add-2", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 1.49, "snd": 1.5}})json", R"json(3)json"},
    {"math-operations-math-add-3", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 1.5, "snd": 1.51}})json", R"json(4)json"},
    {"math-operations-math-add-4", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": -1.49, "snd": -1.5}})json", R"json(-2)json"},
    {"math-operations-math-add-5", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": -1.5, "snd": -1.51}})json", R"json(-3)json"},
    {"math-operations-math-add-6", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 1.49, "snd": 0}})json", R"json(1)json"},
    {"math-operations-math-add-7", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 1.49, "snd": -1.49}})json", R"json(0)json"},
    {"math-operations-math-add-9", R"json(States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd))json",
     R"json({"FunctionInput": {"fst": 1.51, "snd": 0}})json", R"json(2)json"},
};

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
  CHECK(Parses("States.Format('\\{} {}', 1)"));         // an escaped brace is no placeholder
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

// ---- the AWS recordings -----------------------------------------------------------------------

TEST_CASE("States.Array matches the AWS recordings") { CheckRecorded(kRecordedArray); }
TEST_CASE("States.ArrayContains matches the AWS recordings") { CheckRecorded(kRecordedArrayContains); }
TEST_CASE("States.ArrayLength matches the AWS recordings") { CheckRecorded(kRecordedArrayLength); }
TEST_CASE("States.ArrayPartition matches the AWS recordings") { CheckRecorded(kRecordedArrayPartition); }
TEST_CASE("States.ArrayRange matches the AWS recordings") { CheckRecorded(kRecordedArrayRange); }
TEST_CASE("States.Base64Encode matches the AWS recordings") { CheckRecorded(kRecordedBase64Encode); }
TEST_CASE("States.StringSplit matches the AWS recordings") { CheckRecorded(kRecordedStringSplit); }
TEST_CASE("States.Format matches the AWS recordings") { CheckRecorded(kRecordedFormat); }
TEST_CASE("States.Hash matches the AWS recordings") { CheckRecorded(kRecordedHash); }
TEST_CASE("States.JsonMerge matches the AWS recordings") { CheckRecorded(kRecordedJsonMerge); }
TEST_CASE("States.JsonToString matches the AWS recordings") { CheckRecorded(kRecordedJsonToString); }
TEST_CASE("States.StringToJson matches the AWS recordings") { CheckRecorded(kRecordedStringToJson); }
TEST_CASE("States.MathAdd rounds decimals half up as the AWS recordings show") {
  CheckRecorded(kRecordedMathAdd);
}

TEST_CASE("States.Format in a Fail state's ErrorPath and CausePath matches the AWS recording") {
  // base-state-fail-intrinsic
  Value input = Json(R"({"Error": "error string", "Cause": "cause string"})");
  CHECK(EvalJson("States.Format('{}', $.Error)", ToJson(input)) == R"("error string")");
  CHECK(EvalJson("States.Format('This is a custom error message for {}, caused by {}.', $.Error, $.Cause)",
                 ToJson(input)) ==
        R"("This is a custom error message for error string, caused by cause string.")");
}

// ---- evaluation: arguments --------------------------------------------------------------------

TEST_CASE("Intrinsic arguments read the input, the context object and variables") {
  Value input = Json(R"({"a": {"b": [1, 2]}})");
  Value context = Json(R"({"Execution": {"Id": "arn:exec"}})");
  stepflow::asl::VariableScope outer{Json(R"({"x": 4})"), nullptr};
  stepflow::asl::VariableScope inner{Json(R"({"y": {"z": "q"}})"), &outer};
  EvalEnv env;
  env.context = &context;
  env.variables = &inner;
  IntrinsicCall call;
  std::string error;
  REQUIRE(IntrinsicCall::Parse("States.Array($, $.a.b, $$.Execution.Id, $x, $y.z)", &call, &error));
  Value out;
  Failure failure;
  REQUIRE(call.Evaluate(input, env, &out, &failure));
  CHECK(ToJson(out) == R"([{"a":{"b":[1,2]}},[1,2],"arn:exec",4,"q"])");
}

TEST_CASE("Intrinsic literal arguments keep their types") {
  CHECK(EvalJson("States.Array('s', 1, -2, 1.5, -0.25, 1e3, true, false, null)") ==
        R"(["s",1,-2,1.5,-0.25,1000.0,true,false,null])");
  CHECK(EvalJson("States.Array()") == "[]");
  CHECK(EvalJson("States.Array(99999999999999999999)") ==
        "[100000000000000000000.0]");  // past int64: a double
  CHECK(ParseError("States.Array(1e999)") == "number out of range at offset 13");
}

TEST_CASE("Intrinsic string literals apply backslash escapes") {
  CHECK(EvalJson(R"(States.Array('it\'s', '\{\}', 'back\\slash', 'a\"b'))") ==
        R"(["it's","{}","back\\slash","a\"b"])");
  CHECK(EvalJson("States.StringSplit('Hello\nWorld', '\n')") == R"(["Hello","World"])");
  CHECK(ParseError("States.Array('abc\\") == "unterminated escape sequence at offset 17");
  CHECK(ParseError("States.Array('abc\\')") == "unterminated string literal starting at offset 13");
}

TEST_CASE("Intrinsic calls nest") {
  // The AWS documentation's nine-call example.
  Value input =
      Json(R"({"ImageRecipe": {"Arn": "arn:aws:imagebuilder:us-east-1:1:image-recipe/my-recipe.v2/1.0.0"}})");
  Outcome o = Eval(
      "States.Format('{}.{}.{}', "
      "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, "
      "'/'), 2), '.'), 0), "
      "States.ArrayGetItem(States.StringSplit(States.ArrayGetItem(States.StringSplit($.ImageRecipe.Arn, "
      "'/'), 2), '.'), 1), "
      "States.ArrayLength(States.Array(1, 2)))",
      input);
  REQUIRE(o.ok);
  CHECK(o.value.AsString() == "1.0.2");
  CHECK(EvalJson("States.JsonMerge(States.StringToJson('{\"constant_in_literal\": \"false\"}'), "
                 "$$.Execution.Input.input_field, false)",
                 R"({"input_field": {"constant_input_field": "constant_value"}})") ==
        R"({"constant_in_literal":"false","constant_input_field":"constant_value"})");
}

TEST_CASE("A missing path argument fails with States.Runtime") {
  Outcome o = Eval("States.Array($.nope)", Json(R"({"a": 1})"));
  REQUIRE_FALSE(o.ok);
  CHECK(o.failure.error == errors::kRuntime);
  CHECK(o.failure.cause == "Invalid path '$.nope' : No results for path: $['nope']");

  Outcome v = Eval("States.Array($undefinedVar)");
  REQUIRE_FALSE(v.ok);
  CHECK(v.failure.error == errors::kRuntime);
  CHECK(v.failure.cause == "Invalid path '$undefinedVar': The variable \"undefinedVar\" is not defined");
}

TEST_CASE("A failure inside a nested call stops the evaluation") {
  Outcome o = Eval("States.Array(1, States.ArrayGetItem(States.Array(), 0))");
  REQUIRE_FALSE(o.ok);
  CHECK(o.failure.error == errors::kIntrinsicFailure);
}

// ---- evaluation: each function ----------------------------------------------------------------

TEST_CASE("States.Format fills placeholders with Java's text for each value") {
  CHECK(EvalJson("States.Format('a={} b={} c={} d={}', 1, 1.5, true, null)") ==
        R"("a=1 b=1.5 c=true d=null")");
  CHECK(EvalJson("States.Format('{}', $)", "1.0") == R"("1.0")");
  CHECK(EvalJson("States.Format('{}', $)", "1e21") == R"("1.0E21")");
  CHECK(EvalJson("States.Format('{}', $)", "0.0001") == R"("1.0E-4")");
  CHECK(EvalJson("States.Format('{}', $)", "12345678.5") == R"("1.23456785E7")");
  // Recorded on AWS (LocalStack snapshot test_format_2, execution 8): objects and
  // arrays print as Java's Map and List do.
  CHECK(EvalJson("States.Format('fst={} and snd={}.', $.fst, $.snd)",
                 R"({"fst": {"Arg1": 1, "Arg2": []}, "snd": {"Arg1": 1, "Arg2": []}})") ==
        R"("fst={Arg1=1, Arg2=[]} and snd={Arg1=1, Arg2=[]}.")");
  CHECK(EvalJson("States.Format('{}', $)", R"(["a", 1, null, {"k": [true]}])") ==
        R"("[a, 1, null, {k=[true]}]")");
}

TEST_CASE("States.Format keeps escaped braces as text") {
  CHECK(EvalJson(R"(States.Format('\{\} is {}', 'x'))") == R"("{} is x")");
  CHECK(EvalJson(R"(States.Format('{\} {\\}'))") == R"("{} {\\}")");
  CHECK(EvalJson("States.Format('{ } {x}')") == R"("{ } {x}")");
}

TEST_CASE("States.Format takes its template from a path") {
  Value input = Json(R"({"name": "Arnav", "template": "Hello, my name is {}."})");
  CHECK(Eval("States.Format($.template, $.name)", input).value.AsString() == "Hello, my name is Arnav.");
  Outcome o = Eval("States.Format($.template, $.name, $.name)", input);
  REQUIRE_FALSE(o.ok);
  CHECK(o.failure.error == errors::kIntrinsicFailure);
  CHECK(o.failure.cause ==
        "Invalid arguments in States.Format: the template has 1 placeholder(s) but 2 argument(s) follow it");
  Outcome n = Eval("States.Format($.n)", Json(R"({"n": 5})"));
  REQUIRE_FALSE(n.ok);
  CHECK(n.failure.cause ==
        "Invalid arguments in States.Format: argument 1 must be a string, but was number 5");
}

TEST_CASE("States.StringToJson parses JSON text") {
  CHECK(EvalJson("States.StringToJson($)", R"("{\"foo\": \"bar\"}")") == R"({"foo":"bar"})");
  CHECK(EvalJson("States.StringToJson('[1, 2, \"HelloWorld\"]')") == R"([1,2,"HelloWorld"])");
  CHECK(EvalJson("States.StringToJson('-0')") == "0");
  CHECK(EvalJson("States.StringToJson('')") == "null");  // AWS snapshot: "" -> null
  CHECK(EvalJson("States.StringToJson($)", "1") ==
        "States.IntrinsicFailure: Invalid arguments in States.StringToJson: argument 1 must be a string, but "
        "was number 1");
  std::string bad = EvalJson("States.StringToJson('{nope')");
  CHECK(bad.starts_with(
      "States.IntrinsicFailure: Invalid arguments in States.StringToJson: the string is not valid JSON: "));
}

TEST_CASE("States.JsonToString writes compact JSON as Jackson does") {
  CHECK(EvalJson("States.JsonToString($)", R"({"foo": "bar", "n": [1, 1.5, null]})") ==
        R"("{\"foo\":\"bar\",\"n\":[1,1.5,null]}")");
  // AWS snapshot test_json_to_string: null, 1.1, a string, an object.
  CHECK(EvalJson("States.JsonToString($)", "null") == R"("null")");
  CHECK(EvalJson("States.JsonToString($)", "1.1") == R"("1.1")");
  CHECK(EvalJson("States.JsonToString($)", R"("HelloWorld")") == R"("\"HelloWorld\"")");
  CHECK(EvalJson("States.JsonToString($)", R"({"Arg1": 1, "Arg2": []})") == R"("{\"Arg1\":1,\"Arg2\":[]}")");
  CHECK(EvalJson("States.JsonToString($)", "2.0") == R"("2.0")");
  CHECK(EvalJson("States.JsonToString($)", R"("tab\there\u0001")") == R"("\"tab\\there\\u0001\"")");
}

TEST_CASE("States.Array builds an array of its arguments") {
  CHECK(EvalJson("States.Array($.Id)", R"({"Id": 123456})") == "[123456]");
}

TEST_CASE("States.ArrayPartition splits into chunks of the given size") {
  CHECK(EvalJson("States.ArrayPartition(States.Array(1, 2, 3, 4, 5), 2)") == "[[1,2],[3,4],[5]]");
  CHECK(EvalJson("States.ArrayPartition(States.Array(1, 2), 2.0)") == "[[1,2]]");
  // AWS documents that a non-integer chunk size is rounded to the nearest integer.
  CHECK(EvalJson("States.ArrayPartition(States.Array(1, 2, 3), 1.5)") == "[[1,2],[3]]");
}

TEST_CASE("States.ArrayPartition rejects a chunk size that is not a positive integer") {
  CHECK(EvalJson("States.ArrayPartition(States.Array(1), 0)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: the chunk size must be greater "
        "than 0, but was 0");
  CHECK(EvalJson("States.ArrayPartition(States.Array(1), -1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: the chunk size must be greater "
        "than 0, but was -1");
  CHECK(EvalJson("States.ArrayPartition(States.Array(1), 0.4)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: the chunk size must be greater "
        "than 0, but was 0");
  CHECK(EvalJson("States.ArrayPartition(States.Array(1), 'x')") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: argument 2 must be a number, "
        "but was string \"x\"");
  CHECK(EvalJson("States.ArrayPartition('abc', 1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayPartition: argument 1 must be an array, "
        "but was string \"abc\"");
}

TEST_CASE("States.ArrayContains compares values deeply") {
  CHECK(EvalJson("States.ArrayContains($.a, $.v)", R"({"a": [{"x": [1]}, 2], "v": {"x": [1]}})") == "true");
  CHECK(EvalJson("States.ArrayContains(States.Array(1, 2), 3)") == "false");
  CHECK(EvalJson("States.ArrayContains(States.Array(1, 2), 2.0)") == "true");
  CHECK(EvalJson("States.ArrayContains(null, 1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayContains: argument 1 must be an array, "
        "but was null null");
}

TEST_CASE("States.ArrayRange counts from start to end by step") {
  CHECK(EvalJson("States.ArrayRange(1, 9, 2)") == "[1,3,5,7,9]");
  CHECK(EvalJson("States.ArrayRange(9, 1, -3)") == "[9,6,3]");
  CHECK(EvalJson("States.ArrayRange(5, 5, 1)") == "[5]");
  CHECK(EvalJson("States.ArrayRange(1, 9, -1)") == "[]");
  CHECK(EvalJson("States.ArrayRange(0, 999, 1)").size() > 3000);  // 1000 items is allowed
}

TEST_CASE("States.ArrayRange rounds decimals as AWS documents") {
  CHECK(EvalJson("States.ArrayRange(0.5, 4.4, 1.5)") == "[1,3]");
}

TEST_CASE("States.ArrayRange rejects a zero step, non-numbers and more than 1000 items") {
  CHECK(EvalJson("States.ArrayRange(1, 9, 0)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: the step must not be 0");
  CHECK(EvalJson("States.ArrayRange(0, 1000, 1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: the range would have 1001 items; "
        "at most 1000 are allowed");
  CHECK(EvalJson("States.ArrayRange(-9223372036854775807, 9223372036854775807, 1)")
            .starts_with(
                "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: the range would have"));
  CHECK(EvalJson("States.ArrayRange(1, '9', 1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayRange: argument 2 must be a number, but "
        "was string \"9\"");
}

TEST_CASE("States.ArrayGetItem returns the item at a zero-based index") {
  CHECK(EvalJson("States.ArrayGetItem($.a, $.i)", R"({"a": [1,2,3,4,5,6,7,8,9], "i": 5})") == "6");
  CHECK(EvalJson("States.ArrayGetItem(States.Array('x'), 0)") == R"("x")");
}

TEST_CASE("States.ArrayGetItem rejects an index out of range") {
  CHECK(EvalJson("States.ArrayGetItem(States.Array(1, 2), 2)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayGetItem: index 2 is out of bounds for an "
        "array of length 2");
  CHECK(EvalJson("States.ArrayGetItem(States.Array(1, 2), -1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayGetItem: index -1 is out of bounds for an "
        "array of length 2");
  CHECK(EvalJson("States.ArrayGetItem(States.Array(1, 2), 'x')") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayGetItem: argument 2 must be an integer, "
        "but was string \"x\"");
}

TEST_CASE("States.ArrayLength counts items") {
  CHECK(EvalJson("States.ArrayLength(States.Array())") == "0");
  CHECK(EvalJson("States.ArrayLength($)", R"({"a": 1})") ==
        "States.IntrinsicFailure: Invalid arguments in States.ArrayLength: argument 1 must be an array, but "
        "was object {\"a\":1}");
}

TEST_CASE("States.ArrayUnique keeps the first of equal values in order") {
  // The input of LocalStack's test_array_unique.
  CHECK(EvalJson("States.ArrayUnique($)",
                 R"([null, null, true, true, false, false, 1, 1, 1.1, 0, -0, "HelloWorld", "HelloWorld",
                     [], [], [null], [null], {"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 1, "b": 1}])") ==
        R"([null,true,false,1,1.1,0,"HelloWorld",[],[null],{"a":1,"b":2},{"a":1,"b":1}])");
  CHECK(EvalJson("States.ArrayUnique($)", R"([{"a": 1, "b": 2}, {"b": 2, "a": 1}, 2, 2.0])") ==
        R"([{"a":1,"b":2},2])");
}

TEST_CASE("States.ArrayUnique stays fast on large arrays") {
  Array items;
  for (int i = 0; i < 200000; ++i) items.push_back(Value::Int(i % 1000));
  Outcome o = Eval("States.ArrayLength(States.ArrayUnique($))", Value::MakeArray(std::move(items)));
  REQUIRE(o.ok);
  CHECK(o.value.AsInt() == 1000);
}

TEST_CASE("States.Base64Encode and Base64Decode round-trip UTF-8") {
  CHECK(EvalJson("States.Base64Encode('Data to encode')") == R"("RGF0YSB0byBlbmNvZGU=")");
  CHECK(EvalJson("States.Base64Encode('')") == R"("")");
  CHECK(EvalJson("States.Base64Encode('a')") == R"("YQ==")");
  CHECK(EvalJson("States.Base64Encode($)", R"("héllo ✓ 😀")") == R"("aMOpbGxvIOKckyDwn5iA")");
  CHECK(EvalJson("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')") == R"("Data to encode")");
  CHECK(EvalJson("States.Base64Decode('')") == R"("")");
  CHECK(EvalJson("States.Base64Decode('YWI')") == R"("ab")");  // padding is optional
  CHECK(EvalJson("States.Base64Decode('aMOpbGxvIOKckyDwn5iA')") == R"("héllo ✓ 😀")");
  CHECK(EvalJson("States.Base64Decode('/w==')") == R"("�")");  // invalid UTF-8 decodes as U+FFFD
}

TEST_CASE("States.Base64Decode skips characters outside the alphabet, as MIME Base64 does") {
  CHECK(EvalJson("States.Base64Decode($)", R"("RGF0YSB0\r\nbyBlbmNvZGU=")") == R"("Data to encode")");
  CHECK(EvalJson("States.Base64Decode('Y Q==')") == R"("a")");
  CHECK(EvalJson("States.Base64Decode('YW$I')") == R"("ab")");
}

TEST_CASE("States.Base64Decode rejects misplaced padding and a dangling character") {
  const char* bad[] = {"States.Base64Decode('Y===')",  "States.Base64Decode('Y')",
                       "States.Base64Decode('YQ= =')", "States.Base64Decode('YQ=')",
                       "States.Base64Decode('=')",     "States.Base64Decode('YQ==YQ==')"};
  for (const char* text : bad) {
    CHECK_MESSAGE(EvalJson(text) ==
                      "States.IntrinsicFailure: Invalid arguments in States.Base64Decode: the input is not "
                      "valid Base64",
                  std::string(text));
  }
  CHECK(EvalJson("States.Base64Decode('YQ==\n')") == R"("a")");
}

TEST_CASE("States.Base64Encode, Base64Decode and Hash take at most 10,000 characters") {
  std::string ok(10000, 'a');
  std::string too_long(10001, 'a');
  CHECK(Eval("States.Base64Encode($)", Value::String(ok)).ok);
  for (const char* fn : {"States.Base64Encode($)", "States.Base64Decode($)", "States.Hash($, 'MD5')"}) {
    Outcome o = Eval(fn, Value::String(too_long));
    REQUIRE_FALSE(o.ok);
    CHECK(o.failure.error == errors::kIntrinsicFailure);
    CHECK(o.failure.cause.ends_with(": the input is 10001 characters long; at most 10000 are allowed"));
  }
  // Characters are counted as Java counts them: UTF-16 units.
  std::string emoji;
  for (int i = 0; i < 5000; ++i) emoji += "😀";
  CHECK(Eval("States.Base64Encode($)", Value::String(emoji)).ok);
  CHECK_FALSE(Eval("States.Base64Encode($)", Value::String(emoji + "a")).ok);
}

TEST_CASE("States.Hash computes each supported digest in lower-case hex") {
  CHECK(EvalJson("States.Hash('input data', 'MD5')") == R"("812f45842bc6d66ee14572ce20db8e86")");
  CHECK(EvalJson("States.Hash('input data', 'SHA-1')") == R"("aaff4a450a104cd177d28d18d74485e8cae074b7")");
  CHECK(EvalJson("States.Hash($, 'SHA-256')", R"("héllo")") ==
        R"("3c48591d8d098a4538f5e013dfcf406e948eac4d3277b10bf614e295d6068179")");
}

TEST_CASE("States.Hash rejects an unknown algorithm") {
  CHECK(EvalJson("States.Hash('x', 'SHA-3')") ==
        "States.IntrinsicFailure: Invalid arguments in States.Hash: the hash algorithm 'SHA-3' is not "
        "supported; use MD5, SHA-1, SHA-256, SHA-384 or SHA-512");
  CHECK(EvalJson("States.Hash('x', 'sha-256')").starts_with("States.IntrinsicFailure"));
  CHECK(EvalJson("States.Hash(1, 'MD5')") ==
        "States.IntrinsicFailure: Invalid arguments in States.Hash: argument 1 must be a string, but was "
        "number 1");
}

TEST_CASE("States.JsonMerge merges shallowly, the second object winning") {
  CHECK(EvalJson("States.JsonMerge($.a, $.b, false)",
                 R"({"a": {"x": {"p": 1}, "y": 1}, "b": {"x": {"q": 2}, "z": 3}})") ==
        R"({"x":{"q":2},"y":1,"z":3})");
}

TEST_CASE("States.JsonMerge rejects deep merge and non-objects") {
  CHECK(EvalJson("States.JsonMerge($.a, $.a, true)", R"({"a": {}})") ==
        "States.IntrinsicFailure: Invalid arguments in States.JsonMerge: deep merge is not supported; the "
        "third argument must be false");
  CHECK(EvalJson("States.JsonMerge($.a, $.a, 'false')", R"({"a": {}})") ==
        "States.IntrinsicFailure: Invalid arguments in States.JsonMerge: argument 3 must be a boolean, but "
        "was string \"false\"");
  CHECK(EvalJson("States.JsonMerge($.a, States.Array(), false)", R"({"a": {}})") ==
        "States.IntrinsicFailure: Invalid arguments in States.JsonMerge: argument 2 must be an object, but "
        "was array []");
}

TEST_CASE("States.MathAdd adds integers and rounds decimals half up") {
  CHECK(EvalJson("States.MathAdd(-9, 3)") == "-6");
  CHECK(EvalJson("States.MathAdd(2.5, 0)") == "3");
  CHECK(EvalJson("States.MathAdd(-2.5, 0)") == "-2");
  CHECK(EvalJson("States.MathAdd(-0.5, 0.5)") == "1");
  CHECK(EvalJson("States.MathAdd(0.49999999999999994, 0)") == "0");  // as Java's Math.round
  CHECK(EvalJson("States.MathAdd($.v, -1)", R"({"v": 111})") == "110");
  CHECK(EvalJson("States.MathAdd(2147483647, -2147483648)") == "-1");
  CHECK(EvalJson("States.MathAdd('1', 1)") ==
        "States.IntrinsicFailure: Invalid arguments in States.MathAdd: argument 1 must be a number, but was "
        "string \"1\"");
}

TEST_CASE("States.MathAdd rejects operands outside the range of a Java int") {
  CHECK(EvalJson("States.MathAdd(2147483648, 0)") ==
        "States.IntrinsicFailure: Invalid arguments in States.MathAdd: the value 2147483648 is outside the "
        "range -2147483648 to 2147483647");
  CHECK(EvalJson("States.MathAdd(0, -2147483649)") ==
        "States.IntrinsicFailure: Invalid arguments in States.MathAdd: the value -2147483649 is outside the "
        "range -2147483648 to 2147483647");
}

TEST_CASE("States.MathRandom draws from start inclusive to end exclusive") {
  std::mt19937_64 random(42);
  for (int i = 0; i < 200; ++i) {
    Outcome o = Eval("States.MathRandom(1, 4)", Value(), &random);
    REQUIRE(o.ok);
    CHECK(o.value.AsInt() >= 1);
    CHECK(o.value.AsInt() < 4);
  }
  CHECK(EvalJson("States.MathRandom(5, 5)") ==
        "States.IntrinsicFailure: Invalid arguments in States.MathRandom: the end (5) must be greater than "
        "the start (5)");
  CHECK(EvalJson("States.MathRandom(1, null)") ==
        "States.IntrinsicFailure: Invalid arguments in States.MathRandom: argument 2 must be a number, but "
        "was null null");
}

TEST_CASE("States.MathRandom with a seed always gives the same number") {
  std::mt19937_64 a(1), b(2);
  Outcome first = Eval("States.MathRandom(0, 999, 3)", Value(), &a);
  Outcome second = Eval("States.MathRandom(0, 999, 3)", Value(), &b);
  REQUIRE(first.ok);
  REQUIRE(second.ok);
  CHECK(first.value == second.value);
  // As java.util.Random draws (checked with a JDK): new Random(3).nextInt(999) is
  // 239 and new Random(42).nextInt(10) is 0.
  CHECK(first.value.AsInt() == 239);
  CHECK(EvalJson("States.MathRandom(10, 20, 42)") == "10");
  CHECK(EvalJson("States.MathRandom(0.6, 2.4, 7)") == "1");  // bounds round to [1, 2)
}

TEST_CASE("States.MathRandom without a seed draws from the execution's random source") {
  std::mt19937_64 a(7), b(7);
  CHECK(Eval("States.MathRandom(0, 1000000)", Value(), &a).value ==
        Eval("States.MathRandom(0, 1000000)", Value(), &b).value);
}

TEST_CASE("States.StringSplit splits on each delimiter character and drops empty parts") {
  CHECK(EvalJson("States.StringSplit('1,2,3,4,5', ',')") == R"(["1","2","3","4","5"])");
  CHECK(EvalJson("States.StringSplit('This.is+a,test=string', '.+,=')") ==
        R"(["This","is","a","test","string"])");
  CHECK(EvalJson("States.StringSplit('', ',')") == "[]");
  CHECK(EvalJson("States.StringSplit('abc', '')") == R"(["abc"])");
  CHECK(EvalJson("States.StringSplit('a✓b✓', '✓')") == R"(["a","b"])");
  CHECK(EvalJson("States.StringSplit(1, ',')") ==
        "States.IntrinsicFailure: Invalid arguments in States.StringSplit: argument 1 must be a string, but "
        "was number 1");
}

TEST_CASE("States.UUID gives a version 4 UUID from the random source") {
  std::mt19937_64 a(3), b(3);
  Outcome o = Eval("States.UUID()", Value(), &a);
  REQUIRE(o.ok);
  const std::string& id = o.value.AsString();
  REQUIRE(id.size() == 36);
  CHECK(id[8] == '-');
  CHECK(id[13] == '-');
  CHECK(id[14] == '4');
  CHECK(id[18] == '-');
  CHECK(std::string("89ab").find(id[19]) != std::string::npos);
  CHECK(id[23] == '-');
  CHECK(id.find_first_not_of("0123456789abcdef-") == std::string::npos);
  CHECK(Eval("States.UUID()", Value(), &b).value == o.value);
  CHECK_FALSE(Eval("States.UUID()", Value(), &a).value == o.value);
}

TEST_CASE("Java's Double.toString layout is reproduced") {
  using stepflow::asl::intrinsic::JavaDoubleToString;
  CHECK(JavaDoubleToString(1.0) == "1.0");
  CHECK(JavaDoubleToString(-1.5) == "-1.5");
  CHECK(JavaDoubleToString(0.001) == "0.001");
  CHECK(JavaDoubleToString(0.0001) == "1.0E-4");
  CHECK(JavaDoubleToString(9999999.0) == "9999999.0");
  CHECK(JavaDoubleToString(10000000.0) == "1.0E7");
  CHECK(JavaDoubleToString(1.2345e-7) == "1.2345E-7");
  CHECK(JavaDoubleToString(-0.0) == "-0.0");
  CHECK(JavaDoubleToString(123.456) == "123.456");
  CHECK(JavaDoubleToString(0.1 + 0.2) == "0.30000000000000004");
  // Integral values in [2^53, 2^63) keep the digits JDK 17 prints (checked with a JDK).
  CHECK(JavaDoubleToString(2549094512998156800.0) == "2.5490945129981568E18");
  CHECK(JavaDoubleToString(625956146413041920.0) == "6.2595614641304192E17");
  CHECK(JavaDoubleToString(98355670230429024.0) == "9.8355670230429024E16");
  CHECK(JavaDoubleToString(1e17) == "1.0E17");
}

TEST_CASE("Intrinsic path arguments may use brackets, wildcards and filters") {
  Value input = Json(R"j({"items": [{"id": "a", "n": 1}, {"id": "b", "n": 5}], "odd key": ",)"})j");
  CHECK(EvalJson("States.Array($.items[0].id, $['odd key'], $.items[1]['n'])", ToJson(input)) ==
        R"j(["a",",)",5])j");
  CHECK(EvalJson("States.ArrayLength($.items[*].id)", ToJson(input)) == "2");
  CHECK(EvalJson("States.Array($.items[?(@.n > 2)].id)", ToJson(input)) == R"([["b"]])");
  CHECK(EvalJson("States.Array($..id)", ToJson(input)) == R"([["a","b"]])");
}

TEST_CASE("Intrinsic parse reports a bad path") {
  CHECK(ParseError("States.Array($.a[)") == "unbalanced ')' in path at offset 17");
  CHECK(ParseError("States.Array($.a['x)") == "unterminated path starting at offset 13");
  std::string e;
  e = ParseError("States.Array($.)");
  CHECK(e.starts_with("invalid path '$.': "));
}

TEST_CASE("Intrinsic path arguments accept AWS's documented bracket form for odd names") {
  // "$.abc.['def ghi']" is the example in AWS's documentation.
  CHECK(EvalJson("States.Array($.abc.['def ghi'])", R"({"abc": {"def ghi": 7}})") == "[7]");
  CHECK(EvalJson("States.Array($.abc['def ghi'])", R"({"abc": {"def ghi": 7}})") == "[7]");
}

TEST_CASE("Intrinsic calls from the recorded Assign cases evaluate with variables") {
  // assign-reference-variables-...-outer-scope: Sum is not in the recorded output,
  // so only its evaluation is checked here (44 + 9 + 6 + round(4.3)).
  stepflow::asl::VariableScope outer{Json(R"({"bias": 4.3})"), nullptr};
  stepflow::asl::VariableScope inner{Json(R"({"xCurrent": 9, "yCurrent": 44, "zCurrent": 6})"), &outer};
  EvalEnv env;
  env.variables = &inner;
  IntrinsicCall call;
  std::string error;
  REQUIRE(IntrinsicCall::Parse(
      "States.MathAdd(States.MathAdd(States.MathAdd($yCurrent, $xCurrent), $zCurrent), $bias)", &call,
      &error));
  Value out;
  Failure failure;
  REQUIRE(call.Evaluate(Value(), env, &out, &failure));
  CHECK(ToJson(out) == "63");
  // assign-base-base-cases-base-paths and -base-var.
  CHECK(EvalJson("States.Format('Format Func {}', $.input_value)",
                 R"({"input_value": "input_value_literal"})") == R"("Format Func input_value_literal")");
}

TEST_CASE("Intrinsic calls with more arguments than fit on the stack evaluate them all") {
  CHECK(EvalJson("States.Array(1, 2, 3, 4, 5, 6, 7, 8, 9, $.a)", R"({"a":"x"})") == R"([1,2,3,4,5,6,7,8,9,"x"])");
  CHECK(EvalJson("States.Format('{}{}{}{}{}{}{}{}{}', 1, 2, 3, 4, 5, 6, 7, 8, $.a)", R"({"a":"x"})") ==
        R"("12345678x")");
}
