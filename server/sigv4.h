#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace stepflow::server {

struct AccessKey {
  std::string access_key_id;
  std::string secret_access_key;
};

// What the signature covers, as the request arrived.
struct SignedRequest {
  std::string method;  // "POST"
  std::string target;  // the request target as sent: path and query, still percent-encoded
  // Every header; a name may repeat. Names compare case-insensitively.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Why a request is refused, as AWS names it (MissingAuthenticationTokenException,
// IncompleteSignatureException, UnrecognizedClientException, InvalidSignatureException).
struct AuthError {
  int status = 400;
  std::string type;
  std::string message;
};

// Checks an AWS Signature Version 4 `Authorization` header against `keys`, for
// `service` in `region`, at `now_epoch_seconds` (a request dated more than 15
// minutes away is refused, as AWS does). nullopt when the signature is good.
std::optional<AuthError> VerifySigV4(const SignedRequest& request, const std::vector<AccessKey>& keys,
                                     const std::string& region, const std::string& service,
                                     int64_t now_epoch_seconds);

// The SigV4 signature (lowercase hex) of `request` dated `amz_date`
// ("20150830T123600Z") with the headers named in `signed_headers` (lowercase,
// sorted, ';'-separated). Exposed for tests.
std::string SignSigV4(const SignedRequest& request, const AccessKey& key, const std::string& amz_date,
                      const std::string& region, const std::string& service, const std::string& signed_headers);

}  // namespace stepflow::server
