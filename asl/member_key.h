#pragma once

#include <string_view>

namespace stepflow::asl {

// Whether two member names are equal. Names are mostly a few bytes long, and a
// loop over them beats a call to memcmp (which took 5% of pass-chain's time).
inline bool SameMemberName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  constexpr size_t kShort = 16;
  if (a.size() > kShort) return a == b;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

}  // namespace stepflow::asl
