#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace stepflow::asl {

// An instant: nanoseconds since the Unix epoch, UTC.
using Instant = int64_t;

// Parses an RFC 3339 date-time as AWS accepts it ("2016-03-14T01:59:00Z",
// "2016-03-14T01:59:00.123456789+02:00"). A timezone (Z or an offset) is required.
std::optional<Instant> ParseTimestamp(std::string_view text);

// "2016-03-14T01:59:00.123Z": ISO 8601 with milliseconds, as AWS prints times.
std::string FormatTimestamp(Instant instant);

}  // namespace stepflow::asl
