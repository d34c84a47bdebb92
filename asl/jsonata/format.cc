// Number and date/time formatting for JSONata: $formatNumber (XPath
// format-number pictures), $formatInteger/$parseInteger (XPath format-integer),
// $fromMillis/$toMillis picture strings and ISO 8601.

#include <cmath>
#include <cstring>

#include "jsonata/eval.h"

namespace stepflow::asl::jsonata::internal {

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

}  // namespace stepflow::asl::jsonata::internal
