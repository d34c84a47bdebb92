#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "stepflow/asl/diagnostic.h"
#include "stepflow/asl/intrinsics.h"
#include "stepflow/asl/path.h"
#include "stepflow/asl/payload_template.h"
#include "stepflow/asl/value.h"

namespace stepflow::asl {

// The diagnostic codes, spelled as AWS ValidateStateMachineDefinition spells them
// (plus the two the payload template compiler shares with us).
namespace codes {
inline constexpr const char kInvalidJson[] = "INVALID_JSON_DESCRIPTION";
inline constexpr const char kMissingDescription[] = "MISSING_DESCRIPTION";
inline constexpr const char kSchema[] = "SCHEMA_VALIDATION_FAILED";
inline constexpr const char kInvalidResource[] = "INVALID_RESOURCE";
inline constexpr const char kMissingEndState[] = "MISSING_END_STATE";
inline constexpr const char kDuplicateStateName[] = "DUPLICATE_STATE_NAME";
inline constexpr const char kInvalidStateName[] = "INVALID_STATE_NAME";
inline constexpr const char kMissingTransitionTarget[] = "MISSING_TRANSITION_TARGET";
inline constexpr const char kTooDeeplyNested[] = "TOO_DEEPLY_NESTED";
inline constexpr const char kInvalidJsonPath[] = "INVALID_JSON_PATH";
inline constexpr const char kInvalidIntrinsic[] = "INVALID_INTRINSIC_FUNCTION";
inline constexpr const char kInvalidVariableName[] = "INVALID_VARIABLE_NAME";
// Warnings.
inline constexpr const char kNoDollar[] = "NO_DOLLAR";
inline constexpr const char kNoPath[] = "NO_PATH";
inline constexpr const char kPassResultIsStatic[] = "PASS_RESULT_IS_STATIC";
}  // namespace codes

// `base` extended by one JSON pointer token, escaped per RFC 6901 ("a/b" -> "a~1b").
std::string PointerAppend(const std::string& base, std::string_view token);

// True for a JSONata expression string: "{% ... %}".
bool IsJsonataExpression(const Value& value);

// The "get this field or add a diagnostic" helpers: a view of one JSON object at
// a JSON pointer location. Every getter returns nothing, without a diagnostic, when
// the field is absent (unless `required`), and nothing with a diagnostic when it is
// present with the wrong type or an out-of-range value. Borrowed pointers must
// outlive the reader.
class FieldReader {
 public:
  FieldReader(const Value& object, std::string location, Diagnostics* diagnostics)
      : object_(object), location_(std::move(location)), diagnostics_(diagnostics) {}

  const Value& object() const { return object_; }
  const std::string& location() const { return location_; }
  std::string Loc(std::string_view field) const { return PointerAppend(location_, field); }
  Diagnostics* diagnostics() const { return diagnostics_; }

  const Value* Find(std::string_view field) const { return object_.Find(field); }
  bool Has(std::string_view field) const { return object_.Find(field) != nullptr; }

  void Error(const std::string& location, std::string message, const char* code = codes::kSchema) const;
  void Warning(const std::string& location, std::string message, const char* code) const;
  // "The field 'X' is required."
  void Missing(std::string_view field) const;

  std::optional<std::string> String(std::string_view field, bool required = false) const;
  // A state name (StartAt, Next, Default): a non-empty string.
  std::optional<std::string> StateName(std::string_view field, bool required = false) const;
  std::optional<bool> Bool(std::string_view field, bool required = false) const;
  std::optional<double> Number(std::string_view field, bool required = false) const;
  // An integral number in [min, max].
  std::optional<int64_t> Integer(std::string_view field, int64_t min, int64_t max, bool required = false) const;
  const Value* Object(std::string_view field, bool required = false) const;
  const Value* Array(std::string_view field, bool required = false) const;

  // A JSONPath. `reference` requires a definite path (a reference path).
  std::optional<Path> JsonPath(std::string_view field, bool reference, bool required = false) const;

  // Reports every member listed twice in the object.
  void CheckDuplicateMembers() const;

 private:
  const Value& object_;
  std::string location_;
  Diagnostics* diagnostics_;
};

// Checks `value` (at `location`) as a JSONPath; adds a diagnostic and returns false
// when it is not a string, does not parse, or (with `reference`) is not definite.
bool ReadPath(const Value& value, const std::string& location, std::string_view field, bool reference, Path* out,
              Diagnostics* diagnostics);

// Same for an intrinsic call ("States.Format(...)").
bool ReadIntrinsic(const std::string& text, const std::string& location, std::string_view field,
                   IntrinsicCall* out, Diagnostics* diagnostics);

// Compiles a JSONPath payload template (Parameters, ResultSelector, ItemSelector,
// Assign) and adds AWS's NO_DOLLAR warning for each plain key whose string value
// looks like a path or an intrinsic call. With `is_assign`, checks that every key
// (less its ".$") is a valid variable name.
PayloadTemplate CompileTemplate(const Value& source, const std::string& location, bool is_assign,
                                Diagnostics* diagnostics);

// Checks the variable names of a JSONata state's Assign object.
void CheckVariableNames(const Value& assign, const std::string& location, Diagnostics* diagnostics);

// True when a plain string looks like a JSONPath ("$.x", "$$.x") or an intrinsic call.
bool LooksLikePathOrCall(const std::string& text);

// Adds PASS_RESULT_IS_STATIC when a Pass state's Result has keys ending in ".$".
void WarnStaticResult(const Value& result, const std::string& location, Diagnostics* diagnostics);

// A number of UTF-8 code points (state names are limited in characters, not bytes).
size_t CodePointCount(std::string_view text);

}  // namespace stepflow::asl
