// AWS Signature Version 4, the server side: rebuild the canonical request
// from what arrived, sign it with the caller's secret, compare.

#include "sigv4.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <string_view>

namespace stepflow::server {
namespace {

constexpr int64_t kMaxSkewSeconds = 15 * 60;

std::string Hex(const unsigned char* data, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out += kDigits[data[i] >> 4];
    out += kDigits[data[i] & 15];
  }
  return out;
}

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return Hex(digest, sizeof digest);
}

std::string Hmac(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), digest, &length);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Header values are trimmed and inner runs of spaces collapsed to one.
std::string TrimCollapse(std::string_view v) {
  std::string out;
  bool space = false;
  for (char c : v) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// RFC 3986 encoding of everything but the unreserved characters (and '/' when asked).
std::string UriEncode(std::string_view s, bool keep_slash) {
  static const char kDigits[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
                      c == '_' || c == '.' || c == '~';
    if (unreserved || (keep_slash && c == '/')) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kDigits[c >> 4];
      out += kDigits[c & 15];
    }
  }
  return out;
}

// Services other than S3 sign the path encoded once more, as sent
// (so "%20" in the request becomes "%2520").
std::string CanonicalUri(std::string_view path) {
  if (path.empty()) return "/";
  return UriEncode(path, true);
}

std::string CanonicalQuery(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size() && !query.empty()) {
    size_t end = query.find('&', start);
    std::string_view part = query.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!part.empty()) {
      size_t eq = part.find('=');
      std::string key = PercentDecode(part.substr(0, eq));
      std::string value = eq == std::string_view::npos ? "" : PercentDecode(part.substr(eq + 1));
      params.emplace_back(UriEncode(key, false), UriEncode(value, false));
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += k + "=" + v;
  }
  return out;
}

std::vector<std::string> SplitList(std::string_view s, char sep) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t end = s.find(sep, start);
    out.emplace_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// The values of one header, joined by ',' as SigV4 asks; nullopt when absent.
std::optional<std::string> HeaderValues(const SignedRequest& request, const std::string& lower_name) {
  std::optional<std::string> out;
  for (const auto& [name, value] : request.headers) {
    if (Lower(name) != lower_name) continue;
    if (out) {
      *out += "," + TrimCollapse(value);
    } else {
      out = TrimCollapse(value);
    }
  }
  return out;
}

// Seconds since the epoch of "YYYYMMDDTHHMMSSZ"; nullopt for other text.
std::optional<int64_t> ParseAmzDate(const std::string& s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i) {
    if (i != 8 && (s[i] < '0' || s[i] > '9')) return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(9, 2));
  tm.tm_min = std::stoi(s.substr(11, 2));
  tm.tm_sec = std::stoi(s.substr(13, 2));
  return static_cast<int64_t>(timegm(&tm));
}

std::string FormatAmzDate(int64_t epoch) {
  std::time_t t = static_cast<std::time_t>(epoch);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

AuthError Incomplete(std::string message) { return {400, "IncompleteSignatureException", std::move(message)}; }
AuthError Invalid(std::string message) { return {400, "InvalidSignatureException", std::move(message)}; }

}  // namespace

std::string SignSigV4(const SignedRequest& request, const AccessKey& key, const std::string& amz_date,
                      const std::string& region, const std::string& service, const std::string& signed_headers) {
  std::string_view target = request.target;
  size_t q = target.find('?');
  std::string canonical = request.method + "\n" + CanonicalUri(target.substr(0, q)) + "\n" +
                          CanonicalQuery(q == std::string_view::npos ? "" : target.substr(q + 1)) + "\n";
  for (const std::string& name : SplitList(signed_headers, ';')) {
    canonical += name + ":" + HeaderValues(request, name).value_or("") + "\n";
  }
  canonical += "\n" + signed_headers + "\n" + Sha256Hex(request.body);

  std::string date = amz_date.substr(0, 8);
  std::string scope = date + "/" + region + "/" + service + "/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + Sha256Hex(canonical);
  std::string k = Hmac("AWS4" + key.secret_access_key, date);
  k = Hmac(k, region);
  k = Hmac(k, service);
  k = Hmac(k, "aws4_request");
  std::string signature = Hmac(k, to_sign);
  return Hex(reinterpret_cast<const unsigned char*>(signature.data()), signature.size());
}

std::optional<AuthError> VerifySigV4(const SignedRequest& request, const std::vector<AccessKey>& keys,
                                     const std::string& region, const std::string& service,
                                     int64_t now_epoch_seconds) {
  std::optional<std::string> authorization = HeaderValues(request, "authorization");
  if (!authorization || authorization->empty()) {
    return AuthError{403, "MissingAuthenticationTokenException", "Missing Authentication Token"};
  }
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (authorization->rfind(kAlgorithm, 0) != 0) {
    return Incomplete("Authorization header requires the AWS4-HMAC-SHA256 algorithm.");
  }
  std::string credential, signed_headers, signature;
  for (std::string part : SplitList(std::string_view(*authorization).substr(kAlgorithm.size()), ',')) {
    part = TrimCollapse(part);
    size_t eq = part.find('=');
    if (eq == std::string::npos) continue;
    std::string name = part.substr(0, eq), value = part.substr(eq + 1);
    if (name == "Credential") credential = value;
    if (name == "SignedHeaders") signed_headers = value;
    if (name == "Signature") signature = value;
  }
  if (credential.empty() || signed_headers.empty() || signature.empty()) {
    return Incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. "
                      "Authorization=" + *authorization);
  }
  std::vector<std::string> scope = SplitList(credential, '/');
  if (scope.size() != 5 || scope[4] != "aws4_request") {
    return Incomplete("Credential should be scoped to a valid region, service and terminated by 'aws4_request'.");
  }
  const AccessKey* key = nullptr;
  for (const AccessKey& k : keys) {
    if (k.access_key_id == scope[0]) key = &k;
  }
  if (key == nullptr) {
    return AuthError{400, "UnrecognizedClientException", "The security token included in the request is invalid."};
  }
  std::optional<std::string> amz_date = HeaderValues(request, "x-amz-date");
  std::optional<int64_t> when = amz_date ? ParseAmzDate(*amz_date) : std::nullopt;
  if (!when) return Incomplete("Authorization header requires existence of a valid 'X-Amz-Date' header.");
  if (scope[1] != amz_date->substr(0, 8)) {
    return Invalid("Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '" +
                   scope[1] + "' != '" + amz_date->substr(0, 8) + "', from '" + *amz_date + "'.");
  }
  if (scope[2] != region) return Invalid("Credential should be scoped to a valid region, not '" + scope[2] + "'.");
  if (scope[3] != service) {
    return Invalid("Credential should be scoped to correct service: '" + service + "'.");
  }
  std::vector<std::string> names = SplitList(signed_headers, ';');
  if (std::find(names.begin(), names.end(), "host") == names.end()) {
    return Incomplete("'Host' must be a 'SignedHeader' in the AWS Authorization.");
  }
  if (*when < now_epoch_seconds - kMaxSkewSeconds || *when > now_epoch_seconds + kMaxSkewSeconds) {
    bool early = *when < now_epoch_seconds;
    return Invalid("Signature expired: " + *amz_date + " is now " + (early ? "earlier" : "later") + " than " +
                   FormatAmzDate(now_epoch_seconds + (early ? -kMaxSkewSeconds : kMaxSkewSeconds)) + " (" +
                   FormatAmzDate(now_epoch_seconds) + (early ? " - " : " + ") + "15 min.)");
  }
  std::string expected = SignSigV4(request, *key, *amz_date, region, service, signed_headers);
  if (expected.size() != signature.size() || CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) != 0) {
    return Invalid("The request signature we calculated does not match the signature you provided. Check your AWS "
                   "Secret Access Key and signing method. Consult the service documentation for details.");
  }
  return std::nullopt;
}

}  // namespace stepflow::server
