#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatch/http_client.h"
#include "stepflow/asl/value.h"
#include "stepflow/engine/engine.h"

namespace stepflow::engine {

enum class LambdaStyle {
  kNone,
  kFunctionArn,  // arn:aws:lambda:REGION:ACCOUNT:function:NAME; result = the payload
  kInvoke,       // arn:aws:states:::lambda:invoke; result wrapped in {Payload, StatusCode, ...}
};
LambdaStyle ClassifyLambdaResource(std::string_view resource);

// The bare function name of "name", "name:alias" or a function ARN.
std::string LambdaFunctionName(std::string_view name_or_arn);

// Invokes functions through the AWS Lambda Invoke REST API
// (POST {endpoint}/2015-03-31/functions/NAME/invocations) and maps the answer to
// what a Task state sees on AWS: the result, or the function's errorType, or
// Lambda.* / States.* errors. Runs on the engine's io_context.
class LambdaInvoker {
 public:
  LambdaInvoker(HttpClient* client, std::string default_endpoint,
                std::vector<std::pair<std::string, std::string>> function_endpoints, size_t max_payload_bytes);

  // `parameters` is the state's effective input; for kInvoke it carries
  // FunctionName and Payload. The request carries `idempotency_key` as
  // X-Stepflow-Idempotency-Key. `timeout_ms` > 0 (the state's TimeoutSeconds)
  // bounds the exchange: past it the task fails with States.Timeout and the
  // connection is closed. `done` runs on the engine thread, exactly once.
  void Invoke(LambdaStyle style, std::string_view resource, const asl::Value& parameters,
              const std::string& idempotency_key, std::function<void(TaskOutcome)> done, int64_t timeout_ms = 0);

 private:
  // An endpoint URL, parsed once; no target when it is not an http(s) URL.
  struct Endpoint {
    std::string url;
    std::optional<HttpTarget> target;
  };
  static Endpoint Parse(std::string url);

  HttpClient* client_;
  Endpoint default_endpoint_;
  std::vector<std::pair<std::string, Endpoint>> function_endpoints_;
  size_t max_payload_bytes_;
};

}  // namespace stepflow::engine
