#include "dispatch/lambda.h"

#include <algorithm>
#include <cctype>

#include "stepflow/asl/errors.h"
#include "stepflow/asl/json.h"

namespace stepflow::engine {

using asl::Value;

namespace {
constexpr int64_t kMaxFunctionSeconds = 900;
}  // namespace

LambdaStyle ClassifyLambdaResource(std::string_view resource) {
  if (resource.starts_with("arn:aws:states:::lambda:invoke")) return LambdaStyle::kInvoke;
  constexpr std::string_view kPrefix = "arn:aws:lambda:", kFunction = ":function:";
  if (!resource.starts_with(kPrefix)) return LambdaStyle::kNone;
  // Where a full ARN has it, after REGION:ACCOUNT; a search (a task asks twice) only when not.
  size_t region_end = resource.find(':', kPrefix.size());
  size_t account_end = region_end == std::string_view::npos ? region_end : resource.find(':', region_end + 1);
  if (account_end != std::string_view::npos && resource.substr(account_end).starts_with(kFunction)) {
    return LambdaStyle::kFunctionArn;
  }
  return resource.find(kFunction) != std::string_view::npos ? LambdaStyle::kFunctionArn : LambdaStyle::kNone;
}

std::string LambdaFunctionName(std::string_view name_or_arn) {
  std::string_view name = name_or_arn;
  constexpr std::string_view kFunction = "function:";
  size_t function = name.find(kFunction);
  if (function != std::string_view::npos) name.remove_prefix(function + kFunction.size());
  return std::string(name.substr(0, name.find(':')));
}

LambdaInvoker::LambdaInvoker(HttpClient* client, std::string default_endpoint,
                             std::vector<std::pair<std::string, std::string>> function_endpoints,
                             size_t max_payload_bytes)
    : client_(client), default_endpoint_(Parse(std::move(default_endpoint))), max_payload_bytes_(max_payload_bytes) {
  for (auto& [name, url] : function_endpoints) function_endpoints_.emplace_back(name, Parse(std::move(url)));
}

LambdaInvoker::Endpoint LambdaInvoker::Parse(std::string url) {
  Endpoint endpoint{std::move(url), std::nullopt};
  HttpTarget target;
  if (ParseHttpUrl(endpoint.url, &target)) endpoint.target = std::move(target);
  return endpoint;
}

void LambdaInvoker::Invoke(LambdaStyle style, std::string_view resource, const Value& parameters,
                           const std::string& idempotency_key, std::function<void(TaskOutcome)> done,
                           int64_t timeout_ms) {
  auto fail = [&done](std::string error, std::string cause) {
    done(TaskOutcome{false, Value(), asl::Failure{std::move(error), std::move(cause)}});
  };
  std::string function;
  Value payload = parameters;
  if (style == LambdaStyle::kInvoke) {
    const Value* name = parameters.Find("FunctionName");
    if (name == nullptr || !name->is_string()) {
      return fail(asl::errors::kRuntime, "The lambda:invoke integration needs a string 'FunctionName' parameter.");
    }
    function = LambdaFunctionName(name->AsString());
    const Value* given = parameters.Find("Payload");
    payload = given != nullptr ? *given : Value::MakeObject({});
  } else {
    function = LambdaFunctionName(resource);
  }
  // The name goes into the request line: only what Lambda allows in a function
  // name, so input can neither reach another path nor end the line.
  bool valid_name = !function.empty() && function.size() <= 140;
  for (char c : function) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') valid_name = false;
  }
  if (!valid_name) {
    return fail("Lambda.AWSLambdaException",
                "1 validation error detected: Value '" + function +
                    "' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression "
                    "pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?"
                    "(function:)?([a-zA-Z0-9-_\\.]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?");
  }
  const Endpoint* endpoint = &default_endpoint_;
  for (const auto& [name, configured] : function_endpoints_) {
    if (name == function) endpoint = &configured;
  }
  if (endpoint->url.empty()) {
    return fail(asl::errors::kTaskFailed, "No endpoint is configured for Lambda function '" + function +
                                              "'; give --lambda-endpoint URL or a per-function endpoint.");
  }
  if (!endpoint->target) {
    return fail(asl::errors::kTaskFailed,
                "The Lambda endpoint '" + endpoint->url + "' is not an http:// or https:// URL.");
  }
  HttpRequest request;
  constexpr std::string_view kPathHead = "/2015-03-31/functions/", kPathTail = "/invocations";
  request.target.reserve(kPathHead.size() + function.size() + kPathTail.size());
  request.target.append(kPathHead).append(function).append(kPathTail);
  request.headers.emplace_back(kIdempotencyKeyHeader, idempotency_key);
  request.body = asl::ToJson(payload);
  // Lambda stops a function after 900 s at most; a server silent for longer has
  // lost the request, and waiting on would hold the task (and a connection) forever.
  const int64_t silent_limit_ms = kMaxFunctionSeconds * 1000 + 60 * 1000;
  bool state_deadline = timeout_ms > 0 && timeout_ms < silent_limit_ms;
  request.timeout_ms = state_deadline ? timeout_ms : silent_limit_ms;
  size_t limit = max_payload_bytes_;
  const HttpTarget& target = *endpoint->target;
  client_->Send(
      target, std::move(request),
      [style, function = std::move(function), limit, state_deadline, done = std::move(done)](HttpResult result) {
        auto failed = [&done](std::string error, std::string cause) {
          done(TaskOutcome{false, Value(), asl::Failure{std::move(error), std::move(cause)}});
        };
        if (result.timed_out && state_deadline) {
          return failed(asl::errors::kTimeout, "Invoking Lambda function '" + function + "' failed: " + result.error);
        }
        // AWS's text, 'lambda' included, as recorded by the conformance cases.
        const char* data_limit_cause =
            "The state/task 'lambda' returned a result with a size exceeding the maximum number of bytes service "
            "limit.";
        if (result.body_too_large) return failed(asl::errors::kDataLimitExceeded, data_limit_cause);
        if (!result.error.empty()) {
          return failed(style == LambdaStyle::kInvoke ? "Lambda.SdkClientException" : asl::errors::kTaskFailed,
                        "Invoking Lambda function '" + function + "' failed: " + result.error);
        }
        const HttpResponse& response = result.response;
        if (response.status < 200 || response.status >= 300) {
          const std::string* type = response.Header("X-Amzn-ErrorType");
          std::string name = type != nullptr ? type->substr(0, type->find(':')) : "ServiceException";
          return failed("Lambda." + name, "Lambda function '" + function + "' answered HTTP " +
                                              std::to_string(response.status) + ": " + response.body);
        }
        if (response.body.size() > limit) return failed(asl::errors::kDataLimitExceeded, data_limit_cause);
        Value body;
        asl::JsonError json_error;
        // A function may return raw bytes; Step Functions hands them on as a string.
        if (!asl::ParseJson(response.body, &body, &json_error)) body = Value::String(response.body);
        if (response.Header("X-Amz-Function-Error") != nullptr) {
          const Value* type = body.Find("errorType");
          std::string error = type != nullptr && type->is_string() ? type->AsString() : "Lambda.Unknown";
          return failed(std::move(error), response.body);
        }
        if (style == LambdaStyle::kFunctionArn) return done(TaskOutcome{true, std::move(body), {}});
        // As the AWS SDK reports them: HttpHeaders one value per name, AllHttpHeaders
        // every value of a name in an array.
        asl::Object headers;
        std::vector<std::pair<std::string, asl::Array>> all;
        for (const auto& [key, value] : response.headers) {
          auto it = std::find_if(all.begin(), all.end(), [&key](const auto& entry) { return entry.first == key; });
          if (it == all.end()) it = all.emplace(all.end(), key, asl::Array());
          it->second.push_back(Value::String(value));
        }
        asl::Object all_headers;
        for (auto& [key, values] : all) {
          headers.emplace_back(key, values.back());  // a repeated name: its last value, never a duplicate key
          all_headers.emplace_back(key, Value::MakeArray(std::move(values)));
        }
        const std::string* executed = response.Header("X-Amz-Executed-Version");
        const std::string* request_id = response.Header("X-Amzn-RequestId");
        Value wrapped = Value::MakeObject({
            {"ExecutedVersion", Value::String(executed != nullptr ? *executed : "$LATEST")},
            {"Payload", std::move(body)},
            {"SdkHttpMetadata", Value::MakeObject({{"AllHttpHeaders", Value::MakeObject(std::move(all_headers))},
                                                   {"HttpHeaders", Value::MakeObject(std::move(headers))},
                                                   {"HttpStatusCode", Value::Int(response.status)}})},
            {"SdkResponseMetadata",
             Value::MakeObject({{"RequestId", Value::String(request_id != nullptr ? *request_id : "stepflow")}})},
            {"StatusCode", Value::Int(response.status)},
        });
        done(TaskOutcome{true, std::move(wrapped), {}});
      });
}

}  // namespace stepflow::engine
