#include "sigv4.h"

#include <doctest/doctest.h>

namespace stepflow::server {
namespace {

// AWS's worked example (IAM ListUsers, "Create a signed AWS API request" in the
// IAM user guide), and its published signature.
SignedRequest IamListUsers() {
  SignedRequest r;
  r.method = "GET";
  r.target = "/?Action=ListUsers&Version=2010-05-08";
  r.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"},
               {"Host", "iam.amazonaws.com"},
               {"X-Amz-Date", "20150830T123600Z"}};
  return r;
}
const AccessKey kExampleKey{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
constexpr int64_t kExampleTime = 1440938160;  // 2015-08-30T12:36:00Z
constexpr char kExampleSignature[] = "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7";

SignedRequest Authorized(SignedRequest r, const std::string& key_id, const std::string& signature) {
  r.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + key_id +
                                              "/20150830/us-east-1/iam/aws4_request, "
                                              "SignedHeaders=content-type;host;x-amz-date, Signature=" +
                                              signature);
  return r;
}

TEST_CASE("SigV4 signs AWS's worked example with its published signature") {
  CHECK(SignSigV4(IamListUsers(), kExampleKey, "20150830T123600Z", "us-east-1", "iam",
                  "content-type;host;x-amz-date") == kExampleSignature);
}

TEST_CASE("SigV4 accepts the right signature and names each kind of refusal as AWS does") {
  std::vector<AccessKey> keys{kExampleKey};
  auto verify = [&](const SignedRequest& r, int64_t now = kExampleTime) {
    return VerifySigV4(r, keys, "us-east-1", "iam", now);
  };
  CHECK_FALSE(verify(Authorized(IamListUsers(), "AKIDEXAMPLE", kExampleSignature)).has_value());

  auto missing = verify(IamListUsers());
  REQUIRE(missing);
  CHECK(missing->type == "MissingAuthenticationTokenException");
  CHECK(missing->status == 403);

  auto unknown_key = verify(Authorized(IamListUsers(), "AKIDOTHER", kExampleSignature));
  REQUIRE(unknown_key);
  CHECK(unknown_key->type == "UnrecognizedClientException");

  std::string wrong(kExampleSignature);
  wrong[0] = wrong[0] == '5' ? '6' : '5';
  auto bad = verify(Authorized(IamListUsers(), "AKIDEXAMPLE", wrong));
  REQUIRE(bad);
  CHECK(bad->type == "InvalidSignatureException");
  CHECK(bad->status == 400);

  SignedRequest tampered = Authorized(IamListUsers(), "AKIDEXAMPLE", kExampleSignature);
  tampered.body = "{}";
  auto tampered_error = verify(tampered);
  REQUIRE(tampered_error);
  CHECK(tampered_error->type == "InvalidSignatureException");

  auto expired = verify(Authorized(IamListUsers(), "AKIDEXAMPLE", kExampleSignature), kExampleTime + 16 * 60);
  REQUIRE(expired);
  CHECK(expired->type == "InvalidSignatureException");
  CHECK(expired->message.find("Signature expired") == 0);

  auto other_region = VerifySigV4(Authorized(IamListUsers(), "AKIDEXAMPLE", kExampleSignature), keys, "eu-west-1",
                                  "iam", kExampleTime);
  REQUIRE(other_region);
  CHECK(other_region->type == "InvalidSignatureException");

  SignedRequest garbled = IamListUsers();
  garbled.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 nonsense");
  auto incomplete = verify(garbled);
  REQUIRE(incomplete);
  CHECK(incomplete->type == "IncompleteSignatureException");
}

}  // namespace
}  // namespace stepflow::server
