#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stepflow::engine {
class Engine;
}

namespace stepflow::server {

class ServeMetrics;

// One HTTP exchange of the AWS JSON 1.0 protocol, transport-free.
struct ApiRequest {
  std::string target;        // the X-Amz-Target header ("AWSStepFunctions.StartExecution")
  std::string content_type;  // the Content-Type header
  std::string body;
};
struct ApiResponse {
  int status = 200;
  std::string body;        // JSON text
  std::string error_type;  // the __type of an error response, empty on success
};

// An AWS-shaped error: `{"__type": type, "message": message}` with `status`.
ApiResponse ErrorResponse(int status, std::string_view type, std::string_view message);

struct ApiOptions {
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
};

// The AWS Step Functions actions over an engine running in background mode.
// State machines and reads go straight to the engine's store; starts, stops
// and task tokens through the engine.
// Thread-safety: Handle may be called from several threads at once.
class Api {
 public:
  // `engine` and `metrics` are not owned and must outlive the Api.
  Api(engine::Engine* engine, ApiOptions options, ServeMetrics* metrics);

  // Answers one request: 200 with the action's response members, or an
  // AWS-shaped error (400 for the caller's mistakes, 500 for ours).
  ApiResponse Handle(const ApiRequest& request);

  const ApiOptions& options() const { return options_; }

 private:
  engine::Engine* engine_;
  ApiOptions options_;
  ServeMetrics* metrics_;
};

// AWS's resource names: 1-80 characters, none of whitespace, < > { } [ ] ? *
// " # % \ ^ | ~ ` $ & , ; : / or control characters.
bool IsValidName(std::string_view name);

// arn:aws:states:REGION:ACCOUNT:stateMachine:NAME
std::string StateMachineArn(const ApiOptions& options, std::string_view name);

// MACHINE of arn:aws:states:REGION:ACCOUNT:execution:MACHINE:NAME; empty for another text.
std::string StateMachineNameOfExecution(std::string_view execution_arn);

}  // namespace stepflow::server
