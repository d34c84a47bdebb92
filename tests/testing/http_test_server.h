#pragma once

// An HTTP or HTTPS server on 127.0.0.1 for dispatch tests: any method on any
// path, answered by one C++ callable; every request is recorded and accepted
// TCP connections are counted. cpp-httplib on its own threads, started by the
// constructor and joined by the destructor.

#include <httplib.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "testing/loopback_function_server.h"

namespace stepflow::testing {

struct RecordedRequest {
  std::string method;
  std::string target;  // path and query as sent
  std::string path;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string Header(const std::string& name) const {
    for (const auto& [key, value] : headers) {
      if (strcasecmp(key.c_str(), name.c_str()) == 0) return value;
    }
    return "";
  }
};

class HttpTestServer {
 public:
  using Handler = std::function<Reply(const RecordedRequest&)>;

  // Plain HTTP.
  explicit HttpTestServer(Handler handler) : HttpTestServer(std::make_unique<httplib::Server>(), std::move(handler)) {}
  // HTTPS with the given PEM certificate and key.
  HttpTestServer(const std::string& cert_path, const std::string& key_path, Handler handler)
      : HttpTestServer(std::make_unique<httplib::SSLServer>(cert_path.c_str(), key_path.c_str()), std::move(handler),
                       true) {}

  ~HttpTestServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    server_->stop();
    thread_.join();
  }

  HttpTestServer(const HttpTestServer&) = delete;
  HttpTestServer& operator=(const HttpTestServer&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "") const {
    return std::string(tls_ ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) + path;
  }
  std::vector<RecordedRequest> requests() const {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  size_t connections() const { return connections_.load(); }

 private:
  HttpTestServer(std::unique_ptr<httplib::Server> server, Handler handler, bool tls = false)
      : server_(std::move(server)), handler_(std::move(handler)), tls_(tls) {
    server_->new_task_queue = [this] { return new ConnectionCountingQueue(8, &connections_); };
    server_->set_payload_max_length(64 << 20);
    server_->set_keep_alive_max_count(1000);  // httplib's 5 would hide reuse behind reconnects
    auto serve = [this](const httplib::Request& request, httplib::Response& response) { Serve(request, response); };
    server_->Get(".*", serve);  // httplib answers HEAD with the GET handler, minus the body
    server_->Post(".*", serve);
    server_->Put(".*", serve);
    server_->Delete(".*", serve);
    server_->Patch(".*", serve);
    server_->Options(".*", serve);
    port_ = server_->bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 5000 && !server_->is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  void Serve(const httplib::Request& request, httplib::Response& response) {
    RecordedRequest recorded;
    recorded.method = request.method;
    recorded.target = request.target;
    recorded.path = request.path;
    recorded.body = request.body;
    for (const auto& [name, value] : request.headers) recorded.headers.emplace_back(name, value);
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(recorded);
    }
    Reply reply = handler_(recorded);
    if (reply.delay.count() > 0) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, reply.delay, [this] { return stopping_; });
    }
    WriteReply(std::move(reply), response);
  }

  std::unique_ptr<httplib::Server> server_;
  Handler handler_;
  bool tls_ = false;
  int port_ = -1;
  std::thread thread_;
  std::atomic<size_t> connections_{0};
  mutable std::mutex mu_;  // guards requests_, stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::vector<RecordedRequest> requests_;
};

}  // namespace stepflow::testing
