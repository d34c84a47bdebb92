#include "stepflow/engine/functions_file.h"

#include <cctype>
#include <fstream>
#include <sstream>

#include "dispatch/http_client.h"
#include "stepflow/asl/json.h"

namespace stepflow::engine {

StatusOr<std::vector<std::pair<std::string, std::string>>> ParseFunctionsJson(const std::string& text,
                                                                              const std::string& source) {
  auto bad = [&source](const std::string& what) {
    return Status::InvalidArgument("functions file " + source + ": " + what);
  };
  asl::Value root;
  asl::JsonError error;
  if (!asl::ParseJson(text, &root, &error)) {
    return bad("not valid JSON at line " + std::to_string(error.line) + ", column " + std::to_string(error.column) +
               ": " + error.message);
  }
  if (!root.is_object()) {
    return bad(std::string("expected an object {\"functionName\": \"http://host:port\", ...}, found ") +
               asl::TypeName(root.type()));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, url] : root.AsObject()) {
    // What Lambda accepts as a function name: it goes into the request path.
    bool valid = !name.empty() && name.size() <= 140;
    for (unsigned char c : name) valid = valid && (std::isalnum(c) || c == '-' || c == '_' || c == '.');
    if (!valid) {
      return bad("'" + name + "' is not a Lambda function name (1 to 140 of A-Z a-z 0-9 - _ .)");
    }
    for (const auto& seen : out) {
      if (seen.first == name) return bad("function '" + name + "' is given twice");
    }
    HttpTarget target;
    if (!url.is_string() || !ParseHttpUrl(url.AsString(), &target)) {
      std::string shown = url.is_string() ? "'" + url.AsString() + "'" : asl::ToJson(url);
      return bad("the endpoint of function '" + name + "' must be an http:// or https:// URL, not " + shown);
    }
    out.emplace_back(name, url.AsString());
  }
  return out;
}

StatusOr<std::vector<std::pair<std::string, std::string>>> ReadFunctionsFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status::InvalidArgument("cannot read functions file " + path);
  std::ostringstream text;
  text << file.rdbuf();
  return ParseFunctionsJson(text.str(), path);
}

}  // namespace stepflow::engine
