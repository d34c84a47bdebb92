// Date/time support for JSONata ($now, $fromMillis, $toMillis): ISO 8601 and
// the XPath picture-string formatter and parser, in UTC with optional offsets.

#include <cmath>
#include <cstring>

#include "jsonata/eval.h"

namespace stepflow::asl::jsonata::internal {

std::string FormatNumberPicture(double, const std::string&, const Val&) { Fail("D3080", "TODO"); }
std::string FormatInteger(double, const std::string&) { Fail("D3130", "TODO"); }
std::optional<double> ParseInteger(const std::string&, const std::string&) { Fail("D3130", "TODO"); }
std::string FormatDateTime(double, const std::string&, const std::string&) { Fail("D3130", "TODO"); }
std::optional<double> ParseDateTime(const std::string&, const std::string&) { Fail("D3130", "TODO"); }
std::optional<double> ParseIso8601(const std::string&) { Fail("D3130", "TODO"); }
std::string MillisToIso(double) { Fail("D3130", "TODO"); }

}  // namespace stepflow::asl::jsonata::internal
