// Choice rules: the comparison operators, And/Or/Not and JSONata Conditions.

#include <string_view>

#include "field_reader.h"
#include "parse_internal.h"
#include "stepflow/asl/timestamp.h"

namespace stepflow::asl {
namespace {

using Op = ChoiceRule::Op;

// What a comparison operator compares its Variable with.
enum class Operand { kString, kNumber, kBoolean, kTimestamp, kTypeTest, kPattern };

struct Operator {
  std::string_view name;
  Op op;
  Operand operand;
  bool has_path_variant;
};

// Every comparison operator of ASL, as AWS spells it. The `...Path` variants take a
// reference path instead of a literal.
constexpr Operator kOperators[] = {
    {"StringEquals", Op::kStringEquals, Operand::kString, true},
    {"StringLessThan", Op::kStringLessThan, Operand::kString, true},
    {"StringGreaterThan", Op::kStringGreaterThan, Operand::kString, true},
    {"StringLessThanEquals", Op::kStringLessThanEquals, Operand::kString, true},
    {"StringGreaterThanEquals", Op::kStringGreaterThanEquals, Operand::kString, true},
    {"StringMatches", Op::kStringMatches, Operand::kPattern, false},
    {"NumericEquals", Op::kNumericEquals, Operand::kNumber, true},
    {"NumericLessThan", Op::kNumericLessThan, Operand::kNumber, true},
    {"NumericGreaterThan", Op::kNumericGreaterThan, Operand::kNumber, true},
    {"NumericLessThanEquals", Op::kNumericLessThanEquals, Operand::kNumber, true},
    {"NumericGreaterThanEquals", Op::kNumericGreaterThanEquals, Operand::kNumber, true},
    {"BooleanEquals", Op::kBooleanEquals, Operand::kBoolean, true},
    {"TimestampEquals", Op::kTimestampEquals, Operand::kTimestamp, true},
    {"TimestampLessThan", Op::kTimestampLessThan, Operand::kTimestamp, true},
    {"TimestampGreaterThan", Op::kTimestampGreaterThan, Operand::kTimestamp, true},
    {"TimestampLessThanEquals", Op::kTimestampLessThanEquals, Operand::kTimestamp, true},
    {"TimestampGreaterThanEquals", Op::kTimestampGreaterThanEquals, Operand::kTimestamp, true},
    {"IsNull", Op::kIsNull, Operand::kTypeTest, false},
    {"IsPresent", Op::kIsPresent, Operand::kTypeTest, false},
    {"IsNumeric", Op::kIsNumeric, Operand::kTypeTest, false},
    {"IsString", Op::kIsString, Operand::kTypeTest, false},
    {"IsBoolean", Op::kIsBoolean, Operand::kTypeTest, false},
    {"IsTimestamp", Op::kIsTimestamp, Operand::kTypeTest, false},
};

// The operator named by `key` (with `*is_path` for a `...Path` variant), or null.
const Operator* FindOperator(std::string_view key, bool* is_path) {
  constexpr std::string_view kPath = "Path";
  for (const Operator& o : kOperators) {
    if (key == o.name) {
      *is_path = false;
      return &o;
    }
    if (o.has_path_variant && key.size() == o.name.size() + kPath.size() && key.substr(0, o.name.size()) == o.name &&
        key.substr(o.name.size()) == kPath) {
      *is_path = true;
      return &o;
    }
  }
  return nullptr;
}

bool IsLogical(std::string_view key) { return key == "And" || key == "Or" || key == "Not"; }

void CheckOperand(const Operator& o, const Value& value, const std::string& location, const FieldReader& r,
                  ChoiceRule* rule) {
  std::string name(o.name);
  switch (o.operand) {
    case Operand::kString:
    case Operand::kPattern:
      if (!value.is_string()) {
        r.Error(location, "The operator '" + name + "' compares with a string, not " + TypeName(value.type()) + ".");
        return;
      }
      if (o.has_path_variant && LooksLikePathOrCall(value.AsString())) {
        r.Warning(location,
                  "The value of '" + name + "' looks like a path but is compared as a literal string; use '" + name +
                      "Path' to compare with the value at that path.",
                  codes::kNoPath);
      }
      break;
    case Operand::kNumber:
      if (!value.is_number()) {
        r.Error(location, "The operator '" + name + "' compares with a number, not " + TypeName(value.type()) + ".");
        return;
      }
      break;
    case Operand::kBoolean:
    case Operand::kTypeTest:
      if (!value.is_bool()) {
        r.Error(location, "The operator '" + name + "' takes a boolean, not " + TypeName(value.type()) + ".");
        return;
      }
      break;
    case Operand::kTimestamp:
      // AWS parses timestamp literals at validation: "2016-03-14T01:59:00Z".
      if (!value.is_string() || !ParseTimestamp(value.AsString())) {
        r.Error(location, "The operator '" + name +
                              "' compares with a timestamp: a string in RFC 3339 format such as "
                              "\"2016-03-14T01:59:00Z\".");
        return;
      }
      break;
  }
  rule->operand = value;
}

ChoiceRule ParseJsonataRule(const FieldReader& r, bool top_level) {
  ChoiceRule rule;
  rule.op = Op::kCondition;
  for (const auto& [key, value] : r.object().AsObject()) {
    if (key == "Condition" || key == "Comment") continue;
    if (top_level && (key == "Next" || key == "Assign" || key == "Output")) continue;
    bool is_path = false;
    if (key == "Variable" || IsLogical(key) || FindOperator(key, &is_path) != nullptr) {
      r.Error(r.Loc(key), "The field '" + key + "' is not supported in JSONata Choice rules; use 'Condition'.");
    } else {
      r.Error(r.Loc(key), "The field '" + key + "' is not supported in Choice rules.");
    }
  }
  if (const Value* condition = r.Find("Condition")) {
    if (condition->is_bool() || IsJsonataExpression(*condition)) {
      rule.condition = *condition;
    } else {
      r.Error(r.Loc("Condition"),
              "The field 'Condition' must be a JSONata expression string \"{% ... %}\" or a boolean.");
    }
  } else {
    r.Missing("Condition");
  }
  if (top_level) {
    if (const Value* assign = r.Object("Assign")) {
      CheckVariableNames(*assign, r.Loc("Assign"), r.diagnostics());
      rule.jsonata_assign = *assign;
    }
    if (const Value* output = r.Find("Output")) rule.jsonata_output = *output;
  }
  return rule;
}

}  // namespace

ChoiceRule ParseChoiceRule(const Value& source, const std::string& location, QueryLanguage language,
                           bool top_level, Diagnostics* diagnostics) {
  FieldReader r(source, location, diagnostics);
  if (!source.is_object()) {
    r.Error(location, std::string("A Choice rule must be an object, not ") + TypeName(source.type()) + ".");
    return ChoiceRule();
  }
  r.CheckDuplicateMembers();
  ChoiceRule rule = language == QueryLanguage::kJsonata ? ParseJsonataRule(r, top_level) : ChoiceRule();
  if (language == QueryLanguage::kJsonPath) {
    int operators = 0;
    for (const auto& [key, value] : source.AsObject()) {
      std::string where = r.Loc(key);
      bool is_path = false;
      if (const Operator* o = FindOperator(key, &is_path)) {
        if (++operators > 1) continue;
        rule.op = o->op;
        if (is_path) {
          Path path;
          if (ReadPath(value, where, key, /*reference=*/true, &path, diagnostics)) rule.operand_path = std::move(path);
        } else {
          CheckOperand(*o, value, where, r, &rule);
        }
      } else if (key == "And" || key == "Or") {
        if (++operators > 1) continue;
        rule.op = key == "And" ? Op::kAnd : Op::kOr;
        if (!value.is_array() || value.AsArray().empty()) {
          r.Error(where, "The field '" + key + "' must be a non-empty array of Choice rules.");
          continue;
        }
        const Array& items = value.AsArray();
        for (size_t i = 0; i < items.size(); ++i) {
          rule.children.push_back(
              ParseChoiceRule(items[i], PointerAppend(where, std::to_string(i)), language, false, diagnostics));
        }
      } else if (key == "Not") {
        if (++operators > 1) continue;
        rule.op = Op::kNot;
        rule.children.push_back(ParseChoiceRule(value, where, language, false, diagnostics));
      } else if (key == "Variable" || key == "Comment") {
        // Read below.
      } else if (key == "Next" || key == "Assign") {
        if (!top_level) {
          r.Error(where, "The field '" + key +
                             "' is only allowed on the top-level rules of Choices, not inside And, Or or Not.");
        }
      } else if (key == "Condition" || key == "Output") {
        r.Error(where, "The field '" + key + "' is only supported in JSONata states; this state uses JSONPath.");
      } else {
        r.Error(where, "The field '" + key + "' is not a Choice rule field or comparison operator.");
      }
    }
    if (operators == 0) {
      r.Error(location,
              "A Choice rule must have exactly one comparison operator (such as 'StringEquals' or 'IsPresent') or "
              "one of 'And', 'Or', 'Not'; it has none.");
    } else if (operators > 1) {
      r.Error(location, "A Choice rule must have exactly one comparison operator or 'And'/'Or'/'Not'; it has " +
                            std::to_string(operators) + ".");
    }
    bool logical = rule.op == Op::kAnd || rule.op == Op::kOr || rule.op == Op::kNot;
    if (const Value* variable = r.Find("Variable")) {
      if (logical && operators == 1) {
        r.Error(r.Loc("Variable"), "The field 'Variable' is not allowed on an And, Or or Not rule.");
      } else {
        Path path;
        if (ReadPath(*variable, r.Loc("Variable"), "Variable", /*reference=*/true, &path, diagnostics)) {
          rule.variable = std::move(path);
        }
      }
    } else if (!logical && operators == 1) {
      r.Error(location, "A Choice rule with a comparison operator needs the field 'Variable'.");
    }
    if (top_level) {
      if (const Value* assign = r.Object("Assign")) {
        rule.assign = CompileTemplate(*assign, r.Loc("Assign"), /*is_assign=*/true, diagnostics);
      }
    }
  }
  r.String("Comment");
  if (top_level) {
    if (std::optional<std::string> next = r.StateName("Next", /*required=*/true)) rule.next = *next;
  }
  return rule;
}

}  // namespace stepflow::asl
