#pragma once

#include <string>
#include <utility>
#include <vector>

#include "stepflow/status.h"

namespace stepflow::engine {

// Reads a functions file: one JSON object mapping Lambda function names to the
// base URL of the Lambda Invoke API that serves each,
//   {"echo": "http://127.0.0.1:9001", "billing": "https://fn.internal:8443/base"}
// and returns its (name, url) pairs in file order, ready for
// EngineOptions::function_endpoints. kInvalidArgument naming the file and what
// is wrong (unreadable, not JSON with line and column, not an object, a name
// Lambda would refuse, a duplicate, a value that is no http(s) URL).
StatusOr<std::vector<std::pair<std::string, std::string>>> ReadFunctionsFile(const std::string& path);

// The same for text already read; `source` names it in errors.
StatusOr<std::vector<std::pair<std::string, std::string>>> ParseFunctionsJson(const std::string& text,
                                                                              const std::string& source);

}  // namespace stepflow::engine
