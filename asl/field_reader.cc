#include "field_reader.h"

#include <cmath>
#include <unordered_set>

namespace stepflow::asl {

std::string PointerAppend(const std::string& base, std::string_view token) {
  std::string out = base;
  out.reserve(base.size() + token.size() + 1);
  out += '/';
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

bool IsJsonataExpression(const Value& value) {
  if (!value.is_string()) return false;
  const std::string& s = value.AsString();
  return s.size() >= 4 && s.compare(0, 2, "{%") == 0 && s.compare(s.size() - 2, 2, "%}") == 0;
}

size_t CodePointCount(std::string_view text) {
  size_t n = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++n;  // count every byte that is not a continuation byte
  }
  return n;
}

void FieldReader::Error(const std::string& location, std::string message, const char* code) const {
  diagnostics_->push_back({Diagnostic::Severity::kError, code, location, std::move(message)});
}

void FieldReader::Warning(const std::string& location, std::string message, const char* code) const {
  diagnostics_->push_back({Diagnostic::Severity::kWarning, code, location, std::move(message)});
}

void FieldReader::Missing(std::string_view field) const {
  Error(location_, "The field '" + std::string(field) + "' is required.");
}

namespace {

std::string Quote(std::string_view field) { return "'" + std::string(field) + "'"; }

}  // namespace

std::optional<std::string> FieldReader::String(std::string_view field, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return std::nullopt;
  }
  if (!v->is_string()) {
    Error(Loc(field), "The field " + Quote(field) + " must be a string, not " + TypeName(v->type()) + ".");
    return std::nullopt;
  }
  return v->AsString();
}

std::optional<std::string> FieldReader::StateName(std::string_view field, bool required) const {
  std::optional<std::string> name = String(field, required);
  if (name && name->empty()) {
    Error(Loc(field), "The field " + Quote(field) + " must name a state; it is empty.",
          codes::kMissingTransitionTarget);
    return std::nullopt;
  }
  return name;
}

std::optional<bool> FieldReader::Bool(std::string_view field, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return std::nullopt;
  }
  if (!v->is_bool()) {
    Error(Loc(field), "The field " + Quote(field) + " must be a boolean, not " + TypeName(v->type()) + ".");
    return std::nullopt;
  }
  return v->AsBool();
}

std::optional<double> FieldReader::Number(std::string_view field, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return std::nullopt;
  }
  if (!v->is_number()) {
    Error(Loc(field), "The field " + Quote(field) + " must be a number, not " + TypeName(v->type()) + ".");
    return std::nullopt;
  }
  return v->AsDouble();
}

std::optional<int64_t> FieldReader::Integer(std::string_view field, int64_t min, int64_t max, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return std::nullopt;
  }
  std::string range = "from " + std::to_string(min) + " to " + std::to_string(max);
  if (!v->is_number() || (!v->is_int() && std::trunc(v->AsDouble()) != v->AsDouble())) {
    Error(Loc(field), "The field " + Quote(field) + " must be an integer " + range + ".");
    return std::nullopt;
  }
  double d = v->AsDouble();
  if (d < static_cast<double>(min) || d > static_cast<double>(max)) {
    Error(Loc(field), "The field " + Quote(field) + " must be an integer " + range + ".");
    return std::nullopt;
  }
  return v->is_int() ? v->AsInt() : static_cast<int64_t>(d);
}

const Value* FieldReader::Object(std::string_view field, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return nullptr;
  }
  if (!v->is_object()) {
    Error(Loc(field), "The field " + Quote(field) + " must be an object, not " + TypeName(v->type()) + ".");
    return nullptr;
  }
  return v;
}

const Value* FieldReader::Array(std::string_view field, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return nullptr;
  }
  if (!v->is_array()) {
    Error(Loc(field), "The field " + Quote(field) + " must be an array, not " + TypeName(v->type()) + ".");
    return nullptr;
  }
  return v;
}

std::optional<Path> FieldReader::JsonPath(std::string_view field, bool reference, bool required) const {
  const Value* v = Find(field);
  if (v == nullptr) {
    if (required) Missing(field);
    return std::nullopt;
  }
  Path path;
  if (!ReadPath(*v, Loc(field), field, reference, &path, diagnostics_)) return std::nullopt;
  return path;
}

void FieldReader::CheckDuplicateMembers() const {
  if (!object_.is_object()) return;
  std::unordered_set<std::string_view> seen;
  for (const auto& [key, value] : object_.AsObject()) {
    if (!seen.insert(key).second) {
      Error(Loc(key), "The field " + Quote(key) + " appears more than once.");
    }
  }
}

bool ReadPath(const Value& value, const std::string& location, std::string_view field, bool reference, Path* out,
              Diagnostics* diagnostics) {
  if (!value.is_string()) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kSchema, location,
                            "The field " + Quote(field) + " must be a string holding a JSONPath, not " +
                                TypeName(value.type()) + "."});
    return false;
  }
  std::string error;
  if (!Path::Parse(value.AsString(), out, &error)) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kInvalidJsonPath, location,
                            "The value for the field " + Quote(field) + " must be a valid JSONPath: " + error});
    return false;
  }
  if (reference && !out->is_definite()) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kInvalidJsonPath, location,
                            "The value for the field " + Quote(field) +
                                " must be a valid reference path (a JSONPath that names a single value, "
                                "without wildcards, slices, filters or '..'): '" +
                                value.AsString() + "'."});
    return false;
  }
  return true;
}

bool ReadIntrinsic(const std::string& text, const std::string& location, std::string_view field,
                   IntrinsicCall* out, Diagnostics* diagnostics) {
  std::string error;
  if (!IntrinsicCall::Parse(text, out, &error)) {
    diagnostics->push_back({Diagnostic::Severity::kError, codes::kInvalidIntrinsic, location,
                            "The value for the field " + Quote(field) +
                                " must be a valid intrinsic function call: " + error});
    return false;
  }
  return true;
}

namespace {

constexpr std::string_view kDollarSuffix = ".$";

bool EndsWithDollar(std::string_view key) {
  return key.size() > kDollarSuffix.size() && key.substr(key.size() - kDollarSuffix.size()) == kDollarSuffix;
}

// AWS variable names: a letter or underscore, then letters, digits and underscores
// (non-ASCII letters allowed), at most 80 characters.
bool IsValidVariableName(std::string_view name) {
  if (name.empty() || CodePointCount(name) > 80) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(name[i]);
    bool ok = c >= 0x80 || c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

void CheckNames(const Value& assign, const std::string& location, bool strip_dollar, Diagnostics* diagnostics) {
  if (!assign.is_object()) return;
  for (const auto& [key, value] : assign.AsObject()) {
    std::string_view name = key;
    if (strip_dollar && EndsWithDollar(name)) name.remove_suffix(kDollarSuffix.size());
    if (!IsValidVariableName(name)) {
      diagnostics->push_back({Diagnostic::Severity::kError, codes::kInvalidVariableName, PointerAppend(location, key),
                              "'" + std::string(name) +
                                  "' is not a valid variable name: use a letter or '_' followed by letters, digits "
                                  "or '_', at most 80 characters."});
    }
  }
}

}  // namespace

bool LooksLikePathOrCall(const std::string& text) {
  return text == "$" || text.rfind("$.", 0) == 0 || text.rfind("$$.", 0) == 0 || text.rfind("$[", 0) == 0 ||
         IntrinsicCall::LooksLikeCall(text);
}

PayloadTemplate CompileTemplate(const Value& source, const std::string& location, bool is_assign,
                                Diagnostics* diagnostics) {
  if (is_assign) CheckNames(source, location, /*strip_dollar=*/true, diagnostics);
  // Walk with an explicit stack: the source may be as deep as the JSON limit allows.
  std::vector<std::pair<const Value*, std::string>> stack{{&source, location}};
  while (!stack.empty()) {
    auto [value, where] = std::move(stack.back());
    stack.pop_back();
    if (value->is_object()) {
      for (const auto& [key, member] : value->AsObject()) {
        if (EndsWithDollar(key)) continue;
        std::string at = PointerAppend(where, key);
        if (member.is_string() && LooksLikePathOrCall(member.AsString())) {
          diagnostics->push_back({Diagnostic::Severity::kWarning, codes::kNoDollar, at,
                                  "The value of '" + key + "' looks like a path or intrinsic function, but '" + key +
                                      "' does not end in '.$', so it is used as a literal string."});
        }
        stack.emplace_back(&member, std::move(at));
      }
    } else if (value->is_array()) {
      const Array& items = value->AsArray();
      for (size_t i = 0; i < items.size(); ++i) stack.emplace_back(&items[i], PointerAppend(where, std::to_string(i)));
    }
  }
  return PayloadTemplate::Compile(source, location, diagnostics);
}

void CheckVariableNames(const Value& assign, const std::string& location, Diagnostics* diagnostics) {
  CheckNames(assign, location, /*strip_dollar=*/false, diagnostics);
}

void WarnStaticResult(const Value& result, const std::string& location, Diagnostics* diagnostics) {
  if (!result.is_object()) return;
  for (const auto& [key, member] : result.AsObject()) {
    if (EndsWithDollar(key)) {
      diagnostics->push_back({Diagnostic::Severity::kWarning, codes::kPassResultIsStatic, PointerAppend(location, key),
                              "'Result' is used as is: the key '" + key +
                                  "' ends in '.$' but paths are not evaluated in Result (use Parameters)."});
    }
  }
}

}  // namespace stepflow::asl
