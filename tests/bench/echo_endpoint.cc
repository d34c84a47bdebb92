// A fast Lambda Invoke API endpoint for benchmarks, on 127.0.0.1:
//   POST /2015-03-31/functions/echo/invocations   answers the event it was sent
//   POST /2015-03-31/functions/sleep/invocations  the same, after the event's "ms"
// Any other function: 404 ResourceNotFoundException, as Lambda answers.
// Beast on one io_context: keep-alive connections and sleeping invocations are
// asynchronous, so ten thousand of them need no thread each.
//
//   echo_endpoint [--port N] [--threads N]
// prints "listening on PORT" once ready, then serves until killed or until its
// standard input closes (so it never outlives the benchmark that started it).

#include <sys/resource.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "stepflow/asl/json.h"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace asl = stepflow::asl;
using tcp = asio::ip::tcp;

constexpr char kPrefix[] = "/2015-03-31/functions/";
constexpr char kSuffix[] = "/invocations";

class Session : public std::enable_shared_from_this<Session> {
 public:
  explicit Session(tcp::socket socket) : stream_(std::move(socket)), timer_(stream_.get_executor()) {}

  void Read() {
    request_ = {};
    auto self = shared_from_this();
    http::async_read(stream_, buffer_, request_, [self](beast::error_code ec, size_t) {
      if (ec) return;  // closed by the client, or garbage: drop the connection
      self->Route();
    });
  }

 private:
  void Route() {
    std::string target(request_.target());
    std::string function;
    size_t prefix = std::strlen(kPrefix), suffix = std::strlen(kSuffix);
    if (request_.method() == http::verb::post && target.rfind(kPrefix, 0) == 0 && target.size() > prefix + suffix &&
        target.compare(target.size() - suffix, suffix, kSuffix) == 0) {
      function = target.substr(prefix, target.size() - prefix - suffix);
    }
    if (function == "echo") return Answer(200, request_.body());
    if (function == "sleep") {
      asl::Value event;
      asl::JsonError error;
      int64_t ms = 0;
      if (asl::ParseJson(request_.body(), &event, &error)) {
        const asl::Value* given = event.Find("ms");
        if (given != nullptr && given->is_number()) ms = static_cast<int64_t>(given->AsDouble());
      }
      timer_.expires_after(std::chrono::milliseconds(ms));
      auto self = shared_from_this();
      timer_.async_wait([self](beast::error_code) { self->Answer(200, self->request_.body()); });
      return;
    }
    Answer(404, R"({"Type":"User","message":"Function not found: )" + function + "\"}", true);
  }

  void Answer(int status, std::string body, bool not_found = false) {
    response_ = {};
    response_.result(status);
    response_.version(11);
    response_.set(http::field::content_type, "application/json");
    if (not_found) response_.set("X-Amzn-ErrorType", "ResourceNotFoundException");
    response_.keep_alive(request_.keep_alive());
    response_.body() = std::move(body);
    response_.prepare_payload();
    auto self = shared_from_this();
    http::async_write(stream_, response_, [self](beast::error_code ec, size_t) {
      if (ec || !self->response_.keep_alive()) return;
      self->Read();
    });
  }

  beast::tcp_stream stream_;
  asio::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

void Accept(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](beast::error_code ec, tcp::socket socket) {
    if (!ec) {
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket))->Read();
    }
    Accept(acceptor);  // EMFILE and friends: keep serving the connections there are
  });
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, threads = 1;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      port = std::atoi(argv[++i]);
    } else if (arg == "--threads" && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: echo_endpoint [--port N] [--threads N]\n");
      return 2;
    }
  }
  // Ten thousand open connections need more descriptors than the usual soft limit.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  asio::io_context io(threads);
  tcp::acceptor acceptor(io);
  tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port));
  beast::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(4096, ec);
  if (ec) {
    std::fprintf(stderr, "echo_endpoint: cannot listen on 127.0.0.1:%d: %s\n", port, ec.message().c_str());
    return 1;
  }
  Accept(acceptor);
  // Stop when the parent goes away: its end of our stdin closes.
  asio::posix::stream_descriptor input(io, ::dup(STDIN_FILENO));
  char byte;
  std::function<void()> watch = [&] {
    input.async_read_some(asio::buffer(&byte, 1), [&](beast::error_code ec, size_t) {
      if (ec) return io.stop();
      watch();
    });
  };
  watch();
  std::printf("listening on %d\n", acceptor.local_endpoint().port());
  std::fflush(stdout);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : pool) t.join();
  return 0;
}
