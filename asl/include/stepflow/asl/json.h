#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "stepflow/asl/value.h"

namespace stepflow::asl {

struct JsonLimits {
  size_t max_bytes = 64 * 1024 * 1024;
  // Jackson's default nesting limit; every walk of a Value recurses at most this deep.
  size_t max_depth = 1000;
};

struct JsonError {
  std::string message;  // "Missing a comma or '}' after an object member."
  size_t offset = 0;
  size_t line = 0;    // 1-based
  size_t column = 0;  // 1-based
};

// Parses UTF-8 JSON text into `out`. Returns false and fills `error` on invalid
// syntax, invalid UTF-8, too deep nesting or oversize input. Recurses no
// deeper than limits.max_depth.
bool ParseJson(std::string_view text, Value* out, JsonError* error,
               const JsonLimits& limits = JsonLimits());

// Compact JSON text. Doubles print in shortest round-trip form.
std::string ToJson(const Value& value);
void AppendJson(const Value& value, std::string* out);
// Appends `text` as a quoted, escaped JSON string. Control characters without
// a short escape become \u00XX: upper-case hex as rapidjson and Java write them
// (AWS), lower-case as JavaScript's JSON.stringify does (JSONata).
enum class HexDigits { kUpper, kLower };
void AppendJsonString(std::string_view text, std::string* out, HexDigits hex = HexDigits::kUpper);
// Appends the JSON text of `value` as a quoted JSON string, as
// AppendJsonString(ToJson(value), out) would, in one pass. Returns the size of
// that JSON text (not of what was appended).
size_t AppendJsonAsString(const Value& value, std::string* out);
// The size of ToJson(value), counted without writing it.
size_t JsonSize(const Value& value);
// JsonSize(value) > limit, mostly in O(1): Value::JsonSizeBound settles all
// but values near the limit.
bool JsonSizeOver(const Value& value, size_t limit);
// Indented JSON text for people.
std::string ToPrettyJson(const Value& value);

// Nesting depth of a value (a scalar is 0), stopping early past `limit`.
size_t JsonDepth(const Value& value, size_t limit);

}  // namespace stepflow::asl
