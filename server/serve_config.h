#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sigv4.h"

namespace stepflow::server {

// `stepflow serve` settings: from the JSON config file (--config), then the
// command line, which wins.
struct ServeConfig {
  std::string host = "127.0.0.1";
  int port = 8083;
  std::string db;  // empty: the default database file
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  // When not empty, every API request must carry an AWS SigV4 signature by one of these.
  std::vector<AccessKey> access_keys;
  // Serve without access keys on an address other than loopback.
  bool allow_unauthenticated = false;
  std::string log_format = "text";  // "text" or "json"
  std::string log_level = "info";   // spdlog level names: trace, debug, info, warn, error
  std::string lambda_endpoint;
  std::vector<std::pair<std::string, std::string>> function_endpoints;  // function name -> URL (--functions)
  // "NORMAL": a commit survives a crash of the process; "FULL": also a power loss.
  std::string synchronous = "NORMAL";
  int http_threads = 64;  // one per open connection (cpp-httplib serves a connection on one thread)
};

// Reads the config file's JSON object into `config` (members it lacks keep
// their value). Returns the error text for a file that cannot be read, is not
// JSON, or has an unknown member or a member of the wrong type.
std::optional<std::string> LoadServeConfig(const std::string& path, ServeConfig* config);

// Whether `host` names only this machine (127.0.0.0/8, ::1, localhost).
bool IsLoopbackHost(const std::string& host);

}  // namespace stepflow::server
