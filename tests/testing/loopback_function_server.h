#pragma once

// A Lambda Invoke API server on 127.0.0.1 for integration tests: functions are
// C++ callables, every invocation is recorded, and accepted TCP connections are
// counted. Built on cpp-httplib (header-only here so tests link only the
// library); it runs on its own threads, started by the constructor and joined
// by the destructor.

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace stepflow::testing {

// One request as the server saw it.
struct Invocation {
  std::string function;         // NAME in /2015-03-31/functions/NAME/invocations
  std::string path;
  std::string body;
  std::string idempotency_key;  // X-Stepflow-Idempotency-Key, empty when absent
  int remote_port = 0;          // identifies the client's TCP connection
};

// What a function answers.
struct Reply {
  int status = 200;
  std::string body = "{}";
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  // Sleeps this long before answering (cut short when the server stops).
  std::chrono::milliseconds delay{0};
  // Announces body.size() bytes but closes the connection after this many.
  std::optional<size_t> truncate_after;
};

using Function = std::function<Reply(const Invocation&)>;

// 200 with `X-Amz-Function-Error: Unhandled`, as Lambda answers a function that threw.
inline Reply FunctionError(const std::string& type, const std::string& message) {
  Reply reply;
  reply.headers.emplace_back("X-Amz-Function-Error", "Unhandled");
  reply.body = R"({"errorType":")" + type + R"(","errorMessage":")" + message + R"("})";
  return reply;
}

// Returns a TCP port on 127.0.0.1 that nothing listens on (bound, then released).
inline int UnusedPort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  int port = -1;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);  // never listened on: a connect is refused
  return port;
}

// A cpp-httplib task queue that counts accepted TCP connections: httplib hands
// each one to the queue once.
class ConnectionCountingQueue : public httplib::TaskQueue {
 public:
  ConnectionCountingQueue(size_t threads, std::atomic<size_t>* count) : pool_(threads), count_(count) {}
  void enqueue(std::function<void()> fn) override {
    count_->fetch_add(1);
    pool_.enqueue(std::move(fn));
  }
  void shutdown() override { pool_.shutdown(); }

 private:
  httplib::ThreadPool pool_;
  std::atomic<size_t>* count_;
};

// Puts `reply` (all but its delay) into an httplib response.
inline void WriteReply(Reply reply, httplib::Response& response) {
  response.status = reply.status;
  for (const auto& [name, value] : reply.headers) response.set_header(name, value);
  if (reply.truncate_after) {
    auto body = std::make_shared<std::string>(std::move(reply.body));
    size_t cut = *reply.truncate_after;
    // A provider returning false makes httplib drop the connection mid-body.
    response.set_content_provider(body->size(), reply.content_type,
                                  [body, cut](size_t offset, size_t length, httplib::DataSink& sink) {
                                    if (offset >= cut) return false;
                                    sink.write(body->data() + offset, std::min(length, cut - offset));
                                    return true;
                                  });
  } else {
    response.set_content(reply.body, reply.content_type);
  }
}

class LoopbackFunctionServer {
 public:
  struct Options {
    size_t threads = 8;  // cpp-httplib's default pool size on a small machine
    size_t keep_alive_max_count = 100;
    time_t keep_alive_timeout_seconds = 5;
    int backlog = 1024;
  };

  LoopbackFunctionServer() : LoopbackFunctionServer(Options()) {}
  explicit LoopbackFunctionServer(Options options) {
    server_.new_task_queue = [this, threads = options.threads] { return new ConnectionCountingQueue(threads, &connections_); };
    server_.set_keep_alive_max_count(options.keep_alive_max_count);
    server_.set_keep_alive_timeout(options.keep_alive_timeout_seconds);
    server_.set_payload_max_length(64 << 20);
    server_.Post(R"(/2015-03-31/functions/([^/]+)/invocations)",
                 [this](const httplib::Request& request, httplib::Response& response) { Serve(request, response); });
    port_ = server_.bind_to_any_port("127.0.0.1");
    // httplib listens with a backlog of 5: a burst of connections would overflow
    // it and stall in SYN/ACK retransmits. Real servers queue more (werkzeug 128).
    server_.SetBacklog(options.backlog);
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    // stop() is a no-op until listen has begun, so wait for it (bounded).
    for (int i = 0; i < 5000 && !server_.is_running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~LoopbackFunctionServer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake_.notify_all();
    server_.stop();
    thread_.join();
  }

  LoopbackFunctionServer(const LoopbackFunctionServer&) = delete;
  LoopbackFunctionServer& operator=(const LoopbackFunctionServer&) = delete;

  // Defines (or replaces) the function `name`. Calls run on server threads.
  void Define(const std::string& name, Function fn) {
    std::lock_guard<std::mutex> lock(mu_);
    functions_[name] = std::move(fn);
  }

  int port() const { return port_; }
  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }

  std::vector<Invocation> invocations() const {
    std::lock_guard<std::mutex> lock(mu_);
    return invocations_;
  }
  std::vector<Invocation> invocations(const std::string& function) const {
    std::vector<Invocation> out;
    for (auto& i : invocations()) {
      if (i.function == function) out.push_back(i);
    }
    return out;
  }
  // TCP connections accepted so far.
  size_t connections() const { return connections_.load(); }
  // The most requests that were being served at one time.
  int max_in_flight() const { return max_in_flight_.load(); }

 private:
  void Serve(const httplib::Request& request, httplib::Response& response) {
    int now = in_flight_.fetch_add(1) + 1;
    for (int seen = max_in_flight_.load(); now > seen && !max_in_flight_.compare_exchange_weak(seen, now);) {
    }
    Invocation invocation;
    invocation.function = request.matches[1];
    invocation.path = request.path;
    invocation.body = request.body;
    invocation.idempotency_key = request.get_header_value("X-Stepflow-Idempotency-Key");
    invocation.remote_port = request.remote_port;
    Function fn;
    {
      std::lock_guard<std::mutex> lock(mu_);
      invocations_.push_back(invocation);
      auto it = functions_.find(invocation.function);
      if (it != functions_.end()) fn = it->second;
    }
    Reply reply;
    if (fn) {
      reply = fn(invocation);
    } else {
      reply.status = 404;
      reply.headers.emplace_back("X-Amzn-ErrorType", "ResourceNotFoundException:http://internal.amazon.com/");
      reply.body = R"({"Type":"User","message":"Function not found: )" + invocation.function + R"("})";
    }
    if (reply.delay.count() > 0) {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait_for(lock, reply.delay, [this] { return stopping_; });
    }
    WriteReply(std::move(reply), response);
    in_flight_.fetch_sub(1);
  }

  // Reaches the listening socket, which httplib keeps protected.
  class Server : public httplib::Server {
   public:
    void SetBacklog(int backlog) { ::listen(svr_sock_, backlog); }  // Linux re-sizes the queue
  };

  Server server_;
  int port_ = -1;
  std::thread thread_;
  std::atomic<size_t> connections_{0};
  std::atomic<int> in_flight_{0};
  std::atomic<int> max_in_flight_{0};
  mutable std::mutex mu_;  // guards functions_, invocations_, stopping_
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, Function> functions_;
  std::vector<Invocation> invocations_;
};

// Aborts the test binary if a test outlives its time budget, so a hang fails
// loudly instead of blocking CTest forever.
class Watchdog {
 public:
  explicit Watchdog(std::chrono::seconds budget, std::string what) {
    thread_ = std::thread([this, budget, what = std::move(what)] {
      std::unique_lock<std::mutex> lock(mu_);
      if (!cv_.wait_for(lock, budget, [this] { return done_; })) {
        std::fprintf(stderr, "watchdog: '%s' took over %lld s\n", what.c_str(),
                     static_cast<long long>(budget.count()));
        std::fflush(stderr);
        std::abort();
      }
    });
  }
  ~Watchdog() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }

 private:
  std::mutex mu_;  // guards done_
  std::condition_variable cv_;
  bool done_ = false;
  std::thread thread_;
};

}  // namespace stepflow::testing
