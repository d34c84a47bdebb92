#include "dispatch/http_task.h"

#include <strings.h>

#include <algorithm>
#include <cctype>

#include "stepflow/asl/errors.h"
#include "stepflow/asl/json.h"

namespace stepflow::engine {

using asl::Value;

namespace {

// AWS stops waiting for an HTTP Task's answer after 60 s (States.Http.Socket).
constexpr int64_t kAwsHttpTaskLimitMs = 60 * 1000;

constexpr const char* kMethods[] = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"};

// Headers AWS refuses in an HTTP Task definition (States.Runtime); names end
// with '*' for a prefix.
constexpr const char* kForbiddenHeaders[] = {
    "A-IM",          "Accept-Charset",    "Accept-Datetime", "Accept-Encoding",   "Cache-Control",
    "Connection",    "Content-Encoding",  "Content-MD5",     "Date",              "Expect",
    "Forwarded",     "From",              "Host",            "HTTP2-Settings",    "If-Match",
    "If-Modified-Since", "If-None-Match", "If-Range",        "If-Unmodified-Since", "Max-Forwards",
    "Origin",        "Pragma",            "Proxy-Authorization", "Referer",       "Server",
    "TE",            "Trailer",           "Transfer-Encoding", "Upgrade",         "Via",
    "Warning",       "x-forwarded-*",     "x-amz-*",         "x-amzn-*",
};

bool IsForbiddenHeader(const std::string& name) {
  for (std::string_view forbidden : kForbiddenHeaders) {
    if (forbidden.back() == '*') {
      size_t n = forbidden.size() - 1;
      if (name.size() >= n && strncasecmp(name.c_str(), forbidden.data(), n) == 0) return true;
    } else if (name.size() == forbidden.size() && strncasecmp(name.c_str(), forbidden.data(), name.size()) == 0) {
      return true;
    }
  }
  return false;
}

// RFC 7230 token characters: what a header name may hold.
bool IsHeaderName(const std::string& name) {
  if (name.empty()) return false;
  for (unsigned char c : name) {
    if (!std::isalnum(c) && std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) == std::string::npos) {
      return false;
    }
  }
  return true;
}

bool IsScalar(const Value& v) { return !v.is_array() && !v.is_object(); }

std::string ScalarText(const Value& v) {
  if (v.is_string()) return v.AsString();
  if (v.is_null()) return "";
  return asl::ToJson(v);  // numbers and booleans as JSON writes them
}

void PercentEncode(std::string_view text, std::string* out) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out->push_back(static_cast<char>(c));
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 15]);
    }
  }
}

void AppendPair(const std::string& key, const std::string& value, std::string* out) {
  if (!out->empty()) out->push_back('&');
  PercentEncode(key, out);
  out->push_back('=');
  PercentEncode(value, out);
}

void EncodeValue(const std::string& key, const Value& value, UrlArrayFormat format, std::string* out) {
  if (value.is_object()) {
    for (const auto& [name, member] : value.AsObject()) EncodeValue(key + "[" + name + "]", member, format, out);
    return;
  }
  if (!value.is_array()) return AppendPair(key, ScalarText(value), out);
  const asl::Array& items = value.AsArray();
  if (format == UrlArrayFormat::kCommas && std::all_of(items.begin(), items.end(), IsScalar)) {
    if (items.empty()) return;
    if (!out->empty()) out->push_back('&');
    PercentEncode(key, out);
    out->push_back('=');
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0) out->push_back(',');
      PercentEncode(ScalarText(items[i]), out);
    }
    return;
  }
  for (size_t i = 0; i < items.size(); ++i) {
    std::string indexed = key + "[" + std::to_string(i) + "]";
    if (!IsScalar(items[i]) || format == UrlArrayFormat::kIndices || format == UrlArrayFormat::kCommas) {
      EncodeValue(indexed, items[i], format, out);
    } else {
      AppendPair(format == UrlArrayFormat::kBrackets ? key + "[]" : key, ScalarText(items[i]), out);
    }
  }
}

struct Endpoint {
  HttpTarget target;
  std::string path_and_query;  // "/v1/x?y=1", "/" at least
};

bool ParseEndpoint(const std::string& url, Endpoint* out) {
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string::npos) return false;
  size_t authority_end = url.find_first_of("/?#", scheme_end + 3);
  if (!ParseHttpUrl(url.substr(0, authority_end), &out->target)) return false;
  out->target.base_path.clear();
  std::string rest = authority_end == std::string::npos ? "" : url.substr(authority_end);
  rest = rest.substr(0, rest.find('#'));
  for (unsigned char c : rest) {
    if (c <= ' ' || c == 0x7f) return false;  // would end the request line
  }
  out->path_and_query = rest.empty() || rest[0] != '/' ? "/" + rest : rest;
  return true;
}

bool IsJsonMediaType(const std::string* content_type) {
  if (content_type == nullptr) return false;
  std::string type = content_type->substr(0, content_type->find(';'));
  std::transform(type.begin(), type.end(), type.begin(), [](unsigned char c) { return std::tolower(c); });
  type.erase(std::remove(type.begin(), type.end(), ' '), type.end());
  return type == "application/json" || (type.size() > 5 && type.compare(type.size() - 5, 5, "+json") == 0);
}

// The result AWS gives: header names in lower case, each with all its values.
Value ResultOf(const HttpResponse& response) {
  std::vector<std::pair<std::string, asl::Array>> headers;
  for (const auto& [key, value] : response.headers) {
    std::string name = key;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
    auto it = std::find_if(headers.begin(), headers.end(), [&name](const auto& entry) { return entry.first == name; });
    if (it == headers.end()) it = headers.emplace(headers.end(), name, asl::Array());
    it->second.push_back(Value::String(value));
  }
  asl::Object header_object;
  for (auto& [name, values] : headers) header_object.emplace_back(name, Value::MakeArray(std::move(values)));
  Value body = Value::String(response.body);
  if (IsJsonMediaType(response.Header("Content-Type"))) {
    Value parsed;
    asl::JsonError error;
    // A server that says JSON and sends something else: its text, as is.
    if (asl::ParseJson(response.body, &parsed, &error)) body = std::move(parsed);
  }
  return Value::MakeObject({
      {"Headers", Value::MakeObject(std::move(header_object))},
      {"ResponseBody", std::move(body)},
      {"StatusCode", Value::Int(response.status)},
      {"StatusText", Value::String(response.reason)},
  });
}

}  // namespace

std::string EncodeUrlForm(const Value& object, UrlArrayFormat format) {
  std::string out;
  for (const auto& [name, value] : object.AsObject()) EncodeValue(name, value, format, &out);
  return out;
}

HttpTaskInvoker::HttpTaskInvoker(HttpClient* client, std::vector<HttpConnection> connections,
                                 size_t max_payload_bytes)
    : client_(client), connections_(std::move(connections)), max_payload_bytes_(max_payload_bytes) {}

void HttpTaskInvoker::Invoke(const Value& parameters, const std::string& idempotency_key, int64_t timeout_ms,
                             std::function<void(TaskOutcome)> done) {
  auto fail = [&done](std::string cause) {
    done(TaskOutcome{false, Value(), asl::Failure{asl::errors::kRuntime, std::move(cause)}});
  };
  if (!parameters.is_object()) {
    return fail("The HTTP Task's Parameters must be an object with ApiEndpoint, Method and Authentication.");
  }
  const Value* api_endpoint = parameters.Find("ApiEndpoint");
  if (api_endpoint == nullptr || !api_endpoint->is_string()) {
    return fail("The HTTP Task needs a string 'ApiEndpoint' parameter.");
  }
  Endpoint endpoint;
  if (!ParseEndpoint(api_endpoint->AsString(), &endpoint)) {
    return fail("The HTTP Task's ApiEndpoint '" + api_endpoint->AsString() +
                "' is not an https:// (or http://) URL without spaces.");
  }
  const Value* method = parameters.Find("Method");
  if (method == nullptr || !method->is_string() ||
      std::find(std::begin(kMethods), std::end(kMethods), method->AsString()) == std::end(kMethods)) {
    return fail("The HTTP Task's 'Method' must be one of GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD" +
                std::string(method != nullptr && method->is_string() ? ", not '" + method->AsString() + "'." : "."));
  }
  const Value* authentication = parameters.Find("Authentication");
  const Value* connection_arn = authentication != nullptr && authentication->is_object()
                                    ? authentication->Find("ConnectionArn")
                                    : nullptr;
  if (connection_arn == nullptr || !connection_arn->is_string()) {
    return fail("The HTTP Task needs 'Authentication': {'ConnectionArn': ...} naming a configured connection.");
  }
  auto connection = std::find_if(connections_.begin(), connections_.end(),
                                 [connection_arn](const HttpConnection& c) { return c.arn == connection_arn->AsString(); });
  if (connection == connections_.end()) {
    return fail("The HTTP Task's connection '" + connection_arn->AsString() +
                "' is not configured on this engine; add it to the engine's HTTP connections.");
  }

  UrlArrayFormat array_format = UrlArrayFormat::kIndices;
  bool url_encoded = false;
  if (const Value* transform = parameters.Find("Transform"); transform != nullptr) {
    if (!transform->is_object()) return fail("The HTTP Task's 'Transform' must be an object.");
    if (const Value* encoding = transform->Find("RequestBodyEncoding"); encoding != nullptr) {
      if (!encoding->is_string() || (encoding->AsString() != "NONE" && encoding->AsString() != "URL_ENCODED")) {
        return fail("The HTTP Task's Transform.RequestBodyEncoding must be NONE or URL_ENCODED.");
      }
      url_encoded = encoding->AsString() == "URL_ENCODED";
    }
    if (const Value* options = transform->Find("RequestEncodingOptions"); options != nullptr) {
      const Value* format = options->is_object() ? options->Find("ArrayFormat") : nullptr;
      static const std::pair<const char*, UrlArrayFormat> kFormats[] = {
          {"INDICES", UrlArrayFormat::kIndices},
          {"REPEAT", UrlArrayFormat::kRepeat},
          {"COMMAS", UrlArrayFormat::kCommas},
          {"BRACKETS", UrlArrayFormat::kBrackets},
      };
      auto found = std::find_if(std::begin(kFormats), std::end(kFormats), [format](const auto& entry) {
        return format != nullptr && format->is_string() && format->AsString() == entry.first;
      });
      if (found == std::end(kFormats)) {
        return fail("The HTTP Task's Transform.RequestEncodingOptions.ArrayFormat must be INDICES, REPEAT, COMMAS "
                    "or BRACKETS.");
      }
      array_format = found->second;
    }
  }

  HttpRequest request;
  request.method = method->AsString();
  request.headers.emplace_back("User-Agent", "stepflow|HttpInvoke");
  if (!idempotency_key.empty()) request.headers.emplace_back(kIdempotencyKeyHeader, idempotency_key);
  if (const Value* body = parameters.Find("RequestBody"); body != nullptr) {
    if (url_encoded) {
      if (!body->is_object()) return fail("A URL_ENCODED RequestBody must be a JSON object.");
      request.body = EncodeUrlForm(*body, array_format);
      request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    } else {
      request.body = body->is_string() ? body->AsString() : asl::ToJson(*body);
    }
  }
  if (const Value* headers = parameters.Find("Headers"); headers != nullptr) {
    if (!headers->is_object()) return fail("The HTTP Task's 'Headers' must be an object of strings.");
    for (const auto& [name, value] : headers->AsObject()) {
      if (!IsHeaderName(name)) return fail("The HTTP Task's header name '" + name + "' is not a valid header name.");
      if (IsForbiddenHeader(name)) {
        return fail("The HTTP Task may not set the header '" + name +
                    "' (AWS does not allow it in an HTTP Task definition).");
      }
      if (!IsScalar(value) || ScalarText(value).find_first_of("\r\n") != std::string::npos) {
        return fail("The HTTP Task's header '" + name + "' must be a string without line breaks.");
      }
      request.headers.emplace_back(name, ScalarText(value));
    }
  }
  // Last, so the connection's credentials replace any header of the same name.
  for (const auto& header : connection->headers) request.headers.push_back(header);

  std::string query;
  if (const Value* params = parameters.Find("QueryParameters"); params != nullptr) {
    if (!params->is_object()) return fail("The HTTP Task's 'QueryParameters' must be an object.");
    asl::Object kept;
    for (const auto& member : params->AsObject()) {
      bool overridden = std::any_of(connection->query.begin(), connection->query.end(),
                                    [&member](const auto& q) { return q.first == member.first; });
      if (!overridden) kept.push_back(member);
    }
    query = EncodeUrlForm(Value::MakeObject(std::move(kept)), array_format);
  }
  for (const auto& [name, value] : connection->query) AppendPair(name, value, &query);
  request.target = endpoint.path_and_query;
  if (!query.empty()) request.target += (request.target.find('?') == std::string::npos ? "?" : "&") + query;

  bool state_deadline = timeout_ms > 0 && timeout_ms < kAwsHttpTaskLimitMs;
  request.timeout_ms = state_deadline ? timeout_ms : kAwsHttpTaskLimitMs;
  size_t limit = max_payload_bytes_;
  // Causes name the ApiEndpoint as written, never the sent URL: the connection's query holds secrets.
  std::string where = api_endpoint->AsString();
  client_->Send(
      endpoint.target, std::move(request),
      [where = std::move(where), limit, state_deadline, done = std::move(done)](HttpResult result) {
        auto failed = [&done](std::string error, std::string cause) {
          done(TaskOutcome{false, Value(), asl::Failure{std::move(error), std::move(cause)}});
        };
        const char* data_limit_cause =
            "The state/task 'arn:aws:states:::http:invoke' returned a result with a size exceeding the maximum number "
            "of bytes service limit.";
        if (result.body_too_large) return failed(asl::errors::kDataLimitExceeded, data_limit_cause);
        if (result.timed_out && state_deadline) {
          return failed(asl::errors::kTimeout, "Calling " + where + " failed: " + result.error);
        }
        if (!result.error.empty()) return failed(kHttpSocketError, "Calling " + where + " failed: " + result.error);
        Value output = ResultOf(result.response);
        std::string json = asl::ToJson(output);
        if (json.size() > limit) return failed(asl::errors::kDataLimitExceeded, data_limit_cause);
        int status = result.response.status;
        if (status < 200 || status >= 300) return failed(kHttpStatusCodeErrorPrefix + std::to_string(status), json);
        done(TaskOutcome{true, std::move(output), {}});
      });
}

}  // namespace stepflow::engine
