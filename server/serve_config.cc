#include "serve_config.h"

#include <algorithm>
#include <fstream>
#include <iterator>
#include <sstream>

#include "stepflow/asl/json.h"
#include "stepflow/asl/value.h"

namespace stepflow::server {
namespace {

using asl::Value;

std::optional<std::string> ReadJsonObject(const std::string& path, Value* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read " + path;
  std::ostringstream text;
  text << in.rdbuf();
  asl::JsonError e;
  if (!asl::ParseJson(text.str(), out, &e)) {
    return path + ": not JSON (line " + std::to_string(e.line) + ", column " + std::to_string(e.column) +
           "): " + e.message;
  }
  if (!out->is_object()) return path + ": must be a JSON object";
  return std::nullopt;
}

}  // namespace

std::optional<std::string> LoadServeConfig(const std::string& path, ServeConfig* config) {
  Value root;
  if (auto e = ReadJsonObject(path, &root)) return e;
  for (const asl::Member& m : root.AsObject()) {
    const std::string& key = m.first;
    const Value& v = m.second;
    auto want_string = [&](std::string* dst) -> std::optional<std::string> {
      if (!v.is_string()) return path + ": '" + key + "' must be a string";
      *dst = v.AsString();
      return std::nullopt;
    };
    std::optional<std::string> error;
    if (key == "host") {
      error = want_string(&config->host);
    } else if (key == "port" || key == "http_threads") {
      if (!v.is_int() || v.AsInt() < 0 || v.AsInt() > 65535) return path + ": '" + key + "' must be an integer";
      (key == "port" ? config->port : config->http_threads) = static_cast<int>(v.AsInt());
    } else if (key == "db") {
      error = want_string(&config->db);
    } else if (key == "region") {
      error = want_string(&config->region);
    } else if (key == "account_id") {
      error = want_string(&config->account_id);
    } else if (key == "log_format") {
      error = want_string(&config->log_format);
      if (!error && config->log_format != "text" && config->log_format != "json") {
        return path + ": 'log_format' must be \"text\" or \"json\"";
      }
    } else if (key == "synchronous") {
      error = want_string(&config->synchronous);
      if (!error && config->synchronous != "NORMAL" && config->synchronous != "FULL") {
        return path + ": 'synchronous' must be \"NORMAL\" or \"FULL\"";
      }
    } else if (key == "log_level") {
      error = want_string(&config->log_level);
      static const char* kLevels[] = {"trace", "debug", "info", "warn", "error", "critical", "off"};
      if (!error && std::find(std::begin(kLevels), std::end(kLevels), config->log_level) == std::end(kLevels)) {
        return path + ": 'log_level' must be one of trace, debug, info, warn, error, critical, off";
      }
    } else if (key == "lambda_endpoint") {
      error = want_string(&config->lambda_endpoint);
    } else if (key == "allow_unauthenticated") {
      if (!v.is_bool()) return path + ": '" + key + "' must be true or false";
      config->allow_unauthenticated = v.AsBool();
    } else if (key == "access_keys") {
      if (!v.is_array()) return path + ": 'access_keys' must be an array";
      for (const Value& k : v.AsArray()) {
        const Value* id = k.is_object() ? k.Find("access_key_id") : nullptr;
        const Value* secret = k.is_object() ? k.Find("secret_access_key") : nullptr;
        if (id == nullptr || secret == nullptr || !id->is_string() || !secret->is_string() ||
            id->AsString().empty() || secret->AsString().empty()) {
          return path + ": each of 'access_keys' needs 'access_key_id' and 'secret_access_key' strings";
        }
        config->access_keys.push_back({id->AsString(), secret->AsString()});
      }
    } else {
      return path + ": unknown member '" + key + "'";
    }
    if (error) return error;
  }
  if (config->http_threads < 1) return path + ": 'http_threads' must be at least 1";
  return std::nullopt;
}

bool IsLoopbackHost(const std::string& host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

}  // namespace stepflow::server
