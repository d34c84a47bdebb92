#include "dispatch/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <algorithm>
#include <deque>
#include <map>
#include <vector>
#include <strings.h>
#include <sys/resource.h>

namespace stepflow::engine {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

bool ParseHttpUrl(const std::string& url, HttpTarget* out) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  out->base_path = slash == std::string::npos || rest[slash] != '/' ? "" : rest.substr(slash);
  while (!out->base_path.empty() && out->base_path.back() == '/') out->base_path.pop_back();
  // "[::1]:3001": the port follows the closing bracket, and the resolver wants no brackets.
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && bracket != std::string::npos && colon < bracket) colon = std::string::npos;
  out->host = authority.substr(0, colon);
  out->port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  if (out->host.size() >= 2 && out->host.front() == '[' && out->host.back() == ']') {
    out->host = out->host.substr(1, out->host.size() - 2);
  }
  if (out->host.empty() || out->port.empty() || out->port.size() > 5) return false;
  for (char c : out->port) {
    if (c < '0' || c > '9') return false;
  }
  for (char c : out->host + out->base_path) {
    // Anything that could end the request line or a header is no part of a URL.
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) return false;
  }
  return std::stoi(out->port) > 0 && std::stoi(out->port) <= 65535;
}

const std::string* HttpResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return &value;
  }
  return nullptr;
}

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(boost::asio::io_context& io, size_t max_body, size_t max_connections)
      : io(io), resolver(io), max_body(max_body), max_connections(std::max<size_t>(1, max_connections)) {}

  struct Exchange {
    HttpTarget target;
    http::request<http::string_body> request;
    std::unique_ptr<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    std::unique_ptr<http::response_parser<http::string_body>> parser;
    std::function<void(HttpResult)> done;
    bool reused = false;
    bool holds_slot = false;  // counted in its Pool's `busy`
    int64_t timeout_ms = 0;
  };

  // The connections to one host:port. busy + idle.size() <= max_connections:
  // a new connection is opened only when none is idle.
  struct Pool {
    std::vector<std::unique_ptr<beast::tcp_stream>> idle;  // keep-alive, most recent last
    size_t busy = 0;                                       // connecting or carrying an exchange
    std::deque<std::shared_ptr<Exchange>> waiting;         // for a connection, in order
  };

  boost::asio::io_context& io;
  tcp::resolver resolver;
  size_t max_body;
  size_t max_connections;
  std::map<std::string, Pool> pools;  // by "host:port"

  static std::string Key(const HttpTarget& t) { return t.host + ":" + t.port; }

  void Start(std::shared_ptr<Exchange> x) {
    Pool& pool = pools[Key(x->target)];
    if (!pool.idle.empty()) {
      x->stream = std::move(pool.idle.back());
      pool.idle.pop_back();
      ++pool.busy;
      x->holds_slot = true;
      x->reused = true;
      Write(std::move(x));
      return;
    }
    if (pool.busy >= max_connections) {
      pool.waiting.push_back(std::move(x));
      return;
    }
    ++pool.busy;
    x->holds_slot = true;
    Connect(std::move(x));
  }

  void Connect(std::shared_ptr<Exchange> x) {
    x->reused = false;
    x->stream = std::make_unique<beast::tcp_stream>(io);
    auto self = shared_from_this();
    resolver.async_resolve(x->target.host, x->target.port,
                           [self, x](beast::error_code ec, tcp::resolver::results_type results) {
                             if (ec) return self->Fail(x, "cannot resolve " + x->target.host + ": " + ec.message());
                             x->stream->expires_after(std::chrono::seconds(30));
                             x->stream->async_connect(results, [self, x](beast::error_code ec, const tcp::endpoint&) {
                               if (ec) {
                                 return self->Fail(x, "cannot connect to " + Key(x->target) + ": " + ec.message());
                               }
                               self->Write(x);
                             });
                           });
  }

  void Write(std::shared_ptr<Exchange> x) {
    auto self = shared_from_this();
    if (x->timeout_ms > 0) {
      x->stream->expires_after(std::chrono::milliseconds(x->timeout_ms));
    } else {
      x->stream->expires_never();
    }
    http::async_write(*x->stream, x->request, [self, x](beast::error_code ec, std::size_t) {
      if (ec == beast::error::timeout) return self->Fail(x, self->TimeoutError(*x));
      if (ec) return self->RetryOrFail(x, "cannot send the request: " + ec.message());
      x->parser = std::make_unique<http::response_parser<http::string_body>>();
      x->parser->body_limit(self->max_body);
      http::async_read(*x->stream, x->buffer, *x->parser, [self, x](beast::error_code ec, std::size_t) {
        if (ec == http::error::body_limit) {
          HttpResult result;
          result.error = "the response body is over " + std::to_string(self->max_body) + " bytes";
          result.body_too_large = true;
          return self->Finish(x, std::move(result), false);
        }
        // A server that took the request and went quiet is not a stale connection: no re-send.
        if (ec == beast::error::timeout) return self->Fail(x, self->TimeoutError(*x));
        if (ec) return self->RetryOrFail(x, ReadError(ec, *x->parser));
        self->Complete(x);
      });
    });
  }

  static std::string TimeoutError(const Exchange& x) {
    return "no response from " + Key(x.target) + " within " + std::to_string(x.timeout_ms) + " ms";
  }

  static std::string ReadError(const beast::error_code& ec, const http::response_parser<http::string_body>& parser) {
    if (ec == http::error::partial_message || (ec == http::error::end_of_stream && parser.got_some())) {
      return "the connection closed before the whole response arrived (" + ec.message() + ")";
    }
    if (ec == http::error::end_of_stream) return "the connection closed without a response";
    return "cannot read the response: " + ec.message();
  }

  // A pooled connection the server already closed fails at once, before any byte
  // of a response: one fresh try on a new connection, keeping the slot. Once the
  // server has started answering, it has run the request, and running it again
  // is for Retry to decide, not the transport.
  void RetryOrFail(std::shared_ptr<Exchange> x, const std::string& error) {
    if (x->reused && !(x->parser && x->parser->got_some())) {
      x->stream.reset();
      auto fresh = std::make_shared<Exchange>();
      fresh->target = x->target;
      fresh->request = x->request;
      fresh->done = std::move(x->done);
      fresh->holds_slot = x->holds_slot;
      fresh->timeout_ms = x->timeout_ms;
      x->holds_slot = false;
      Connect(std::move(fresh));
      return;
    }
    Fail(x, error);
  }

  void Fail(const std::shared_ptr<Exchange>& x, std::string error) {
    HttpResult result;
    result.error = std::move(error);
    Finish(x, std::move(result), false);
  }

  void Complete(const std::shared_ptr<Exchange>& x) {
    auto message = x->parser->release();
    HttpResult result;
    result.response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      result.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.response.body = std::move(message.body());
    Finish(x, std::move(result), message.keep_alive() && x->buffer.size() == 0);
  }

  // Gives the connection back (to the idle list when `keep`, else closed), lets
  // a waiting exchange have it, then reports.
  void Finish(const std::shared_ptr<Exchange>& x, HttpResult result, bool keep) {
    if (x->holds_slot) {
      x->holds_slot = false;
      std::string key = Key(x->target);
      Pool& pool = pools[key];
      --pool.busy;
      if (keep && x->stream) pool.idle.push_back(std::move(x->stream));
      x->stream.reset();
      while (!pool.waiting.empty() && (!pool.idle.empty() || pool.busy < max_connections)) {
        auto next = std::move(pool.waiting.front());
        pool.waiting.pop_front();
        Start(std::move(next));  // never completes synchronously
      }
    }
    x->done(std::move(result));
  }
};

namespace {
size_t DefaultMaxConnections() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
  return std::max<size_t>(64, static_cast<size_t>(limit.rlim_cur) / 2);
}
}  // namespace

HttpClient::HttpClient(boost::asio::io_context& io, size_t max_body_bytes, size_t max_connections_per_host)
    : impl_(std::make_shared<Impl>(io, max_body_bytes,
                                   max_connections_per_host != 0 ? max_connections_per_host
                                                                 : DefaultMaxConnections())) {}

HttpClient::~HttpClient() = default;

void HttpClient::Send(const HttpTarget& target, HttpRequest request, std::function<void(HttpResult)> done) {
  auto x = std::make_shared<Impl::Exchange>();
  x->target = target;
  x->request.method(http::string_to_verb(request.method));
  x->request.target(target.base_path + request.target);
  x->request.version(11);
  x->request.set(http::field::host, target.host + ":" + target.port);
  x->request.set(http::field::content_type, "application/json");
  for (const auto& [name, value] : request.headers) x->request.set(name, value);
  x->request.body() = std::move(request.body);
  x->request.keep_alive(true);
  x->request.prepare_payload();
  x->timeout_ms = request.timeout_ms;
  x->done = std::move(done);
  impl_->Start(std::move(x));
}

}  // namespace stepflow::engine
