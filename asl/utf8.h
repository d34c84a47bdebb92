#pragma once

#include <cstdint>
#include <string>

namespace stepflow::asl {

// Appends code point `cp` as UTF-8. Lone surrogates are kept in generalized
// UTF-8 (ED A0 80 ...), as JSONata's test suite writes them.
void AppendUtf8(uint32_t cp, std::string* out);

}  // namespace stepflow::asl
