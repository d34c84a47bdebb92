#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace stepflow::engine {

struct HttpTarget {
  std::string host;
  std::string port;
  std::string base_path;  // without a trailing slash
};

// Parses "http://host:port/base". False for other schemes or a malformed URL.
bool ParseHttpUrl(const std::string& url, HttpTarget* out);

struct HttpRequest {
  std::string method = "POST";
  std::string target;  // path and query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The longest wait for the whole response once the request is sent; 0 = no
  // limit. Past it the exchange fails and its connection is closed.
  int64_t timeout_ms = 0;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  const std::string* Header(const std::string& name) const;
};

// The outcome of one exchange: `error` empty on success, else what went wrong
// ("connection refused", "response body over 10485760 bytes", ...).
struct HttpResult {
  std::string error;
  bool body_too_large = false;
  HttpResponse response;
};

// An asynchronous HTTP/1.1 client on the engine's io_context with keep-alive
// connections pooled per host:port, at most `max_connections_per_host` open to
// each (0: half the process's open-file limit, so a burst of tasks queues
// instead of failing with EMFILE); further requests wait, in order, for one of
// them. A response over `max_body_bytes` fails with body_too_large. Completion
// handlers run on that io_context, never inside Send.
class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, size_t max_body_bytes, size_t max_connections_per_host = 0);
  ~HttpClient();

  void Send(const HttpTarget& target, HttpRequest request, std::function<void(HttpResult)> done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepflow::engine
