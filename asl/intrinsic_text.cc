#include "intrinsic_text.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <functional>
#include <system_error>

#include "stepflow/asl/json.h"

namespace stepflow::asl::intrinsic {

std::vector<std::string> SplitPlaceholders(std::string_view tmpl) {
  std::vector<std::string> pieces(1);
  for (size_t i = 0; i < tmpl.size(); ++i) {
    if (tmpl[i] == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      pieces.emplace_back();
      ++i;
    } else {
      pieces.back().push_back(tmpl[i]);
    }
  }
  return pieces;
}

namespace {

// JDK 8-18 FloatingDecimal prints an integral double in [2^53, 2^63) from its
// exact long value, dropping only the digits its binary exponent makes
// insignificant (rounding half up), so "2.5490945129981568E18" where the
// shortest form is "2.549094512998157E18". False for every other double.
bool JdkLongDigits(double magnitude, std::string* digits, int* exponent) {
  constexpr double kTwo53 = 9007199254740992.0;
  constexpr double kTwo63 = 9223372036854775808.0;
  if (!(magnitude >= kTwo53 && magnitude < kTwo63)) return false;
  // FloatingDecimal.insignificantDigitsNumber, indexed by binExp - 54.
  static constexpr int kInsignificant[] = {0, 0, 0, 0, 1, 1, 1, 2, 2};
  int bin_exp = std::ilogb(magnitude);
  int p2 = bin_exp - 54;
  int insignificant = p2 > 1 ? kInsignificant[p2] : 0;
  uint64_t value = static_cast<uint64_t>(magnitude);
  int dropped = 0;
  if (insignificant != 0) {
    uint64_t pow10 = 1;
    for (int i = 0; i < insignificant; ++i) pow10 *= 10;
    uint64_t residue = value % pow10;
    value /= pow10;
    if (residue >= pow10 / 2) ++value;
    dropped = insignificant;
  }
  *digits = std::to_string(value);
  *exponent = static_cast<int>(digits->size()) - 1 + dropped;
  return true;
}

}  // namespace

std::string JavaDoubleToString(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  if (d == 0) return std::signbit(d) ? "-0.0" : "0.0";
  // The digits: shortest round-trip, except where the JDK (before 19, what a
  // Java service runs) prints more; then laid out by Java's rules: plain
  // notation for 1e-3 <= |d| < 1e7, otherwise d.dddE<exp>, always a digit
  // after the point.
  bool negative = std::signbit(d);
  std::string digits;
  int exponent = 0;  // of the first digit
  if (!JdkLongDigits(std::fabs(d), &digits, &exponent)) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), std::fabs(d), std::chars_format::scientific);
    std::string_view sci(buf, static_cast<size_t>(end - buf));
    size_t e_pos = sci.find('e');
    for (char c : sci.substr(0, e_pos)) {
      if (c != '.') digits.push_back(c);
    }
    std::string_view exp_text = sci.substr(e_pos + 1);
    if (!exp_text.empty() && exp_text.front() == '+') exp_text.remove_prefix(1);
    std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();

  std::string out = negative ? "-" : "";
  double magnitude = std::fabs(d);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    if (exponent >= 0) {
      size_t int_len = static_cast<size_t>(exponent) + 1;
      if (digits.size() <= int_len) {
        out += digits + std::string(int_len - digits.size(), '0') + ".0";
      } else {
        out += digits.substr(0, int_len) + "." + digits.substr(int_len);
      }
    } else {
      out += "0." + std::string(static_cast<size_t>(-exponent - 1), '0') + digits;
    }
    return out;
  }
  out += digits.substr(0, 1);
  out += ".";
  out += digits.size() > 1 ? digits.substr(1) : "0";
  out += "E" + std::to_string(exponent);
  return out;
}

namespace {

void AppendJavaNumber(const Value& value, std::string* out) {
  if (value.is_int()) {
    *out += std::to_string(value.AsInt());
  } else {
    *out += JavaDoubleToString(value.AsDouble());
  }
}

// Recursion depth is bounded by the JSON depth limit of the values it meets.
void AppendJavaJson(const Value& value, std::string* out) {
  switch (value.type()) {
    case Value::Type::kNull:
      *out += "null";
      break;
    case Value::Type::kBool:
      *out += value.AsBool() ? "true" : "false";
      break;
    case Value::Type::kInt:
    case Value::Type::kDouble:
      AppendJavaNumber(value, out);
      break;
    case Value::Type::kString:
      AppendJsonString(value.AsString(), out);
      break;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : value.AsArray()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJavaJson(item, out);
      }
      out->push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.AsObject()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJsonString(key, out);
        out->push_back(':');
        AppendJavaJson(member, out);
      }
      out->push_back('}');
      break;
    }
  }
}

}  // namespace

// AWS hands States.Format plain Java objects and prints them with toString():
// recorded on AWS, an object argument {"Arg1": 1, "Arg2": []} prints as
// {Arg1=1, Arg2=[]} (a Map), arrays as [a, b] (a List), strings unquoted.
void AppendFormatted(const Value& value, std::string* out) {
  switch (value.type()) {
    case Value::Type::kString:
      *out += value.AsString();
      break;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : value.AsArray()) {
        if (!first) *out += ", ";
        first = false;
        AppendFormatted(item, out);
      }
      out->push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [key, member] : value.AsObject()) {
        if (!first) *out += ", ";
        first = false;
        *out += key;
        out->push_back('=');
        AppendFormatted(member, out);
      }
      out->push_back('}');
      break;
    }
    default:
      AppendJavaJson(value, out);
  }
}

std::string ToJavaJson(const Value& value) {
  std::string out;
  AppendJavaJson(value, &out);
  return out;
}

size_t CodePointLength(std::string_view text) {
  unsigned char c = static_cast<unsigned char>(text[0]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 1;
  if (len > text.size()) return 1;
  for (size_t i = 1; i < len; ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xc0) != 0x80) return 1;
  }
  return len;
}

std::vector<std::string_view> SplitCodePoints(std::string_view text) {
  std::vector<std::string_view> out;
  while (!text.empty()) {
    size_t len = CodePointLength(text);
    out.push_back(text.substr(0, len));
    text.remove_prefix(len);
  }
  return out;
}

size_t Utf16Length(std::string_view text) {
  size_t units = 0;
  while (!text.empty()) {
    size_t len = CodePointLength(text);
    units += len == 4 ? 2 : 1;  // outside the BMP: a surrogate pair
    text.remove_prefix(len);
  }
  return units;
}

std::string ToValidUtf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  while (!bytes.empty()) {
    size_t len = CodePointLength(bytes);
    unsigned char c = static_cast<unsigned char>(bytes[0]);
    bool valid = len > 1 || c < 0x80;
    if (valid && len > 1) {
      // Reject overlong forms, surrogates and code points past U+10FFFF.
      uint32_t cp = len == 2 ? (c & 0x1f) : len == 3 ? (c & 0x0f) : (c & 0x07);
      for (size_t i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<unsigned char>(bytes[i]) & 0x3f);
      valid = !((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff);
    }
    if (valid) {
      out.append(bytes.substr(0, len));
    } else {
      out += "\xEF\xBF\xBD";
    }
    bytes.remove_prefix(len);
  }
  return out;
}

namespace {
constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}  // namespace

std::string EncodeBase64(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) | static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kBase64[(n >> 18) & 63]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(kBase64[(n >> 6) & 63]);
    out.push_back(kBase64[n & 63]);
  }
  size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kBase64[(n >> 18) & 63]);
    out.push_back(kBase64[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kBase64[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

bool DecodeBase64(std::string_view text, std::string* bytes) {
  // Java's MIME decoder, step by step: characters outside the alphabet are
  // skipped; `=` ends the data and must complete a quantum ("xy==" or "xyz=");
  // after it only skipped characters may follow.
  auto sextet = [](char c) -> int {
    const char* p = std::char_traits<char>::find(kBase64, 64, c);
    return p == nullptr ? -1 : static_cast<int>(p - kBase64);
  };
  bytes->clear();
  bytes->reserve(text.size() * 3 / 4);
  int shift = 18;
  uint32_t bits = 0;
  size_t i = 0;
  while (i < text.size()) {
    char c = text[i++];
    if (c == '=') {
      if (shift == 18 || (shift == 6 && (i == text.size() || text[i++] != '='))) return false;
      break;
    }
    int v = sextet(c);
    if (v < 0) continue;
    bits |= static_cast<uint32_t>(v) << shift;
    shift -= 6;
    if (shift < 0) {
      bytes->push_back(static_cast<char>((bits >> 16) & 0xff));
      bytes->push_back(static_cast<char>((bits >> 8) & 0xff));
      bytes->push_back(static_cast<char>(bits & 0xff));
      shift = 18;
      bits = 0;
    }
  }
  if (shift == 12) return false;  // a lone sextet carries no whole byte
  if (shift == 6) {
    bytes->push_back(static_cast<char>((bits >> 16) & 0xff));
  } else if (shift == 0) {
    bytes->push_back(static_cast<char>((bits >> 16) & 0xff));
    bytes->push_back(static_cast<char>((bits >> 8) & 0xff));
  }
  for (; i < text.size(); ++i) {
    if (sextet(text[i]) >= 0) return false;
  }
  return true;
}

size_t HashValue(const Value& value) {
  auto mix = [](size_t seed, size_t h) {
    return seed ^ (h + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2));
  };
  switch (value.type()) {
    case Value::Type::kNull:
      return 0x51;
    case Value::Type::kBool:
      return value.AsBool() ? 0x52 : 0x53;
    case Value::Type::kInt:
    case Value::Type::kDouble: {
      double d = value.AsDouble();
      if (d == 0) d = 0;  // -0.0 equals 0.0
      return std::hash<double>{}(d);
    }
    case Value::Type::kString:
      return std::hash<std::string>{}(value.AsString());
    case Value::Type::kArray: {
      size_t h = 0x54;
      for (const Value& item : value.AsArray()) h = mix(h, HashValue(item));
      return h;
    }
    case Value::Type::kObject: {
      // Member order does not matter to equality, so members combine by sum.
      size_t h = 0x55;
      for (const auto& [key, member] : value.AsObject()) {
        h += mix(std::hash<std::string>{}(key), HashValue(member));
      }
      return h;
    }
  }
  return 0;
}

}  // namespace stepflow::asl::intrinsic
