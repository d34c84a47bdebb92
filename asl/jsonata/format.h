#pragma once

// Integer picture analysis shared by $formatInteger/$parseInteger and the
// date/time picture formatter and parser.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "jsonata/eval.h"

namespace stepflow::asl::jsonata::internal {

enum class TCase { kUpper, kLower, kTitle };

struct IntegerFormat {
  enum class Primary { kDecimal, kLetters, kRoman, kWords, kSequence };
  struct Separator {
    int position;
    char32_t character;
  };
  Primary primary = Primary::kDecimal;
  TCase tcase = TCase::kLower;
  bool ordinal = false;
  uint32_t zero_code = 0x30;
  int mandatory_digits = 0;
  int optional_digits = 0;
  bool regular = false;
  std::vector<Separator> separators;  // regular: one entry with the interval
  std::string token;
};

IntegerFormat AnalyseIntegerPicture(const std::string& picture);
std::string FormatIntegerWith(double value, const IntegerFormat& format);

struct IntegerMatcher {
  std::string regex;
  std::function<std::optional<double>(const std::string&)> parse;
};
IntegerMatcher IntegerMatcherFor(const IntegerFormat& format);

std::u32string ToU32(const std::string& s);
std::string FromU32(const std::u32string& s);

}  // namespace stepflow::asl::jsonata::internal
