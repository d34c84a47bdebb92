#include "stepflow/asl/choice.h"

#include <vector>

#include "stepflow/asl/errors.h"
#include "stepflow/asl/timestamp.h"

namespace stepflow::asl {
namespace {

using Op = ChoiceRule::Op;

enum class Family { kString, kNumeric, kBoolean, kTimestamp, kOther };

Family FamilyOf(Op op) {
  switch (op) {
    case Op::kStringEquals:
    case Op::kStringLessThan:
    case Op::kStringGreaterThan:
    case Op::kStringLessThanEquals:
    case Op::kStringGreaterThanEquals:
    case Op::kStringMatches:
      return Family::kString;
    case Op::kNumericEquals:
    case Op::kNumericLessThan:
    case Op::kNumericGreaterThan:
    case Op::kNumericLessThanEquals:
    case Op::kNumericGreaterThanEquals:
      return Family::kNumeric;
    case Op::kBooleanEquals:
      return Family::kBoolean;
    case Op::kTimestampEquals:
    case Op::kTimestampLessThan:
    case Op::kTimestampGreaterThan:
    case Op::kTimestampLessThanEquals:
    case Op::kTimestampGreaterThanEquals:
      return Family::kTimestamp;
    default:
      return Family::kOther;
  }
}

// -1, 0, 1 mapped onto the operator's relation.
bool Holds(Op op, int cmp) {
  switch (op) {
    case Op::kStringEquals:
    case Op::kNumericEquals:
    case Op::kTimestampEquals:
    case Op::kBooleanEquals:
      return cmp == 0;
    case Op::kStringLessThan:
    case Op::kNumericLessThan:
    case Op::kTimestampLessThan:
      return cmp < 0;
    case Op::kStringGreaterThan:
    case Op::kNumericGreaterThan:
    case Op::kTimestampGreaterThan:
      return cmp > 0;
    case Op::kStringLessThanEquals:
    case Op::kNumericLessThanEquals:
    case Op::kTimestampLessThanEquals:
      return cmp <= 0;
    case Op::kStringGreaterThanEquals:
    case Op::kNumericGreaterThanEquals:
    case Op::kTimestampGreaterThanEquals:
      return cmp >= 0;
    default:
      return false;
  }
}

int CompareNumbers(const Value& a, const Value& b) {
  if (a.is_int() && b.is_int()) return a.AsInt() < b.AsInt() ? -1 : (a.AsInt() > b.AsInt() ? 1 : 0);
  long double x = a.is_int() ? static_cast<long double>(a.AsInt()) : a.AsDouble();
  long double y = b.is_int() ? static_cast<long double>(b.AsInt()) : b.AsDouble();
  return x < y ? -1 : (x > y ? 1 : 0);
}

bool Compare(Op op, const Value& value, const Value& operand) {
  switch (FamilyOf(op)) {
    case Family::kString:
      if (!value.is_string() || !operand.is_string()) return false;
      if (op == Op::kStringMatches) return StringMatchesPattern(value.AsString(), operand.AsString());
      return Holds(op, value.AsString().compare(operand.AsString()) < 0
                           ? -1
                           : (value.AsString() == operand.AsString() ? 0 : 1));
    case Family::kNumeric:
      if (!value.is_number() || !operand.is_number()) return false;
      return Holds(op, CompareNumbers(value, operand));
    case Family::kBoolean:
      return value.is_bool() && operand.is_bool() && value.AsBool() == operand.AsBool();
    case Family::kTimestamp: {
      if (!value.is_string() || !operand.is_string()) return false;
      auto a = ParseTimestamp(value.AsString());
      auto b = ParseTimestamp(operand.AsString());
      if (!a || !b) return false;
      return Holds(op, *a < *b ? -1 : (*a > *b ? 1 : 0));
    }
    case Family::kOther:
      break;
  }
  return false;
}

bool TypeTest(const ChoiceRule& rule, const Value* value) {
  bool expected = rule.operand.is_bool() && rule.operand.AsBool();
  bool actual = false;
  switch (rule.op) {
    case Op::kIsPresent:
      actual = value != nullptr;
      break;
    case Op::kIsNull:
      actual = value != nullptr && value->is_null();
      break;
    case Op::kIsNumeric:
      actual = value != nullptr && value->is_number();
      break;
    case Op::kIsString:
      actual = value != nullptr && value->is_string();
      break;
    case Op::kIsBoolean:
      actual = value != nullptr && value->is_bool();
      break;
    case Op::kIsTimestamp:
      actual = value != nullptr && value->is_string() && ParseTimestamp(value->AsString()).has_value();
      break;
    default:
      break;
  }
  return actual == expected;
}

bool IsTypeTest(Op op) {
  return op == Op::kIsPresent || op == Op::kIsNull || op == Op::kIsNumeric || op == Op::kIsString ||
         op == Op::kIsBoolean || op == Op::kIsTimestamp;
}

bool EvaluateLeaf(const ChoiceRule& rule, const Value& input, const EvalEnv& env, bool* matched,
                  Failure* failure) {
  Value value;
  std::string error;
  bool found = rule.variable && ResolvePath(*rule.variable, input, env, &value, &error);
  if (IsTypeTest(rule.op)) {
    // An indefinite path that matched nothing counts as absent.
    if (found && !rule.variable->is_definite() && value.is_array() && value.AsArray().empty()) found = false;
    *matched = TypeTest(rule, found ? &value : nullptr);
    return true;
  }
  if (!found) {
    failure->error = errors::kRuntime;
    failure->cause = "Invalid path '" + (rule.variable ? rule.variable->text() : std::string()) + "' : " + error;
    return false;
  }
  if (rule.operand_path) {
    Value operand;
    if (!ResolvePath(*rule.operand_path, input, env, &operand, &error)) {
      failure->error = errors::kRuntime;
      failure->cause = "Invalid path '" + rule.operand_path->text() + "' : " + error;
      return false;
    }
    *matched = Compare(rule.op, value, operand);
  } else {
    *matched = Compare(rule.op, value, rule.operand);
  }
  return true;
}

}  // namespace

bool EvaluateChoiceRule(const ChoiceRule& rule, const Value& input, const EvalEnv& env, bool* matched,
                        Failure* failure) {
  switch (rule.op) {
    case Op::kAnd:
      for (const ChoiceRule& child : rule.children) {
        if (!EvaluateChoiceRule(child, input, env, matched, failure)) return false;
        if (!*matched) return true;
      }
      *matched = true;
      return true;
    case Op::kOr:
      for (const ChoiceRule& child : rule.children) {
        if (!EvaluateChoiceRule(child, input, env, matched, failure)) return false;
        if (*matched) return true;
      }
      *matched = false;
      return true;
    case Op::kNot:
      if (rule.children.empty() || !EvaluateChoiceRule(rule.children[0], input, env, matched, failure)) {
        return false;
      }
      *matched = !*matched;
      return true;
    case Op::kCondition:
      failure->error = errors::kRuntime;
      failure->cause = "A JSONata Condition cannot be evaluated as a JSONPath rule.";
      return false;
    default:
      return EvaluateLeaf(rule, input, env, matched, failure);
  }
}

bool StringMatchesPattern(std::string_view text, std::string_view pattern) {
  // Tokenise: literal characters and '*' wildcards; escapes make '*' and '\' literal.
  struct Token {
    bool star;
    char c;
  };
  std::vector<Token> tokens;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      tokens.push_back({false, pattern[++i]});
    } else {
      tokens.push_back({pattern[i] == '*', pattern[i]});
    }
  }
  // Greedy wildcard matching with one backtrack point: linear in practice, no recursion.
  size_t t = 0, p = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < tokens.size() && !tokens[p].star && tokens[p].c == text[t]) {
      ++t;
      ++p;
    } else if (p < tokens.size() && tokens[p].star) {
      star = p++;
      mark = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < tokens.size() && tokens[p].star) ++p;
  return p == tokens.size();
}

}  // namespace stepflow::asl
