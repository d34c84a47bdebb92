#pragma once

#include <optional>
#include <string>

namespace stepflow::server {

// Reads a whole file; nullopt (and a message on stderr naming the file) when it cannot.
std::optional<std::string> ReadFileOrComplain(const std::string& path);

}  // namespace stepflow::server
