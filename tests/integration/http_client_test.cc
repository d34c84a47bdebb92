// The dispatch HTTP client on its own, against loopback servers: the request
// as sent, the connection bound and the response deadline.

#include "../engine/dispatch/http_client.h"  // an engine internal; tests may include those

#include <doctest/doctest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "testing/http_test_server.h"
#include "testing/loopback_function_server.h"

namespace {

using stepflow::engine::HttpClient;
using stepflow::engine::HttpRequest;
using stepflow::engine::HttpResult;
using stepflow::engine::HttpTarget;
using stepflow::engine::ParseHttpUrl;
using stepflow::testing::HttpTestServer;
using stepflow::testing::Invocation;
using stepflow::testing::LoopbackFunctionServer;
using stepflow::testing::RecordedRequest;
using stepflow::testing::Reply;
using stepflow::testing::Watchdog;
using namespace std::chrono_literals;

HttpRequest Invoke(const std::string& function) {
  HttpRequest request;
  request.target = "/2015-03-31/functions/" + function + "/invocations";
  request.body = "{}";
  return request;
}

}  // namespace

TEST_CASE("ParseHttpUrl takes scheme, host, port and base path, and refuses what is no http(s) URL") {
  HttpTarget t;
  REQUIRE(ParseHttpUrl("http://127.0.0.1:3001/base/", &t));
  CHECK(t.host == "127.0.0.1");
  CHECK(t.port == "3001");
  CHECK(t.base_path == "/base");
  REQUIRE(ParseHttpUrl("http://[::1]:3001", &t));
  CHECK(t.host == "::1");
  CHECK(t.port == "3001");
  REQUIRE(ParseHttpUrl("http://localhost", &t));
  CHECK(t.port == "80");
  CHECK(!t.tls);
  REQUIRE(ParseHttpUrl("https://fn.example:8443/base", &t));
  CHECK(t.tls);
  CHECK(t.host == "fn.example");
  CHECK(t.port == "8443");
  REQUIRE(ParseHttpUrl("https://fn.example", &t));
  CHECK(t.port == "443");
  CHECK(!ParseHttpUrl("ftp://127.0.0.1:3001", &t));
  CHECK(!ParseHttpUrl("https//127.0.0.1", &t));
  CHECK(!ParseHttpUrl("http://127.0.0.1:abc", &t));
  CHECK(!ParseHttpUrl("http://127.0.0.1:99999", &t));
  CHECK(!ParseHttpUrl("http://:3001", &t));
  CHECK(!ParseHttpUrl("http://host/a b", &t));
}

TEST_CASE("A request carries Host, its headers once each by their last value, and its body's length") {
  Watchdog watchdog(30s, "request text");
  HttpTestServer server([](const RecordedRequest&) { return Reply{}; });
  boost::asio::io_context io;
  HttpClient client(io, 1 << 20);
  HttpTarget target;
  REQUIRE(ParseHttpUrl(server.url("/base"), &target));
  auto send = [&](const std::string& method, std::vector<std::pair<std::string, std::string>> headers,
                  std::string body) {
    HttpRequest request;
    request.method = method;
    request.target = "/items?id=7";
    request.headers = std::move(headers);
    request.body = std::move(body);
    std::optional<HttpResult> result;
    client.Send(target, request, [&result](HttpResult r) { result = std::move(r); });
    io.restart();
    io.run_for(10s);
    REQUIRE(result.has_value());
    CHECK_MESSAGE(result->error.empty(), result->error);
  };
  auto count = [](const RecordedRequest& r, const std::string& name) {
    return std::count_if(r.headers.begin(), r.headers.end(),
                         [&name](const auto& h) { return strcasecmp(h.first.c_str(), name.c_str()) == 0; });
  };
  send("PATCH", {{"Content-Type", "text/plain"}, {"X-Dup", "1"}, {"x-dup", "2"}, {"Content-Length", "999"}}, "abc");
  send("DELETE", {}, "");
  send("GET", {}, "");
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  const RecordedRequest& patch = requests[0];
  CHECK(patch.method == "PATCH");
  CHECK(patch.target == "/base/items?id=7");
  CHECK(patch.body == "abc");
  CHECK(patch.Header("Host") == "127.0.0.1:" + std::to_string(server.port()));
  CHECK(count(patch, "Content-Type") == 1);
  CHECK(patch.Header("Content-Type") == "text/plain");
  CHECK(count(patch, "X-Dup") == 1);
  CHECK(patch.Header("X-Dup") == "2");
  CHECK(count(patch, "Content-Length") == 1);
  CHECK(patch.Header("Content-Length") == "3");
  // An empty DELETE still says so; an empty GET sends no length.
  CHECK(requests[1].Header("Content-Length") == "0");
  CHECK(count(requests[2], "Content-Length") == 0);
  CHECK(requests[2].Header("Content-Type") == "application/json");
}

TEST_CASE("A line break anywhere in the method, target or a header fails the request unsent") {
  Watchdog watchdog(30s, "line breaks");
  HttpTestServer server([](const RecordedRequest&) { return Reply{}; });
  boost::asio::io_context io;
  HttpClient client(io, 1 << 20);
  HttpTarget target;
  REQUIRE(ParseHttpUrl(server.url(), &target));
  std::vector<HttpRequest> requests(5, Invoke("F"));
  requests[0].method = "GE\rT";
  requests[1].target = "/a\nb";
  requests[2].headers = {{"X-Key", std::string(200, 'k') + "\n"}};
  requests[3].headers = {{"X-\rName", "v"}};
  requests[4].headers = {{"X-Ok", "v"}, {"X-Key", "\r" + std::string(200, 'k')}};
  std::vector<HttpResult> results;
  for (HttpRequest& request : requests) {
    client.Send(target, request, [&results](HttpResult r) { results.push_back(std::move(r)); });
  }
  io.run_for(10s);
  REQUIRE(results.size() == requests.size());
  for (const HttpResult& r : results) CHECK(r.error.find("line break") != std::string::npos);
  CHECK(server.requests().empty());
}

TEST_CASE("Requests beyond the per-host connection bound wait for a connection and all complete") {
  Watchdog watchdog(30s, "connection bound");
  LoopbackFunctionServer::Options options;
  options.threads = 16;
  LoopbackFunctionServer server(options);
  server.Define("Slow", [](const Invocation&) {
    Reply r;
    r.delay = 100ms;
    r.body = R"({"ok":true})";
    return r;
  });
  boost::asio::io_context io;
  HttpClient client(io, 1 << 20, /*max_connections_per_host=*/3);
  HttpTarget target;
  REQUIRE(ParseHttpUrl(server.endpoint(), &target));
  std::vector<HttpResult> results;
  for (int i = 0; i < 12; ++i) {
    client.Send(target, Invoke("Slow"), [&results](HttpResult r) { results.push_back(std::move(r)); });
  }
  CHECK(results.empty());  // never completes inside Send
  io.run_for(20s);
  REQUIRE(results.size() == 12);
  for (const auto& r : results) {
    CHECK_MESSAGE(r.error.empty(), r.error);
    CHECK(r.response.status == 200);
  }
  CHECK(server.invocations().size() == 12);
  CHECK(server.connections() <= 3);
  CHECK(server.max_in_flight() <= 3);
}

TEST_CASE("A response slower than the request's deadline fails once, without a re-send") {
  Watchdog watchdog(30s, "deadline");
  LoopbackFunctionServer server;
  server.Define("Fast", [](const Invocation&) { return Reply(); });
  server.Define("Stuck", [](const Invocation&) {
    Reply r;
    r.delay = 3s;
    return r;
  });
  boost::asio::io_context io;
  HttpClient client(io, 1 << 20);
  HttpTarget target;
  REQUIRE(ParseHttpUrl(server.endpoint(), &target));
  // A first exchange leaves a pooled connection, so the slow one rides a reused one.
  std::vector<HttpResult> results;
  client.Send(target, Invoke("Fast"), [&](HttpResult r) {
    results.push_back(std::move(r));
    HttpRequest slow = Invoke("Stuck");
    slow.timeout_ms = 300;
    client.Send(target, std::move(slow), [&](HttpResult r2) { results.push_back(std::move(r2)); });
  });
  auto start = std::chrono::steady_clock::now();
  io.run_for(10s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(results.size() == 2);
  CHECK(results[0].error.empty());
  CHECK_MESSAGE(results[1].error.find("no response") != std::string::npos, results[1].error);
  CHECK(took < 2.5);
  CHECK(server.invocations("Stuck").size() == 1);
}

TEST_CASE("A deadline kept by the sweep fails a silent exchange within a second of it, and no other") {
  Watchdog watchdog(30s, "swept deadline");
  LoopbackFunctionServer server;
  server.Define("Fast", [](const Invocation&) { return Reply(); });
  server.Define("Slow", [](const Invocation&) {
    Reply r;
    r.delay = 1200ms;
    return r;
  });
  server.Define("Stuck", [](const Invocation&) {
    Reply r;
    r.delay = 4s;
    return r;
  });
  boost::asio::io_context io;
  HttpClient client(io, 1 << 20, 0, /*swept_beyond=*/0ms);  // every deadline is swept
  HttpTarget target;
  REQUIRE(ParseHttpUrl(server.endpoint(), &target));
  std::vector<HttpResult> results;
  auto send = [&](const std::string& function, int64_t timeout_ms) {
    HttpRequest request = Invoke(function);
    request.timeout_ms = timeout_ms;
    client.Send(target, std::move(request), [&](HttpResult r) { results.push_back(std::move(r)); });
  };
  send("Fast", 5000);
  io.run_for(5s);
  REQUIRE(results.size() == 1);
  CHECK(results[0].error.empty());
  // Outlives a sweep or two, and ends before its deadline.
  send("Slow", 3000);
  io.restart();
  io.run_for(10s);
  REQUIRE(results.size() == 2);
  CHECK_MESSAGE(results[1].error.empty(), results[1].error);

  // On a connection of its own: one reused would be tried once more on a fresh one.
  HttpClient fresh_client(io, 1 << 20, 0, 0ms);
  HttpRequest stuck = Invoke("Stuck");
  stuck.timeout_ms = 300;
  fresh_client.Send(target, std::move(stuck), [&](HttpResult r) { results.push_back(std::move(r)); });
  auto start = std::chrono::steady_clock::now();
  io.restart();
  io.run_for(10s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(results.size() == 3);
  CHECK(results[2].timed_out);
  CHECK_MESSAGE(results[2].error.find("no response") != std::string::npos, results[2].error);
  CHECK(took > 0.25);
  CHECK(took < 2.5);  // the deadline, at most a second of sweep, and no timer left running
  CHECK(server.invocations("Stuck").size() == 1);
}

TEST_CASE("A TLS handshake the server never answers fails at the request's deadline") {
  Watchdog watchdog(30s, "silent handshake");
  boost::asio::io_context io;
  // Listens and never accepts: the kernel completes TCP's handshake, nobody TLS's.
  boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  HttpClient client(io, 1 << 20);
  HttpTarget target;
  REQUIRE(ParseHttpUrl("https://127.0.0.1:" + std::to_string(silent.local_endpoint().port()), &target));
  std::vector<HttpResult> results;
  HttpRequest request = Invoke("Any");
  request.timeout_ms = 300;
  auto start = std::chrono::steady_clock::now();  // Send loads the system's CAs: tens of ms
  client.Send(target, std::move(request), [&](HttpResult r) { results.push_back(std::move(r)); });
  io.run_for(10s);
  double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(results.size() == 1);
  CHECK(results[0].timed_out);
  CHECK_MESSAGE(results[0].error.find("no response") != std::string::npos, results[0].error);
  CHECK(took > 0.25);
  CHECK(took < 2.5);  // and no timer left running
}
