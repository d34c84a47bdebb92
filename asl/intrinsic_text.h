#pragma once

// Text helpers for the intrinsic functions: Java's ways of printing numbers and
// JSON, UTF-8 walking, Base64. Internal to asl.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "stepflow/asl/value.h"

namespace stepflow::asl::intrinsic {

// Splits a States.Format template taken from data at each `{}`; the result has
// one more piece than there are placeholders.
std::vector<std::string> SplitPlaceholders(std::string_view tmpl);

// Appends `value` as States.Format prints an argument, Java's toString(): strings
// raw, numbers as Java prints them, null/true/false as words, arrays as
// `[a, b]`, objects as `{k=v, k2=v2}`.
void AppendFormatted(const Value& value, std::string* out);

// A double as Java's Double.toString prints it ("1.0", "1.1", "1.0E10", "1.0E-5").
std::string JavaDoubleToString(double d);

// Compact JSON as Jackson writes it (doubles in Java's form).
std::string ToJavaJson(const Value& value);

// Byte length of the UTF-8 sequence starting `text` (1 for a stray byte).
// REQUIRES: !text.empty().
size_t CodePointLength(std::string_view text);
std::vector<std::string_view> SplitCodePoints(std::string_view text);
// Length in UTF-16 code units, as Java's String.length() counts.
size_t Utf16Length(std::string_view text);
// `bytes` with every invalid UTF-8 sequence replaced by U+FFFD, as Java decodes.
std::string ToValidUtf8(std::string_view bytes);

// RFC 4648 Base64 with padding.
std::string EncodeBase64(std::string_view bytes);
// Decodes like Java's Base64.getMimeDecoder() (AWS documents MIME Base64):
// padding optional, characters outside the alphabet (line breaks) skipped.
// False on a misplaced `=` or a dangling sextet.
bool DecodeBase64(std::string_view text, std::string* bytes);

// A hash consistent with Value's operator== (numbers by value, objects unordered).
size_t HashValue(const Value& value);

}  // namespace stepflow::asl::intrinsic
