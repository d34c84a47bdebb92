#include "dispatch/http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <map>
#include <strings.h>

namespace stepflow::engine {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

bool ParseHttpUrl(const std::string& url, HttpTarget* out) {
  const std::string scheme = "http://";
  if (url.compare(0, scheme.size(), scheme) != 0) return false;
  std::string rest = url.substr(scheme.size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out->base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out->base_path.empty() && out->base_path.back() == '/') out->base_path.pop_back();
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos) {
    out->host = authority;
    out->port = "80";
  } else {
    out->host = authority.substr(0, colon);
    out->port = authority.substr(colon + 1);
  }
  return !out->host.empty() && !out->port.empty();
}

const std::string* HttpResponse::Header(const std::string& name) const {
  for (const auto& [key, value] : headers) {
    if (strcasecmp(key.c_str(), name.c_str()) == 0) return &value;
  }
  return nullptr;
}

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(boost::asio::io_context& io, size_t max_body) : io(io), resolver(io), max_body(max_body) {}

  struct Exchange {
    HttpTarget target;
    http::request<http::string_body> request;
    std::unique_ptr<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    std::unique_ptr<http::response_parser<http::string_body>> parser;
    std::function<void(HttpResult)> done;
    bool reused = false;
  };

  boost::asio::io_context& io;
  tcp::resolver resolver;
  size_t max_body;
  // Idle keep-alive connections by "host:port".
  std::multimap<std::string, std::unique_ptr<beast::tcp_stream>> idle;

  static std::string Key(const HttpTarget& t) { return t.host + ":" + t.port; }

  void Start(std::shared_ptr<Exchange> x) {
    auto it = idle.find(Key(x->target));
    if (it != idle.end()) {
      x->stream = std::move(it->second);
      idle.erase(it);
      x->reused = true;
      Write(std::move(x));
      return;
    }
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
    x->stream->expires_never();
    http::async_write(*x->stream, x->request, [self, x](beast::error_code ec, std::size_t) {
      if (ec) return self->RetryOrFail(x, "cannot send the request: " + ec.message());
      x->parser = std::make_unique<http::response_parser<http::string_body>>();
      x->parser->body_limit(self->max_body);
      http::async_read(*x->stream, x->buffer, *x->parser, [self, x](beast::error_code ec, std::size_t) {
        if (ec == http::error::body_limit) {
          HttpResult result;
          result.error = "the response body is over " + std::to_string(self->max_body) + " bytes";
          result.body_too_large = true;
          return x->done(std::move(result));
        }
        if (ec) return self->RetryOrFail(x, "cannot read the response: " + ec.message());
        self->Complete(x);
      });
    });
  }

  // A pooled connection the server already closed fails at once; one fresh try.
  void RetryOrFail(std::shared_ptr<Exchange> x, const std::string& error) {
    if (x->reused) {
      x->buffer.clear();
      x->reused = false;
      x->stream.reset();
      auto stripped = std::make_shared<Exchange>();
      stripped->target = x->target;
      stripped->request = x->request;
      stripped->done = std::move(x->done);
      Start(std::move(stripped));
      return;
    }
    Fail(x, error);
  }

  void Fail(const std::shared_ptr<Exchange>& x, std::string error) {
    HttpResult result;
    result.error = std::move(error);
    x->done(std::move(result));
  }

  void Complete(const std::shared_ptr<Exchange>& x) {
    auto message = x->parser->release();
    HttpResult result;
    result.response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      result.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.response.body = std::move(message.body());
    if (message.keep_alive() && x->buffer.size() == 0) idle.emplace(Key(x->target), std::move(x->stream));
    x->done(std::move(result));
  }
};

HttpClient::HttpClient(boost::asio::io_context& io, size_t max_body_bytes)
    : impl_(std::make_shared<Impl>(io, max_body_bytes)) {}

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
  x->done = std::move(done);
  impl_->Start(std::move(x));
}

}  // namespace stepflow::engine
