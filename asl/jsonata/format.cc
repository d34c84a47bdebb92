// Number formatting for JSONata: $formatNumber (XPath F&O 4.7 format-number
// pictures), $formatInteger/$parseInteger (F&O 4.6 format-integer), $formatBase.
// Pictures are processed as code points, like the JavaScript reference.

#include "jsonata/format.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <numeric>

namespace stepflow::asl::jsonata::internal {

std::u32string ToU32(const std::string& s) {
  auto cps = ToCodePoints(s);
  return std::u32string(cps.begin(), cps.end());
}

std::string FromU32(const std::u32string& s) {
  std::string out;
  for (char32_t c : s) AppendUtf8(&out, c);
  return out;
}

std::string FormatBase(double value, int radix) {
  bool neg = value < 0;
  double v = std::fabs(value);
  std::string digits;
  if (v == 0) digits = "0";
  while (v >= 1) {
    double q = std::floor(v / radix);
    int d = static_cast<int>(v - q * radix);
    digits.insert(digits.begin(), "0123456789abcdefghijklmnopqrstuvwxyz"[d]);
    v = q;
  }
  return neg ? "-" + digits : digits;
}

// ---------------------------------------------------------------- integers

namespace {

const uint32_t kDecimalGroups[] = {0x30,   0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6,
                                   0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66, 0x0DE6, 0x0E50, 0x0ED0,
                                   0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
                                   0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900,
                                   0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

const char* kFew[] = {"Zero",    "One",     "Two",       "Three",    "Four",
                      "Five",    "Six",     "Seven",     "Eight",    "Nine",
                      "Ten",     "Eleven",  "Twelve",    "Thirteen", "Fourteen",
                      "Fifteen", "Sixteen", "Seventeen", "Eighteen", "Nineteen"};
const char* kOrdinals[] = {"Zeroth",    "First",     "Second",      "Third",      "Fourth",
                           "Fifth",     "Sixth",     "Seventh",     "Eighth",     "Ninth",
                           "Tenth",     "Eleventh",  "Twelfth",     "Thirteenth", "Fourteenth",
                           "Fifteenth", "Sixteenth", "Seventeenth", "Eighteenth", "Nineteenth"};
const char* kDecades[] = {"Twenty",  "Thirty", "Forty",  "Fifty",  "Sixty",
                          "Seventy", "Eighty", "Ninety", "Hundred"};
const char* kMagnitudes[] = {"Thousand", "Million", "Billion", "Trillion"};

std::string NumberToWords(double value, bool ordinal) {
  std::function<std::string(double, bool, bool)> lookup = [&](double num, bool prev,
                                                              bool ord) -> std::string {
    std::string words;
    if (num <= 19) {
      words = std::string(prev ? " and " : "") +
              (ord ? kOrdinals[static_cast<int>(num)] : kFew[static_cast<int>(num)]);
    } else if (num < 100) {
      int tens = static_cast<int>(num / 10);
      int remainder = static_cast<int>(std::fmod(num, 10));
      words = std::string(prev ? " and " : "") + kDecades[tens - 2];
      if (remainder > 0) {
        words += "-" + lookup(remainder, false, ord);
      } else if (ord) {
        words = words.substr(0, words.size() - 1) + "ieth";
      }
    } else if (num < 1000) {
      int hundreds = static_cast<int>(num / 100);
      double remainder = std::fmod(num, 100);
      words = std::string(prev ? ", " : "") + kFew[hundreds] + " Hundred";
      if (remainder > 0) {
        words += lookup(remainder, true, ord);
      } else if (ord) {
        words += "th";
      }
    } else {
      int mag = static_cast<int>(std::floor(std::log10(num) / 3));
      if (mag > 4) mag = 4;
      double factor = std::pow(10, mag * 3);
      double mant = std::floor(num / factor);
      double remainder = num - mant * factor;
      words =
          std::string(prev ? ", " : "") + lookup(mant, false, false) + " " + kMagnitudes[mag - 1];
      if (remainder > 0) {
        words += lookup(remainder, true, ord);
      } else if (ord) {
        words += "th";
      }
    }
    return words;
  };
  return lookup(value, false, ordinal);
}

std::string DecimalToLetters(double value, char a) {
  std::string letters;
  while (value > 0) {
    letters.insert(letters.begin(), static_cast<char>(std::fmod(value - 1, 26) + a));
    value = std::floor((value - 1) / 26);
  }
  return letters;
}

std::string DecimalToRoman(double value) {
  static const std::pair<int, const char*> numerals[] = {
      {1000, "m"}, {900, "cm"}, {500, "d"}, {400, "cd"}, {100, "c"}, {90, "xc"}, {50, "l"},
      {40, "xl"},  {10, "x"},   {9, "ix"},  {5, "v"},    {4, "iv"},  {1, "i"}};
  std::string out;
  while (value > 0) {
    bool found = false;
    for (auto& n : numerals) {
      if (value >= n.first) {
        out += n.second;
        value -= n.first;
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  return out;
}

std::string Upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

IntegerFormat AnalyseIntegerPicture(const std::string& picture_utf8) {
  IntegerFormat format;
  std::u32string picture = ToU32(picture_utf8);
  std::u32string primary;
  size_t semicolon = picture.rfind(U';');
  if (semicolon == std::u32string::npos) {
    primary = picture;
  } else {
    primary = picture.substr(0, semicolon);
    std::u32string modifier = picture.substr(semicolon + 1);
    if (!modifier.empty() && modifier[0] == U'o') format.ordinal = true;
  }
  if (primary == U"A") {
    format.tcase = TCase::kUpper;
    format.primary = IntegerFormat::Primary::kLetters;
  } else if (primary == U"a") {
    format.primary = IntegerFormat::Primary::kLetters;
  } else if (primary == U"I") {
    format.tcase = TCase::kUpper;
    format.primary = IntegerFormat::Primary::kRoman;
  } else if (primary == U"i") {
    format.primary = IntegerFormat::Primary::kRoman;
  } else if (primary == U"W") {
    format.tcase = TCase::kUpper;
    format.primary = IntegerFormat::Primary::kWords;
  } else if (primary == U"Ww") {
    format.tcase = TCase::kTitle;
    format.primary = IntegerFormat::Primary::kWords;
  } else if (primary == U"w") {
    format.primary = IntegerFormat::Primary::kWords;
  } else {
    int64_t zero_code = -1;
    int mandatory = 0, optional = 0, separator_position = 0;
    std::vector<IntegerFormat::Separator> separators;
    std::u32string rev(primary.rbegin(), primary.rend());
    for (char32_t cp : rev) {
      bool digit = false;
      for (uint32_t group : kDecimalGroups) {
        if (cp >= group && cp <= group + 9) {
          digit = true;
          mandatory++;
          separator_position++;
          if (zero_code < 0) {
            zero_code = group;
          } else if (group != zero_code) {
            Fail("D3131",
                 "In a decimal digit pattern, all digits must be from the same decimal group");
          }
          break;
        }
      }
      if (!digit) {
        if (cp == U'#') {
          separator_position++;
          optional++;
        } else {
          separators.push_back({separator_position, cp});
        }
      }
    }
    if (mandatory > 0) {
      format.primary = IntegerFormat::Primary::kDecimal;
      format.zero_code = static_cast<uint32_t>(zero_code);
      format.mandatory_digits = mandatory;
      format.optional_digits = optional;
      int regular = 0;
      if (!separators.empty()) {
        bool same = true;
        for (auto& s : separators) same = same && s.character == separators[0].character;
        if (same) {
          int factor = 0;
          for (auto& s : separators) factor = std::gcd(factor, s.position);
          regular = factor;
          for (size_t index = 1; index <= separators.size(); index++) {
            bool found = false;
            for (auto& s : separators)
              found = found || s.position == static_cast<int>(index) * factor;
            if (!found) {
              regular = 0;
              break;
            }
          }
        }
      }
      if (regular > 0) {
        format.regular = true;
        format.separators = {{regular, separators[0].character}};
      } else {
        format.regular = false;
        format.separators = separators;
      }
    } else {
      format.primary = IntegerFormat::Primary::kSequence;
      format.token = FromU32(primary);
    }
  }
  return format;
}

std::string FormatIntegerWith(double value, const IntegerFormat& format) {
  std::string out;
  bool negative = value < 0;
  value = std::fabs(value);
  switch (format.primary) {
    case IntegerFormat::Primary::kLetters:
      out = DecimalToLetters(value, format.tcase == TCase::kUpper ? 'A' : 'a');
      break;
    case IntegerFormat::Primary::kRoman:
      out = DecimalToRoman(value);
      if (format.tcase == TCase::kUpper) out = Upper(out);
      break;
    case IntegerFormat::Primary::kWords:
      out = NumberToWords(value, format.ordinal);
      if (format.tcase == TCase::kUpper)
        out = Upper(out);
      else if (format.tcase == TCase::kLower)
        out = Lower(out);
      break;
    case IntegerFormat::Primary::kDecimal: {
      std::u32string s = ToU32(NumberToJs(value));
      int pad = format.mandatory_digits - static_cast<int>(s.size());
      if (pad > 0) s = std::u32string(static_cast<size_t>(pad), U'0') + s;
      if (format.zero_code != 0x30) {
        for (auto& c : s) c = c + format.zero_code - 0x30;
      }
      if (format.regular) {
        int position = format.separators[0].position;
        int n = (static_cast<int>(s.size()) - 1) / position;
        for (int ii = n; ii > 0; ii--) {
          size_t pos = s.size() - static_cast<size_t>(ii * position);
          s.insert(pos, 1, format.separators[0].character);
        }
      } else {
        for (auto it = format.separators.rbegin(); it != format.separators.rend(); ++it) {
          long pos = static_cast<long>(s.size()) - it->position;
          if (pos < 0) pos = 0;
          s.insert(static_cast<size_t>(pos), 1, it->character);
        }
      }
      if (format.ordinal) {
        char32_t last = s.empty() ? 0 : s.back();
        const char* suffix = last == U'1' ? "st" : last == U'2' ? "nd" : last == U'3' ? "rd" : "th";
        if (s.size() > 1 && s[s.size() - 2] == U'1') suffix = "th";
        s += ToU32(suffix);
      }
      out = FromU32(s);
      break;
    }
    case IntegerFormat::Primary::kSequence:
      Fail("D3130", "Formatting or parsing an integer as a sequence starting with " + format.token +
                        " is not supported by this implementation");
  }
  if (negative) out = "-" + out;
  return out;
}

std::string FormatInteger(double value, const std::string& picture) {
  return FormatIntegerWith(std::floor(value), AnalyseIntegerPicture(picture));
}

namespace {

const std::map<std::string, double>& WordValues() {
  static const std::map<std::string, double> values = [] {
    std::map<std::string, double> v;
    for (int i = 0; i < 20; i++) v[Lower(kFew[i])] = i;
    for (int i = 0; i < 20; i++) v[Lower(kOrdinals[i])] = i;
    for (int i = 0; i < 9; i++) {
      std::string w = Lower(kDecades[i]);
      v[w] = (i + 2) * 10;
      v[w.substr(0, w.size() - 1) + "ieth"] = (i + 2) * 10;
    }
    v["hundredth"] = 100;
    for (int i = 0; i < 4; i++) {
      std::string w = Lower(kMagnitudes[i]);
      double val = std::pow(10, (i + 1) * 3);
      v[w] = val;
      v[w + "th"] = val;
    }
    return v;
  }();
  return values;
}

double WordsToNumber(const std::string& text) {
  // split on /,\s|\sand\s|[\s\\-]/
  std::vector<std::string> parts;
  std::string cur;
  size_t i = 0;
  auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < text.size()) {
    if (text[i] == ',' && i + 1 < text.size() && is_space(text[i + 1])) {
      parts.push_back(cur);
      cur.clear();
      i += 2;
    } else if (is_space(text[i]) && text.compare(i + 1, 3, "and") == 0 && i + 4 < text.size() &&
               is_space(text[i + 4])) {
      parts.push_back(cur);
      cur.clear();
      i += 5;
    } else if (is_space(text[i]) || text[i] == '\\' || text[i] == '-') {
      parts.push_back(cur);
      cur.clear();
      i++;
    } else {
      cur += text[i++];
    }
  }
  parts.push_back(cur);
  std::vector<double> segs{0};
  const auto& wv = WordValues();
  for (auto& p : parts) {
    auto it = wv.find(p);
    double value = it == wv.end() ? NAN : it->second;
    if (value < 100) {
      double top = segs.back();
      segs.pop_back();
      if (top >= 1000) {
        segs.push_back(top);
        top = 0;
      }
      segs.push_back(top + value);
    } else {
      double top = segs.back();
      segs.pop_back();
      segs.push_back(top * value);
    }
  }
  double sum = 0;
  for (double s : segs) sum += s;
  return sum;
}

}  // namespace

IntegerMatcher IntegerMatcherFor(const IntegerFormat& format) {
  IntegerMatcher m;
  bool upper = format.tcase == TCase::kUpper;
  switch (format.primary) {
    case IntegerFormat::Primary::kLetters:
      m.regex = upper ? "[A-Z]+" : "[a-z]+";
      m.parse = [upper](const std::string& v) -> std::optional<double> {
        double d = 0;
        char a = upper ? 'A' : 'a';
        for (size_t i = 0; i < v.size(); i++) d += (v[v.size() - i - 1] - a + 1) * std::pow(26, i);
        return d;
      };
      break;
    case IntegerFormat::Primary::kRoman:
      m.regex = upper ? "[MDCLXVI]+" : "[mdclxvi]+";
      m.parse = [](const std::string& v) -> std::optional<double> {
        static const std::map<char, int> values = {{'M', 1000}, {'D', 500}, {'C', 100}, {'L', 50},
                                                   {'X', 10},   {'V', 5},   {'I', 1}};
        std::string u = Upper(v);
        double decimal = 0;
        int max = 1;
        for (size_t i = u.size(); i-- > 0;) {
          auto it = values.find(u[i]);
          int value = it == values.end() ? 0 : it->second;
          if (value < max) {
            decimal -= value;
          } else {
            max = value;
            decimal += value;
          }
        }
        return decimal;
      };
      break;
    case IntegerFormat::Primary::kWords: {
      std::string re = "(?:";
      bool first = true;
      for (auto& [w, v] : WordValues()) {
        (void)v;
        if (!first) re += "|";
        first = false;
        re += w;
      }
      re += "|and|[\\-, ])+";
      m.regex = re;
      m.parse = [](const std::string& v) -> std::optional<double> {
        return WordsToNumber(Lower(v));
      };
      break;
    }
    case IntegerFormat::Primary::kDecimal: {
      m.regex = "[0-9]{" + std::to_string(std::max(1, format.mandatory_digits)) + ",}";
      if (format.ordinal) m.regex += "(?:th|st|nd|rd)";
      IntegerFormat f = format;
      m.parse = [f](const std::string& value) -> std::optional<double> {
        std::u32string digits = ToU32(value);
        if (f.ordinal && digits.size() >= 2) digits = digits.substr(0, digits.size() - 2);
        std::u32string cleaned;
        for (char32_t c : digits) {
          bool sep = false;
          if (f.regular) {
            sep = c == U',';
          } else {
            for (auto& s : f.separators) sep = sep || s.character == c;
          }
          if (!sep) cleaned += c;
        }
        if (f.zero_code != 0x30) {
          for (auto& c : cleaned) c = c - f.zero_code + 0x30;
        }
        std::string ascii = FromU32(cleaned);
        size_t k = 0;
        while (k < ascii.size() && std::isdigit(static_cast<unsigned char>(ascii[k]))) k++;
        if (k == 0) return std::nullopt;
        return std::strtod(ascii.substr(0, k).c_str(), nullptr);
      };
      break;
    }
    case IntegerFormat::Primary::kSequence:
      Fail("D3130", "Formatting or parsing an integer as a sequence starting with " + format.token +
                        " is not supported by this implementation");
  }
  return m;
}

std::optional<double> ParseInteger(const std::string& value, const std::string& picture) {
  IntegerFormat format = AnalyseIntegerPicture(picture);
  IntegerMatcher m = IntegerMatcherFor(format);
  return m.parse(value);
}

// ---------------------------------------------------------------- format-number

namespace {

double RoundHalfEvenAt(double arg, int precision) {
  // same algorithm as $round, shifting through the decimal string form
  auto shift = [](double v, int by) {
    std::string s = NumberToJs(v);
    size_t e = s.find('e');
    std::string mant = e == std::string::npos ? s : s.substr(0, e);
    int ex = e == std::string::npos ? 0 : std::atoi(s.c_str() + e + 1);
    return std::strtod((mant + "e" + std::to_string(ex + by)).c_str(), nullptr);
  };
  if (precision) arg = shift(arg, precision);
  double result = std::floor(arg + 0.5);
  double diff = result - arg;
  if (std::fabs(diff) == 0.5 && std::fabs(std::fmod(result, 2)) == 1) result -= 1;
  if (precision) result = shift(result, -precision);
  return result == 0 ? 0 : result;
}

struct PictureParts {
  std::u32string prefix, suffix, active, mantissa, exponent, integer, fractional, subpicture;
  bool has_exponent = false;
};

struct PictureVars {
  std::vector<int> integer_grouping;
  int regular_grouping = 0;
  int min_integer = 0;
  int scaling = 0;
  std::u32string prefix, suffix, picture;
  std::vector<int> fractional_grouping;
  int min_fraction = 0, max_fraction = 0, min_exponent = 0;
};

}  // namespace

std::string FormatNumberPicture(double value, const std::string& picture_utf8, const Val& options) {
  std::map<std::string, std::u32string> props = {{"decimal-separator", U"."},
                                                 {"grouping-separator", U","},
                                                 {"exponent-separator", U"e"},
                                                 {"infinity", U"Infinity"},
                                                 {"minus-sign", U"-"},
                                                 {"NaN", U"NaN"},
                                                 {"percent", U"%"},
                                                 {"per-mille", U"\u2030"},
                                                 {"zero-digit", U"0"},
                                                 {"digit", U"#"},
                                                 {"pattern-separator", U";"}};
  if (options.is_obj()) {
    for (auto& m : options.obj()->members()) {
      if (m.second.is_str()) props[m.first] = ToU32(m.second.str());
    }
  }
  auto ch = [&](const char* name) -> char32_t {
    const auto& s = props[name];
    return s.empty() ? 0 : s[0];
  };
  char32_t zero = ch("zero-digit");
  std::u32string family;
  for (char32_t c = zero; c < zero + 10; c++) family += c;
  const char32_t decimal_sep = ch("decimal-separator"), exponent_sep = ch("exponent-separator"),
                 grouping_sep = ch("grouping-separator"), digit = ch("digit"),
                 pattern_sep = ch("pattern-separator"), percent = ch("percent"),
                 per_mille = ch("per-mille");
  std::u32string active_chars = family;
  active_chars += decimal_sep;
  active_chars += exponent_sep;
  active_chars += grouping_sep;
  active_chars += digit;
  active_chars += pattern_sep;
  auto is_active = [&](char32_t c) { return active_chars.find(c) != std::u32string::npos; };
  auto is_digit_family = [&](char32_t c) { return family.find(c) != std::u32string::npos; };

  std::u32string picture = ToU32(picture_utf8);
  std::vector<std::u32string> subs;
  {
    size_t start = 0;
    while (true) {
      size_t p = picture.find(pattern_sep, start);
      if (p == std::u32string::npos) {
        subs.push_back(picture.substr(start));
        break;
      }
      subs.push_back(picture.substr(start, p - start));
      start = p + 1;
    }
  }
  if (subs.size() > 2)
    Fail("D3080",
         "The format-number picture string must not contain more than one pattern separator");

  auto split_parts = [&](const std::u32string& sp) {
    PictureParts parts;
    parts.subpicture = sp;
    size_t prefix_len = sp.size();
    for (size_t i = 0; i < sp.size(); i++) {
      if (is_active(sp[i]) && sp[i] != exponent_sep) {
        prefix_len = i;
        break;
      }
    }
    parts.prefix = sp.substr(0, prefix_len);
    size_t suffix_start = sp.size();
    for (size_t i = sp.size(); i-- > 0;) {
      if (is_active(sp[i]) && sp[i] != exponent_sep) {
        suffix_start = i + 1;
        break;
      }
    }
    if (prefix_len == sp.size()) suffix_start = sp.size();
    parts.suffix = sp.substr(suffix_start);
    parts.active =
        prefix_len <= suffix_start ? sp.substr(prefix_len, suffix_start - prefix_len) : U"";
    size_t exponent_position = sp.find(exponent_sep, prefix_len);
    if (exponent_position == std::u32string::npos ||
        exponent_position > sp.size() - parts.suffix.size()) {
      parts.mantissa = parts.active;
      parts.has_exponent = false;
    } else {
      parts.mantissa = parts.active.substr(0, std::min(exponent_position, parts.active.size()));
      parts.exponent = exponent_position + 1 <= parts.active.size()
                           ? parts.active.substr(exponent_position + 1)
                           : U"";
      parts.has_exponent = true;
    }
    size_t decimal_position = parts.mantissa.find(decimal_sep);
    if (decimal_position == std::u32string::npos) {
      parts.integer = parts.mantissa;
      parts.fractional = parts.suffix;
    } else {
      parts.integer = parts.mantissa.substr(0, decimal_position);
      parts.fractional = parts.mantissa.substr(decimal_position + 1);
    }
    return parts;
  };

  auto validate = [&](const PictureParts& parts) {
    const char* error = nullptr;
    const std::u32string& sp = parts.subpicture;
    size_t decimal_pos = sp.find(decimal_sep);
    if (decimal_pos != sp.rfind(decimal_sep)) error = "D3081";
    if (sp.find(percent) != sp.rfind(percent)) error = "D3082";
    if (sp.find(per_mille) != sp.rfind(per_mille)) error = "D3083";
    if (sp.find(percent) != std::u32string::npos && sp.find(per_mille) != std::u32string::npos)
      error = "D3084";
    bool valid = false;
    for (char32_t c : parts.mantissa) {
      if (is_digit_family(c) || c == digit) {
        valid = true;
        break;
      }
    }
    if (!valid) error = "D3085";
    for (char32_t c : parts.active) {
      if (!is_active(c)) error = "D3086";
    }
    if (decimal_pos != std::u32string::npos) {
      if ((decimal_pos > 0 && sp[decimal_pos - 1] == grouping_sep) ||
          (decimal_pos + 1 < sp.size() && sp[decimal_pos + 1] == grouping_sep)) {
        error = "D3087";
      }
    } else if (!parts.integer.empty() && parts.integer.back() == grouping_sep) {
      error = "D3088";
    }
    std::u32string double_group{grouping_sep, grouping_sep};
    if (sp.find(double_group) != std::u32string::npos) error = "D3089";
    size_t optional_pos = parts.integer.find(digit);
    if (optional_pos != std::u32string::npos) {
      for (size_t i = 0; i < optional_pos; i++) {
        if (is_digit_family(parts.integer[i])) error = "D3090";
      }
    }
    optional_pos = parts.fractional.rfind(digit);
    if (optional_pos != std::u32string::npos) {
      for (size_t i = optional_pos; i < parts.fractional.size(); i++) {
        if (is_digit_family(parts.fractional[i])) error = "D3091";
      }
    }
    if (parts.has_exponent && !parts.exponent.empty() &&
        (sp.find(percent) != std::u32string::npos || sp.find(per_mille) != std::u32string::npos)) {
      error = "D3092";
    }
    if (parts.has_exponent) {
      bool bad = parts.exponent.empty();
      for (char32_t c : parts.exponent) bad = bad || !is_digit_family(c);
      if (bad) error = "D3093";
    }
    if (error) Fail(error, std::string("Invalid picture string for format-number: ") + error);
  };

  auto analyse = [&](const PictureParts& parts) {
    PictureVars v;
    auto grouping_positions = [&](const std::u32string& part, bool to_left) {
      std::vector<int> positions;
      size_t gp = part.find(grouping_sep);
      while (gp != std::u32string::npos) {
        std::u32string side = to_left ? part.substr(0, gp) : part.substr(gp);
        int count = 0;
        for (char32_t c : side) count += (is_digit_family(c) || c == digit) ? 1 : 0;
        positions.push_back(count);
        gp = parts.integer.find(grouping_sep, gp + 1);
      }
      return positions;
    };
    v.integer_grouping = grouping_positions(parts.integer, false);
    if (!v.integer_grouping.empty()) {
      int factor = 0;
      for (int p : v.integer_grouping) factor = std::gcd(factor, p);
      v.regular_grouping = factor;
      for (size_t index = 1; index <= v.integer_grouping.size(); index++) {
        if (std::find(v.integer_grouping.begin(), v.integer_grouping.end(),
                      static_cast<int>(index) * factor) == v.integer_grouping.end()) {
          v.regular_grouping = 0;
          break;
        }
      }
    }
    v.fractional_grouping = grouping_positions(parts.fractional, true);
    for (char32_t c : parts.integer) v.min_integer += is_digit_family(c) ? 1 : 0;
    v.scaling = v.min_integer;
    for (char32_t c : parts.fractional) {
      v.min_fraction += is_digit_family(c) ? 1 : 0;
      v.max_fraction += (is_digit_family(c) || c == digit) ? 1 : 0;
    }
    if (v.min_integer == 0 && v.max_fraction == 0) {
      if (parts.has_exponent) {
        v.min_fraction = 1;
        v.max_fraction = 1;
      } else {
        v.min_integer = 1;
      }
    }
    if (parts.has_exponent && v.min_integer == 0 &&
        parts.integer.find(digit) != std::u32string::npos) {
      v.min_integer = 1;
    }
    if (v.min_integer == 0 && v.min_fraction == 0) v.min_fraction = 1;
    if (parts.has_exponent) {
      for (char32_t c : parts.exponent) v.min_exponent += is_digit_family(c) ? 1 : 0;
    }
    v.prefix = parts.prefix;
    v.suffix = parts.suffix;
    v.picture = parts.subpicture;
    return v;
  };

  std::vector<PictureParts> parts;
  for (auto& s : subs) parts.push_back(split_parts(s));
  for (auto& p : parts) validate(p);
  std::vector<PictureVars> vars;
  for (auto& p : parts) vars.push_back(analyse(p));
  const std::u32string& minus = props["minus-sign"];
  if (vars.size() == 1) {
    vars.push_back(vars[0]);
    vars[1].prefix = minus + vars[1].prefix;
  }
  const PictureVars& pic = value >= 0 ? vars[0] : vars[1];
  double adjusted;
  if (pic.picture.find(percent) != std::u32string::npos) {
    adjusted = value * 100;
  } else if (pic.picture.find(per_mille) != std::u32string::npos) {
    adjusted = value * 1000;
  } else {
    adjusted = value;
  }
  double mantissa;
  std::optional<int> exponent;
  if (pic.min_exponent == 0) {
    mantissa = adjusted;
  } else {
    double max_m = std::pow(10, pic.scaling);
    double min_m = std::pow(10, pic.scaling - 1);
    mantissa = adjusted;
    int e = 0;
    if (mantissa != 0) {
      while (mantissa < min_m) {
        mantissa *= 10;
        e -= 1;
      }
      while (mantissa > max_m) {
        mantissa /= 10;
        e += 1;
      }
    }
    exponent = e;
  }
  double rounded = RoundHalfEvenAt(mantissa, pic.max_fraction);
  auto make_string = [&](double v, int dp) {
    char buf[512];
    std::snprintf(buf, sizeof(buf), "%.*f", dp, std::fabs(v));
    std::u32string s = ToU32(buf);
    if (zero != U'0') {
      for (auto& c : s) {
        if (c >= U'0' && c <= U'9') c = family[c - U'0'];
      }
    }
    return s;
  };
  std::u32string sv = make_string(rounded, pic.max_fraction);
  size_t dpos = sv.find(U'.');
  if (dpos == std::u32string::npos) {
    sv += decimal_sep;
  } else {
    sv[dpos] = decimal_sep;
  }
  while (!sv.empty() && sv[0] == zero) sv.erase(0, 1);
  while (!sv.empty() && sv.back() == zero) sv.pop_back();
  long decimal_pos = static_cast<long>(sv.find(decimal_sep));
  long pad_left = pic.min_integer - decimal_pos;
  long pad_right = pic.min_fraction - (static_cast<long>(sv.size()) - decimal_pos - 1);
  if (pad_left > 0) sv = std::u32string(static_cast<size_t>(pad_left), zero) + sv;
  if (pad_right > 0) sv += std::u32string(static_cast<size_t>(pad_right), zero);
  decimal_pos = static_cast<long>(sv.find(decimal_sep));
  if (pic.regular_grouping > 0) {
    long group_count = (decimal_pos - 1) / pic.regular_grouping;
    for (long group = 1; group <= group_count; group++) {
      sv.insert(static_cast<size_t>(decimal_pos - group * pic.regular_grouping), 1, grouping_sep);
    }
  } else {
    for (int pos : pic.integer_grouping) {
      long at = decimal_pos - pos;
      if (at < 0) at = 0;
      sv.insert(static_cast<size_t>(at), 1, grouping_sep);
      decimal_pos++;
    }
  }
  decimal_pos = static_cast<long>(sv.find(decimal_sep));
  for (int pos : pic.fractional_grouping) {
    size_t at = static_cast<size_t>(pos + decimal_pos + 1);
    if (at > sv.size()) at = sv.size();
    sv.insert(at, 1, grouping_sep);
  }
  decimal_pos = static_cast<long>(sv.find(decimal_sep));
  if (pic.min_fraction == 0 && decimal_pos == static_cast<long>(sv.size()) - 1) sv.pop_back();
  if (exponent) {
    std::u32string se = make_string(*exponent, 0);
    long pl = pic.min_exponent - static_cast<long>(se.size());
    if (pl > 0) se = std::u32string(static_cast<size_t>(pl), zero) + se;
    sv += exponent_sep;
    if (*exponent < 0) sv += minus;
    sv += se;
  }
  return FromU32(pic.prefix + sv + pic.suffix);
}

}  // namespace stepflow::asl::jsonata::internal
