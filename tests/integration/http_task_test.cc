// The HTTP Task (arn:aws:states:::http:invoke) against real HTTP and HTTPS
// servers on 127.0.0.1: request building, AWS's result shape, its errors, and
// that connection secrets stay out of results and causes.

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "../engine/dispatch/http_task.h"  // an engine internal; tests may include those
#include "stepflow/asl/json.h"
#include "testing/asl_helpers.h"
#include "testing/http_test_server.h"
#include "testing/loopback_function_server.h"
#include "testing/self_signed_cert.h"

namespace {

using stepflow::asl::Value;
using stepflow::engine::EncodeUrlForm;
using stepflow::engine::HttpClient;
using stepflow::engine::HttpConnection;
using stepflow::engine::HttpTaskInvoker;
using stepflow::engine::TaskOutcome;
using stepflow::engine::UrlArrayFormat;
using stepflow::testing::HttpTestServer;
using stepflow::testing::Json;
using stepflow::testing::RecordedRequest;
using stepflow::testing::Reply;
using stepflow::testing::TestCertificate;
using stepflow::testing::Watchdog;
using namespace std::chrono_literals;

constexpr char kConnection[] = "arn:aws:events:us-east-1:000000000000:connection/Api/1";
constexpr char kSecret[] = "s3cr3t-t0ken";

Reply JsonReply(int status, const std::string& body) {
  Reply r;
  r.status = status;
  r.body = body;
  return r;
}

// An invoker on its own io_context with one connection holding a secret header
// and a secret query parameter.
struct Harness {
  boost::asio::io_context io;
  HttpClient client{io, 256 * 1024};
  HttpTaskInvoker invoker{&client,
                          {HttpConnection{kConnection,
                                              {{"Authorization", std::string("Bearer ") + kSecret}},
                                              {{"api_key", kSecret}}}},
                          256 * 1024};

  TaskOutcome Run(const Value& parameters, int64_t timeout_ms = 0, const std::string& key = "key-1") {
    std::optional<TaskOutcome> outcome;
    invoker.Invoke(parameters, key, timeout_ms, [&outcome](TaskOutcome o) { outcome = std::move(o); });
    io.restart();
    for (auto start = std::chrono::steady_clock::now(); !outcome && std::chrono::steady_clock::now() - start < 20s;) {
      io.run_for(50ms);
      io.restart();
    }
    REQUIRE(outcome.has_value());
    return *outcome;
  }
};

// Parameters for a call to `url` with `method`, plus extra members as JSON text.
Value Params(const std::string& url, const std::string& method, const std::string& extra = "") {
  return Json(R"({"ApiEndpoint":")" + url + R"(","Method":")" + method + R"(","Authentication":{"ConnectionArn":")" +
              kConnection + "\"}" + (extra.empty() ? "" : "," + extra) + "}");
}

std::string Text(const TaskOutcome& o) {
  return o.ok ? stepflow::asl::ToJson(o.result) : o.failure.error + ": " + o.failure.cause;
}

}  // namespace

TEST_CASE("EncodeUrlForm encodes arrays in each ArrayFormat, nests objects and percent-encodes") {
  Value v = Json(R"({"array":["a","b","c"],"obj":{"k":"v w"},"n":1.5,"t":true,"z":null,"s":"a&b=c"})");
  CHECK(EncodeUrlForm(v, UrlArrayFormat::kIndices) ==
        "array%5B0%5D=a&array%5B1%5D=b&array%5B2%5D=c&obj%5Bk%5D=v%20w&n=1.5&t=true&z=&s=a%26b%3Dc");
  CHECK(EncodeUrlForm(Json(R"({"array":["a","b"]})"), UrlArrayFormat::kRepeat) == "array=a&array=b");
  CHECK(EncodeUrlForm(Json(R"({"array":["a","b,c"]})"), UrlArrayFormat::kCommas) == "array=a,b%2Cc");
  CHECK(EncodeUrlForm(Json(R"({"array":["a","b"]})"), UrlArrayFormat::kBrackets) == "array%5B%5D=a&array%5B%5D=b");
  // An array of objects can only be told apart by index, whatever the format.
  CHECK(EncodeUrlForm(Json(R"({"a":[{"x":1}]})"), UrlArrayFormat::kRepeat) == "a%5B0%5D%5Bx%5D=1");
  CHECK(EncodeUrlForm(Json(R"({"a":[]})"), UrlArrayFormat::kIndices).empty());
}

TEST_CASE("Each Method reaches the endpoint and the result has AWS's shape") {
  Watchdog watchdog(60s, "methods");
  HttpTestServer server([](const RecordedRequest& r) {
    return JsonReply(200, R"({"method":")" + r.method + R"(","n":[1,2]})");
  });
  Harness h;
  for (std::string method : {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"}) {
    CAPTURE(method);
    TaskOutcome o = h.Run(Params(server.url("/items/7"), method));
    REQUIRE_MESSAGE(o.ok, Text(o));
    CHECK(o.result.Find("StatusCode")->AsInt() == 200);
    CHECK(o.result.Find("StatusText")->AsString() == "OK");
    const Value* content_type = o.result.Find("Headers")->Find("content-type");
    REQUIRE(content_type != nullptr);
    REQUIRE(content_type->is_array());
    CHECK(content_type->AsArray()[0].AsString() == "application/json");
    const Value* body = o.result.Find("ResponseBody");
    if (method == "HEAD") {
      CHECK(body->is_string());
      CHECK(body->AsString().empty());
    } else {
      REQUIRE(body->is_object());
      CHECK(body->Find("method")->AsString() == method);
      CHECK(stepflow::asl::ToJson(*body->Find("n")) == "[1,2]");
    }
    RecordedRequest seen = server.requests().back();
    CHECK(seen.method == method);
    CHECK(seen.path == "/items/7");
    CHECK(seen.Header("X-Stepflow-Idempotency-Key") == "key-1");
  }
  CHECK(server.requests().size() == 7);
  CHECK(server.connections() == 1);  // one keep-alive connection carried all seven
}

TEST_CASE("A text response is handed on as a string") {
  Watchdog watchdog(30s, "text");
  HttpTestServer server([](const RecordedRequest&) {
    Reply r;
    r.body = R"({"looks":"like json"})";
    r.content_type = "text/plain";
    return r;
  });
  Harness h;
  TaskOutcome o = h.Run(Params(server.url(), "GET"));
  REQUIRE_MESSAGE(o.ok, Text(o));
  CHECK(o.result.Find("ResponseBody")->AsString() == R"({"looks":"like json"})");
}

TEST_CASE("Headers, QueryParameters and a JSON RequestBody are sent; the connection's credentials win") {
  Watchdog watchdog(30s, "request");
  HttpTestServer server([](const RecordedRequest&) { return JsonReply(200, "{}"); });
  Harness h;
  TaskOutcome o = h.Run(Params(server.url("/v1/customers?fixed=1"), "POST",
                               R"("Headers":{"X-Custom":"yes","Content-Type":"application/json","X-Count":3},)"
                               R"("QueryParameters":{"email":"jane doe@example.com","tags":["a","b"],"api_key":"mine"},)"
                               R"("RequestBody":{"name":"Jane","items":[1,2]})"));
  REQUIRE_MESSAGE(o.ok, Text(o));
  RecordedRequest seen = server.requests().at(0);
  CHECK(seen.method == "POST");
  CHECK(seen.Header("X-Custom") == "yes");
  CHECK(seen.Header("X-Count") == "3");
  CHECK(seen.Header("Authorization") == std::string("Bearer ") + kSecret);
  CHECK(seen.target == std::string("/v1/customers?fixed=1&email=jane%20doe%40example.com&tags%5B0%5D=a&tags%5B1%5D=b"
                                   "&api_key=") +
                           kSecret);
  CHECK(Json(seen.body) == Json(R"({"name":"Jane","items":[1,2]})"));
  CHECK(seen.Header("Content-Type") == "application/json");
  // The result carries the response only: nothing of the request's credentials.
  CHECK(stepflow::asl::ToJson(o.result).find(kSecret) == std::string::npos);
}

TEST_CASE("A URL_ENCODED RequestBody is form-encoded in the chosen ArrayFormat") {
  Watchdog watchdog(30s, "url encoded");
  HttpTestServer server([](const RecordedRequest&) { return JsonReply(200, "{}"); });
  Harness h;
  const std::pair<const char*, const char*> cases[] = {
      {"INDICES", "array%5B0%5D=a&array%5B1%5D=b&user%5Bname%5D=Jo"},
      {"REPEAT", "array=a&array=b&user%5Bname%5D=Jo"},
      {"COMMAS", "array=a,b&user%5Bname%5D=Jo"},
      {"BRACKETS", "array%5B%5D=a&array%5B%5D=b&user%5Bname%5D=Jo"},
  };
  for (const auto& [format, expected] : cases) {
    CAPTURE(format);
    TaskOutcome o =
        h.Run(Params(server.url("/form"), "POST",
                     R"("RequestBody":{"array":["a","b"],"user":{"name":"Jo"}},)"
                     R"("Transform":{"RequestBodyEncoding":"URL_ENCODED","RequestEncodingOptions":{"ArrayFormat":")" +
                         std::string(format) + R"("}})"));
    REQUIRE_MESSAGE(o.ok, Text(o));
    RecordedRequest seen = server.requests().back();
    CHECK(seen.body == expected);
    CHECK(seen.Header("Content-Type") == "application/x-www-form-urlencoded");
  }
}

TEST_CASE("A non-2xx answer fails with States.Http.StatusCode.NNN and the response as cause, without secrets") {
  Watchdog watchdog(30s, "404");
  HttpTestServer server([](const RecordedRequest&) { return JsonReply(404, R"({"message":"no such item"})"); });
  Harness h;
  TaskOutcome o = h.Run(Params(server.url("/items/9"), "GET"));
  REQUIRE(!o.ok);
  CHECK(o.failure.error == "States.Http.StatusCode.404");
  Value cause = Json(o.failure.cause);
  CHECK(cause.Find("StatusCode")->AsInt() == 404);
  CHECK(cause.Find("StatusText")->AsString() == "Not Found");
  CHECK(cause.Find("ResponseBody")->Find("message")->AsString() == "no such item");
  CHECK(o.failure.cause.find(kSecret) == std::string::npos);
}

TEST_CASE("Bad parameters, an unknown connection and a forbidden header fail with States.Runtime before any request") {
  Watchdog watchdog(30s, "runtime");
  HttpTestServer server([](const RecordedRequest&) { return JsonReply(200, "{}"); });
  Harness h;
  TaskOutcome o = h.Run(Params(server.url(), "GET", R"("Headers":{"Host":"evil"})"));
  CHECK(o.failure.error == "States.Runtime");
  CHECK_MESSAGE(o.failure.cause.find("'Host'") != std::string::npos, o.failure.cause);
  o = h.Run(Params(server.url(), "GET", R"("Headers":{"X-Amz-Date":"x"})"));
  CHECK(o.failure.error == "States.Runtime");
  o = h.Run(Params(server.url(), "GET", R"("Headers":{"X-Bad":"a\r\nInjected: 1"})"));
  CHECK(o.failure.error == "States.Runtime");
  o = h.Run(Params(server.url(), "FETCH"));
  CHECK(o.failure.error == "States.Runtime");
  CHECK_MESSAGE(o.failure.cause.find("'FETCH'") != std::string::npos, o.failure.cause);
  o = h.Run(Json(R"({"ApiEndpoint":")" + server.url() +
                 R"(","Method":"GET","Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:0:connection/Nope/2"}})"));
  CHECK(o.failure.error == "States.Runtime");
  CHECK_MESSAGE(o.failure.cause.find("connection/Nope/2") != std::string::npos, o.failure.cause);
  o = h.Run(Json(R"({"ApiEndpoint":")" + server.url() + R"(","Method":"GET"})"));
  CHECK(o.failure.error == "States.Runtime");
  o = h.Run(Params("ftp://127.0.0.1/x", "GET"));
  CHECK(o.failure.error == "States.Runtime");
  o = h.Run(Params(server.url(), "POST", R"("RequestBody":[1],"Transform":{"RequestBodyEncoding":"URL_ENCODED"})"));
  CHECK(o.failure.error == "States.Runtime");
  o = h.Run(Params(server.url(), "POST", R"("Transform":{"RequestEncodingOptions":{"ArrayFormat":"PIPES"}})"));
  CHECK(o.failure.error == "States.Runtime");
  CHECK(server.requests().empty());
}

TEST_CASE("Transport failures: refused and truncated fail with States.Http.Socket") {
  Watchdog watchdog(30s, "transport");
  Harness h;
  TaskOutcome refused =
      h.Run(Params("http://127.0.0.1:" + std::to_string(stepflow::testing::UnusedPort()) + "/x", "GET"));
  CHECK(refused.failure.error == "States.Http.Socket");
  CHECK_MESSAGE(refused.failure.cause.find("refused") != std::string::npos, refused.failure.cause);

  HttpTestServer server([](const RecordedRequest&) {
    Reply r;
    r.body = std::string(50000, 'x');
    r.truncate_after = 1000;
    return r;
  });
  TaskOutcome truncated = h.Run(Params(server.url(), "GET"));
  CHECK(truncated.failure.error == "States.Http.Socket");
  CHECK_MESSAGE(truncated.failure.cause.find("before the whole response") != std::string::npos,
                truncated.failure.cause);
}

TEST_CASE("A response over the payload limit fails with States.DataLimitExceeded") {
  Watchdog watchdog(30s, "10 MB");
  HttpTestServer server([](const RecordedRequest&) {
    Reply r;
    r.body = std::string(10 << 20, 'x');
    r.content_type = "text/plain";
    return r;
  });
  Harness h;
  TaskOutcome o = h.Run(Params(server.url(), "GET"));
  CHECK(o.failure.error == "States.DataLimitExceeded");
}

TEST_CASE("A deadline under 60 s fails with States.Timeout, closes the connection, and nothing arrives late") {
  Watchdog watchdog(30s, "timeout");
  HttpTestServer server([](const RecordedRequest& r) {
    Reply reply = JsonReply(200, "{}");
    if (r.path == "/slow") reply.delay = 2s;
    return reply;
  });
  Harness h;
  REQUIRE(h.Run(Params(server.url("/fast"), "GET")).ok);  // leaves one pooled connection
  int reports = 0;
  std::optional<TaskOutcome> outcome;
  auto start = std::chrono::steady_clock::now();
  h.invoker.Invoke(Params(server.url("/slow"), "GET"), "k", 300, [&](TaskOutcome o) {
    ++reports;
    outcome = std::move(o);
  });
  h.io.restart();
  while (!outcome && std::chrono::steady_clock::now() - start < 10s) h.io.run_for(20ms);
  REQUIRE(outcome.has_value());
  CHECK(std::chrono::steady_clock::now() - start < 1500ms);
  CHECK(outcome->failure.error == "States.Timeout");
  // Outlive the server's answer: it must not reach anyone.
  h.io.restart();
  h.io.run_for(2500ms);
  CHECK(reports == 1);
  // The timed-out connection was closed, so the next call opens a new one.
  REQUIRE(h.Run(Params(server.url("/fast"), "GET")).ok);
  CHECK(server.connections() == 2);
}

TEST_CASE("https with a self-signed certificate works once its CA file is trusted, and fails clearly before") {
  Watchdog watchdog(60s, "https");
  TestCertificate cert;
  REQUIRE(stepflow::testing::MakeSelfSignedCertificate("IP:127.0.0.1,DNS:localhost", &cert));
  {
    HttpTestServer server(cert.cert_path, cert.key_path,
                          [](const RecordedRequest& r) { return JsonReply(200, R"({"path":")" + r.path + "\"}"); });
    Harness untrusting;
    TaskOutcome o = untrusting.Run(Params(server.url("/secure"), "GET"));
    CHECK(o.failure.error == "States.Http.Socket");
    CHECK_MESSAGE(o.failure.cause.find("not trusted: self-signed certificate") != std::string::npos,
                  o.failure.cause);

    Harness h;
    REQUIRE(h.client.TrustCaFile(cert.cert_path).ok());
    for (int i = 0; i < 5; ++i) {
      TaskOutcome ok = h.Run(Params(server.url("/secure"), "GET"));
      REQUIRE_MESSAGE(ok.ok, Text(ok));
      CHECK(ok.result.Find("ResponseBody")->Find("path")->AsString() == "/secure");
    }
    // By name too: SNI and a DNS subjectAltName.
    TaskOutcome by_name = h.Run(Params("https://localhost:" + std::to_string(server.port()) + "/n", "GET"));
    CHECK_MESSAGE(by_name.ok, Text(by_name));
    // One failed handshake, then one connection for the five, one for the name.
    CHECK(server.connections() == 3);
  }
  RemoveTestCertificate(cert);
}

TEST_CASE("https refuses a trusted certificate issued for another name") {
  Watchdog watchdog(30s, "https name");
  TestCertificate cert;
  REQUIRE(stepflow::testing::MakeSelfSignedCertificate("DNS:other.example", &cert));
  {
    HttpTestServer server(cert.cert_path, cert.key_path, [](const RecordedRequest&) { return JsonReply(200, "{}"); });
    Harness h;
    REQUIRE(h.client.TrustCaFile(cert.cert_path).ok());
    TaskOutcome o = h.Run(Params(server.url("/"), "GET"));
    CHECK(o.failure.error == "States.Http.Socket");
    CHECK_MESSAGE(o.failure.cause.find("mismatch") != std::string::npos, o.failure.cause);
  }
  RemoveTestCertificate(cert);
}

TEST_CASE("TrustCaFile says what is wrong with a CA file") {
  boost::asio::io_context io;
  HttpClient client(io, 1024);
  auto missing = client.TrustCaFile("/nonexistent/ca.pem");
  CHECK(!missing.ok());
  CHECK_MESSAGE(missing.ToString().find("/nonexistent/ca.pem") != std::string::npos, missing.ToString());
  TestCertificate cert;
  REQUIRE(stepflow::testing::MakeSelfSignedCertificate("IP:127.0.0.1", &cert));
  auto key_only = client.TrustCaFile(cert.key_path);
  CHECK(!key_only.ok());
  CHECK_MESSAGE(key_only.ToString().find("no PEM certificate") != std::string::npos, key_only.ToString());
  CHECK(client.TrustCaFile(cert.cert_path).ok());
  RemoveTestCertificate(cert);
}
