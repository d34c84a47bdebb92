#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "stepflow/status.h"

namespace boost::asio {
class io_context;
}

namespace stepflow::engine {

// The header carrying a task dispatch's idempotency key, stable across a crash
// and a re-dispatch of the same attempt, so an endpoint can drop a duplicate.
inline constexpr char kIdempotencyKeyHeader[] = "X-Stepflow-Idempotency-Key";

struct HttpTarget {
  bool tls = false;  // https
  std::string host;
  std::string port;
  std::string base_path;  // without a trailing slash
};

// Parses "http://host:port/base" or "https://host:port/base" (port 80 / 443
// when absent). False for other schemes or a malformed URL.
bool ParseHttpUrl(const std::string& url, HttpTarget* out);

struct HttpRequest {
  std::string method = "POST";
  std::string target;  // path and query, after the target's base_path
  // Sent as given, after Host and a default `Content-Type: application/json`
  // (a header here of the same name replaces those).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // The longest wait, from the moment the exchange has a connection slot, for
  // connecting, the TLS handshake and the whole response; 0 = no limit (a
  // connect still gives up after 30 s). Past it the exchange fails with
  // `timed_out`, its connection is closed, and nothing of a late response is
  // ever reported.
  int64_t timeout_ms = 0;
};

struct HttpResponse {
  int status = 0;
  std::string reason;  // the status line's reason phrase ("Not Found"); may be empty
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  const std::string* Header(const std::string& name) const;
};

// The outcome of one exchange: `error` empty on success, else what went wrong
// ("connection refused", "response body over 10485760 bytes", ...). Errors name
// the scheme, host and port, never the path, query or headers (they may carry
// credentials).
struct HttpResult {
  std::string error;
  bool body_too_large = false;
  bool timed_out = false;  // request.timeout_ms passed
  HttpResponse response;
};

// An asynchronous HTTP/1.1 client on the engine's io_context with keep-alive
// connections pooled per scheme, host and port, at most
// `max_connections_per_host` open to each (0: half the process's open-file
// limit, so a burst of tasks queues instead of failing with EMFILE); further
// requests wait, in order, for one of them. https verifies the server's
// certificate chain against the system's CAs (plus those of TrustCaFile) and
// its name or IP address against the URL's host, and sends SNI. A response over
// `max_body_bytes` fails with body_too_large. Completion handlers run on that
// io_context, never inside Send, exactly once.
//
// A deadline further away than `swept_beyond` (a Lambda function's 16-minute
// limit) is kept by one sweep a second, not by a timer armed and cancelled
// around each read and write (7% of an HTTP task's work in the engine); such an
// exchange times out up to a second late. A nearer one has a timer of the
// exchange's own. Without a deadline, connecting and the TLS handshake get 30 s.
class HttpClient {
 public:
  HttpClient(boost::asio::io_context& io, size_t max_body_bytes, size_t max_connections_per_host = 0,
             std::chrono::milliseconds swept_beyond = std::chrono::seconds(60));
  ~HttpClient();

  // Also trusts the CA certificates of the PEM file at `pem_path` (a
  // self-signed server certificate works too). kInvalidArgument, saying why,
  // when the file cannot be read or holds no certificate.
  Status TrustCaFile(const std::string& pem_path);

  void Send(const HttpTarget& target, HttpRequest request, std::function<void(HttpResult)> done);

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace stepflow::engine
