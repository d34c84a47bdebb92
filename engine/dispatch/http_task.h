#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "dispatch/http_client.h"
#include "stepflow/asl/value.h"
#include "stepflow/engine/engine.h"

namespace stepflow::engine {

inline constexpr char kHttpInvokeResource[] = "arn:aws:states:::http:invoke";
// The HTTP Task's own errors, as AWS names them.
inline constexpr char kHttpSocketError[] = "States.Http.Socket";
inline constexpr char kHttpStatusCodeErrorPrefix[] = "States.Http.StatusCode.";  // + "404"

// Transform.RequestEncodingOptions.ArrayFormat, for {"a": ["x","y"]}:
enum class UrlArrayFormat {
  kIndices,   // a[0]=x&a[1]=y (the default)
  kRepeat,    // a=x&a=y
  kCommas,    // a=x,y
  kBrackets,  // a[]=x&a[]=y
};

// The application/x-www-form-urlencoded text of a JSON object, as the HTTP Task
// encodes a URL_ENCODED RequestBody and its QueryParameters: nested objects as
// a[b]=v, arrays by `format` (an array of objects or arrays by index), null as
// an empty value, everything but RFC 3986 unreserved characters percent-encoded
// (brackets too). REQUIRES: object.is_object().
std::string EncodeUrlForm(const asl::Value& object, UrlArrayFormat format);

// Runs the HTTP Task (Resource arn:aws:states:::http:invoke) as AWS documents it:
// Parameters ApiEndpoint, Method (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD),
// Authentication.ConnectionArn, and optional Headers, QueryParameters,
// RequestBody and Transform {RequestBodyEncoding NONE | URL_ENCODED,
// RequestEncodingOptions.ArrayFormat}. Success: {"Headers": {name: [values]},
// "ResponseBody": JSON when the response says it is JSON else its text,
// "StatusCode", "StatusText"}. A non-2xx answer fails with
// States.Http.StatusCode.NNN, its cause that same object as JSON; a transport
// fault (refused, reset, truncated, TLS, AWS's 60 s limit) with
// States.Http.Socket; a `timeout_ms` deadline (the state's TimeoutSeconds)
// under 60 s with States.Timeout; a response over the payload limit with
// States.DataLimitExceeded; bad Parameters, a forbidden header or an unknown
// connection with States.Runtime, saying which. Authentication.ConnectionArn
// names one of the engine's HttpConnections; its headers and query parameters
// are credentials: they go on the request (winning over the task's own of the
// same name) and nowhere else, never into a result, an error or a cause. Runs
// on the engine's io_context.
class HttpTaskInvoker {
 public:
  // `client` is not owned and must outlive this.
  HttpTaskInvoker(HttpClient* client, std::vector<HttpConnection> connections, size_t max_payload_bytes);

  // `parameters` is the state's effective input. The request carries
  // `idempotency_key` (when not empty) as X-Stepflow-Idempotency-Key. `done`
  // runs exactly once: at once for bad Parameters, else later on the
  // io_context.
  void Invoke(const asl::Value& parameters, const std::string& idempotency_key, int64_t timeout_ms,
              std::function<void(TaskOutcome)> done);

 private:
  HttpClient* client_;
  std::vector<HttpConnection> connections_;
  size_t max_payload_bytes_;
};

}  // namespace stepflow::engine
