#include "dispatch/http_client.h"

#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <strings.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <charconv>
#include <chrono>
#include <cstring>
#include <deque>
#include <fstream>
#include <list>
#include <map>
#include <optional>
#include <vector>

namespace stepflow::engine {

namespace beast = boost::beast;
namespace http = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

bool ParseHttpUrl(const std::string& url, HttpTarget* out) {
  std::string rest;
  if (url.rfind("http://", 0) == 0) {
    out->tls = false;
    rest = url.substr(7);
  } else if (url.rfind("https://", 0) == 0) {
    out->tls = true;
    rest = url.substr(8);
  } else {
    return false;
  }
  size_t slash = rest.find_first_of("/?#");
  std::string authority = rest.substr(0, slash);
  out->base_path = slash == std::string::npos || rest[slash] != '/' ? "" : rest.substr(slash);
  while (!out->base_path.empty() && out->base_path.back() == '/') out->base_path.pop_back();
  // "[::1]:3001": the port follows the closing bracket, and the resolver wants no brackets.
  size_t bracket = authority.rfind(']');
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && bracket != std::string::npos && colon < bracket) colon = std::string::npos;
  out->host = authority.substr(0, colon);
  out->port = colon == std::string::npos ? (out->tls ? "443" : "80") : authority.substr(colon + 1);
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

namespace {

// Plain sockets, not beast::tcp_stream: the client keeps its own deadlines
// (see Watch), and tcp_stream's timer and type-erased executor around every
// read and write cost nearly a fifth of the client's work per request.
using SslStream = beast::ssl_stream<tcp::socket>;

// One TCP connection, plain or under TLS.
struct Connection {
  std::unique_ptr<tcp::socket> plain;
  std::unique_ptr<SslStream> tls;
  tcp::socket& socket() { return tls ? beast::get_lowest_layer(*tls) : *plain; }
};

bool IsIpAddress(const std::string& host) {
  in6_addr addr6;
  in_addr addr4;
  return inet_pton(AF_INET, host.c_str(), &addr4) == 1 || inet_pton(AF_INET6, host.c_str(), &addr6) == 1;
}

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(boost::asio::io_context& io, size_t max_body, size_t max_connections, std::chrono::milliseconds swept_beyond)
      : io(io),
        resolver(io),
        sweep_timer(io),
        max_body(max_body),
        max_connections(std::max<size_t>(1, max_connections)),
        swept_beyond(swept_beyond) {}

  // Made at the first https request: loading the system's CAs costs tens of
  // milliseconds, which a run without https should not pay.
  ssl::context& TlsContext() {
    if (!tls_context) {
      tls_context = std::make_unique<ssl::context>(ssl::context::tls_client);
      tls_context->set_verify_mode(ssl::verify_peer);
      boost::system::error_code ec;
      // Without system CAs only TrustCaFile's are trusted; a host with none is still usable.
      tls_context->set_default_verify_paths(ec);
      for (const std::string& pem : extra_cas) tls_context->add_certificate_authority(boost::asio::buffer(pem), ec);
    }
    return *tls_context;
  }

  struct Pool;
  struct Exchange {
    HttpTarget target;
    Pool* pool = nullptr;  // its target's, once started
    bool head = false;  // a HEAD request: its response has no body
    std::string wire;   // the request as sent
    std::unique_ptr<Connection> conn;
    beast::flat_buffer buffer;
    std::unique_ptr<http::response_parser<http::string_body>> parser;
    std::function<void(HttpResult)> done;
    bool reused = false;
    bool holds_slot = false;  // counted in its Pool's `busy`
    int64_t timeout_ms = 0;
    std::optional<std::chrono::steady_clock::time_point> deadline;  // set when it gets a slot
    std::chrono::steady_clock::time_point watched_until;            // what Watch keeps; the epoch: nothing
    std::optional<boost::asio::steady_timer> timer;                 // for a near watched_until
    std::optional<std::list<std::weak_ptr<Exchange>>::iterator> swept_at;  // its entry in `swept`
    bool expired = false;  // watched_until passed: what it waited for was cancelled
  };

  // The connections to one scheme://host:port. busy + idle.size() <= max_connections:
  // a new connection is opened only when none is idle.
  struct Pool {
    std::vector<std::unique_ptr<Connection>> idle;  // keep-alive, most recent last
    size_t busy = 0;                                // connecting or carrying an exchange
    std::deque<std::shared_ptr<Exchange>> waiting;  // for a connection, in order
  };

  boost::asio::io_context& io;
  tcp::resolver resolver;
  boost::asio::steady_timer sweep_timer;
  std::list<std::weak_ptr<Exchange>> swept;  // exchanges whose deadline the sweep keeps
  std::unique_ptr<ssl::context> tls_context;
  std::vector<std::string> extra_cas;  // PEM texts from TrustCaFile
  size_t max_body;
  size_t max_connections;
  std::chrono::milliseconds swept_beyond;
  bool sweeping = false;              // sweep_timer is armed
  std::map<std::string, Pool> pools;  // by Key(); never erased, so a Pool* stays valid
  Pool* last_pool = nullptr;
  HttpTarget last_target;  // last_pool's

  static std::string Key(const HttpTarget& t) {
    return std::string(t.tls ? "https://" : "http://") + t.host + ":" + t.port;
  }

  // Tasks mostly go to one endpoint: the pool found last answers without its key being built.
  Pool& PoolFor(const HttpTarget& t) {
    if (last_pool == nullptr || last_target.tls != t.tls || last_target.host != t.host || last_target.port != t.port) {
      last_pool = &pools[Key(t)];
      last_target = t;
    }
    return *last_pool;
  }

  void Start(std::shared_ptr<Exchange> x) {
    if (x->pool == nullptr) x->pool = &PoolFor(x->target);
    Pool& pool = *x->pool;
    if (!pool.idle.empty()) {
      x->conn = std::move(pool.idle.back());
      pool.idle.pop_back();
      std::optional<std::chrono::steady_clock::time_point> now = TakeSlot(pool, *x);
      x->reused = true;
      Write(std::move(x), now);
      return;
    }
    if (pool.busy >= max_connections) {
      pool.waiting.push_back(std::move(x));
      return;
    }
    TakeSlot(pool, *x);
    Connect(std::move(x));
  }

  // Returns the time it read for the deadline, if it has one.
  static std::optional<std::chrono::steady_clock::time_point> TakeSlot(Pool& pool, Exchange& x) {
    ++pool.busy;
    x.holds_slot = true;
    if (x.timeout_ms <= 0) return std::nullopt;
    const auto now = std::chrono::steady_clock::now();
    x.deadline = now + std::chrono::milliseconds(x.timeout_ms);
    return now;
  }

  // Connecting and the TLS handshake end by then when the exchange has no deadline.
  static constexpr std::chrono::seconds kSetupLimit{30};

  // Keeps `until` for the exchange: once it passes, `expired` is set and what
  // the connection waits for is cancelled, so its handler reports the timeout.
  // A near time gets a timer of the exchange's own; a far one, the sweep.
  void Watch(const std::shared_ptr<Exchange>& x, std::chrono::steady_clock::time_point until,
             std::chrono::steady_clock::time_point now) {
    if (x->watched_until == until) return;
    Unwatch(*x);
    x->watched_until = until;
    if (until - now > swept_beyond) return Sweep(x);
    if (!x->timer) x->timer.emplace(io);
    x->timer->expires_at(until);
    x->timer->async_wait([weak = std::weak_ptr<Exchange>(x)](beast::error_code ec) {
      std::shared_ptr<Exchange> x = weak.lock();
      if (ec || x == nullptr || !InFlight(*x)) return;
      // Fired as Unwatch or Watch moved it on: what they left stands.
      auto until = x->watched_until;
      if (until == std::chrono::steady_clock::time_point{} || until > std::chrono::steady_clock::now()) return;
      Expire(*x);
    });
  }

  static bool InFlight(const Exchange& x) { return x.done && x.conn != nullptr; }

  // Past its watched time: cancels what the exchange waits for; its handler then reports the timeout.
  static void Expire(Exchange& x) {
    x.expired = true;
    x.conn->socket().cancel();
  }

  // Keeps the deadline, or for connecting and the handshake kSetupLimit when there is none.
  void WatchSetup(const std::shared_ptr<Exchange>& x) {
    const auto now = std::chrono::steady_clock::now();
    Watch(x, x->deadline ? *x->deadline : now + kSetupLimit, now);
  }

  void Unwatch(Exchange& x) {
    x.watched_until = {};
    if (x.timer) x.timer->cancel();
    Unsweep(x);
  }

  // A setup step that ran out of time: the exchange's deadline, or kSetupLimit.
  void SetupExpired(const std::shared_ptr<Exchange>& x, const std::string& step) {
    if (x->deadline) return TimedOut(x);
    Fail(x, step + " took over " + std::to_string(kSetupLimit.count()) + " s");
  }

  void Connect(std::shared_ptr<Exchange> x) {
    x->reused = false;
    x->conn = std::make_unique<Connection>();
    if (x->target.tls) {
      x->conn->tls = std::make_unique<SslStream>(io, TlsContext());
    } else {
      x->conn->plain = std::make_unique<tcp::socket>(io);
    }
    auto self = shared_from_this();
    resolver.async_resolve(x->target.host, x->target.port,
                           [self, x](beast::error_code ec, tcp::resolver::results_type results) {
                             if (ec) return self->Fail(x, "cannot resolve " + x->target.host + ": " + ec.message());
                             if (x->deadline && std::chrono::steady_clock::now() >= *x->deadline) {
                               return self->TimedOut(x);
                             }
                             self->WatchSetup(x);
                             boost::asio::async_connect(
                                 x->conn->socket(), results, [self, x](beast::error_code ec, const tcp::endpoint&) {
                                   if (x->expired) return self->SetupExpired(x, "connecting to " + Key(x->target));
                                   if (ec)
                                     return self->Fail(x, "cannot connect to " + Key(x->target) + ": " + ec.message());
                                   if (x->conn->tls) return self->Handshake(x);
                                   self->Write(x);
                                 });
                           });
  }

  void Handshake(std::shared_ptr<Exchange> x) {
    SSL* native = x->conn->tls->native_handle();
    const std::string& host = x->target.host;
    // SNI is for names only (RFC 6066); the certificate must match the name or the IP address.
    bool ip = IsIpAddress(host);
    if (!ip) SSL_set_tlsext_host_name(native, host.c_str());
    X509_VERIFY_PARAM* param = SSL_get0_param(native);
    if (ip) {
      X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str());
    } else {
      X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
      X509_VERIFY_PARAM_set1_host(param, host.c_str(), host.size());
    }
    WatchSetup(x);
    auto self = shared_from_this();
    x->conn->tls->async_handshake(ssl::stream_base::client, [self, x](beast::error_code ec) {
      if (x->expired) return self->SetupExpired(x, "the TLS handshake with " + Key(x->target));
      if (ec) {
        long verify = SSL_get_verify_result(x->conn->tls->native_handle());
        if (verify != X509_V_OK) {
          return self->Fail(x, "the TLS certificate of " + Key(x->target) +
                                   " is not trusted: " + X509_verify_cert_error_string(verify));
        }
        return self->Fail(x, "the TLS handshake with " + Key(x->target) + " failed: " + ec.message());
      }
      self->Write(x);
    });
  }

  // `now`: a reading of the clock just taken, if the caller has one.
  void Write(std::shared_ptr<Exchange> x, std::optional<std::chrono::steady_clock::time_point> now = std::nullopt) {
    if (x->deadline) {
      Watch(x, *x->deadline, now ? *now : std::chrono::steady_clock::now());
    } else {
      Unwatch(*x);
    }
    Connection& conn = *x->conn;  // before `x` moves into the call
    if (conn.tls) return WriteOn(*conn.tls, std::move(x));
    WriteOn(*conn.plain, std::move(x));
  }

  template <class Stream>
  void WriteOn(Stream& stream, std::shared_ptr<Exchange> x) {
    auto self = shared_from_this();
    auto bytes = boost::asio::buffer(x->wire);
    boost::asio::async_write(stream, bytes, [self, x, &stream](beast::error_code ec, std::size_t) {
      if (x->expired) return self->TimedOut(x);
      if (ec) return self->RetryOrFail(x, "cannot send the request: " + ec.message());
      x->parser = std::make_unique<http::response_parser<http::string_body>>();
      x->parser->body_limit(self->max_body);
      // A HEAD response announces a length but carries no body.
      if (x->head) x->parser->skip(true);
      http::async_read(stream, x->buffer, *x->parser, [self, x](beast::error_code ec, std::size_t) {
        if (ec == http::error::body_limit) {
          HttpResult result;
          result.error = "the response body is over " + std::to_string(self->max_body) + " bytes";
          result.body_too_large = true;
          return self->Finish(x, std::move(result), false);
        }
        // A server that took the request and went quiet is not a stale connection: no re-send.
        if (x->expired) return self->TimedOut(x);
        if (ec) return self->RetryOrFail(x, ReadError(ec, *x->parser));
        self->Complete(x);
      });
    });
  }

  void Sweep(const std::shared_ptr<Exchange>& x) {
    if (!x->swept_at) x->swept_at = swept.insert(swept.end(), x);
    ArmSweep();
  }

  void ArmSweep() {
    if (sweeping) return;
    sweeping = true;
    sweep_timer.expires_after(std::chrono::seconds(1));
    sweep_timer.async_wait([self = shared_from_this()](beast::error_code ec) {
      self->sweeping = false;
      if (!ec) return self->SweepNow();
      if (!self->swept.empty()) self->ArmSweep();  // an exchange came after the cancel
    });
  }

  // Expires the swept exchanges whose watched time has passed.
  void SweepNow() {
    const auto now = std::chrono::steady_clock::now();
    for (auto it = swept.begin(); it != swept.end();) {
      std::shared_ptr<Exchange> x = it->lock();
      if (x == nullptr || !InFlight(*x)) {  // finished, or gone
        if (x != nullptr) x->swept_at.reset();
        it = swept.erase(it);
      } else if (x->watched_until <= now) {
        x->swept_at.reset();
        it = swept.erase(it);
        Expire(*x);
      } else {
        ++it;
      }
    }
    if (!swept.empty()) ArmSweep();
  }

  void Unsweep(Exchange& x) {
    if (!x.swept_at) return;
    swept.erase(*x.swept_at);
    x.swept_at.reset();
    // Nothing left to watch: an idle io_context has no timer keeping it running.
    if (swept.empty() && sweeping) sweep_timer.cancel();
  }

  void TimedOut(const std::shared_ptr<Exchange>& x) {
    HttpResult result;
    result.error = "no response from " + Key(x->target) + " within " + std::to_string(x->timeout_ms) + " ms";
    result.timed_out = true;
    Finish(x, std::move(result), false);
  }

  static std::string ReadError(const beast::error_code& ec, const http::response_parser<http::string_body>& parser) {
    if (ec == http::error::partial_message || (ec == http::error::end_of_stream && parser.got_some()) ||
        (ec == ssl::error::stream_truncated && parser.got_some())) {
      return "the connection closed before the whole response arrived (" + ec.message() + ")";
    }
    if (ec == http::error::end_of_stream || ec == ssl::error::stream_truncated) {
      return "the connection closed without a response";
    }
    return "cannot read the response: " + ec.message();
  }

  // A pooled connection the server already closed fails at once, before any byte
  // of a response: one fresh try on a new connection, keeping the slot. Once the
  // server has started answering, it has run the request, and running it again
  // is for Retry to decide, not the transport.
  void RetryOrFail(std::shared_ptr<Exchange> x, const std::string& error) {
    if (x->reused && !(x->parser && x->parser->got_some())) {
      Unwatch(*x);
      x->conn.reset();
      auto fresh = std::make_shared<Exchange>();
      fresh->target = x->target;
      fresh->pool = x->pool;
      fresh->head = x->head;
      fresh->wire = std::move(x->wire);
      fresh->done = std::move(x->done);
      fresh->holds_slot = x->holds_slot;
      fresh->timeout_ms = x->timeout_ms;
      fresh->deadline = x->deadline;
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
    result.response.reason = std::string(message.reason());
    if (result.response.reason.empty()) result.response.reason = std::string(http::obsolete_reason(message.result()));
    result.response.headers.reserve(std::distance(message.begin(), message.end()));
    for (const auto& field : message) {
      result.response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    result.response.body = std::move(message.body());
    Finish(x, std::move(result), message.keep_alive() && x->buffer.size() == 0);
  }

  // Gives the connection back (to the idle list when `keep`, else closed), lets
  // a waiting exchange have it, then reports.
  void Finish(const std::shared_ptr<Exchange>& x, HttpResult result, bool keep) {
    Unwatch(*x);
    if (x->holds_slot) {
      x->holds_slot = false;
      Pool& pool = *x->pool;
      --pool.busy;
      if (keep && x->conn) pool.idle.push_back(std::move(x->conn));
      x->conn.reset();  // closes the socket: a late response has nowhere to go
      while (!pool.waiting.empty() && (!pool.idle.empty() || pool.busy < max_connections)) {
        auto next = std::move(pool.waiting.front());
        pool.waiting.pop_front();
        Start(std::move(next));  // never completes synchronously
      }
    }
    auto done = std::move(x->done);
    x->done = nullptr;
    if (done) done(std::move(result));
  }
};

namespace {
size_t DefaultMaxConnections() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 4096;
  return std::max<size_t>(64, static_cast<size_t>(limit.rlim_cur) / 2);
}

bool SameName(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

// The HTTP/1.1 request as it goes on the wire. Written here, not by Beast's
// serializer, which cost a third of the client's work per request (5k of ~16k
// instructions, callgrind of http_tasks_bench (a)). Headers: Host, a default
// Content-Type, then the request's; of those of one name the last is sent. The
// length is the body's: a Content-Length or Transfer-Encoding given is dropped.
std::string RequestText(const HttpTarget& target, const HttpRequest& request) {
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  fields.reserve(request.headers.size() + 2);
  bool default_port = target.port == (target.tls ? "443" : "80");
  bool ipv6 = target.host.find(':') != std::string::npos;
  std::string host = ipv6 ? "[" + target.host + "]" : target.host;
  if (!default_port) host += ":" + target.port;
  fields.emplace_back("Host", host);
  fields.emplace_back("Content-Type", "application/json");
  for (const auto& [name, value] : request.headers) {
    if (SameName(name, "Content-Length") || SameName(name, "Transfer-Encoding")) continue;
    std::erase_if(fields, [&name](const auto& field) { return SameName(field.first, name); });
    fields.emplace_back(name, value);
  }
  // GET and HEAD without a body send no length; other methods always do, as
  // some servers wait for a body or refuse an empty PATCH or DELETE without one.
  bool length = !request.body.empty() || (request.method != "GET" && request.method != "HEAD");
  char digits[24];
  std::string_view size(digits, std::to_chars(digits, digits + sizeof digits, request.body.size()).ptr - digits);

  constexpr std::string_view kVersion = " HTTP/1.1\r\n";
  constexpr std::string_view kLength = "Content-Length: ";
  size_t total = request.method.size() + 1 + target.base_path.size() + request.target.size() + kVersion.size() +
                 kLength.size() + size.size() + 2 + 2 + request.body.size();
  for (const auto& [name, value] : fields) total += name.size() + 2 + value.size() + 2;
  // Views, not C strings: each append of a literal would call strlen.
  constexpr std::string_view kSpace = " ", kColon = ": ", kEnd = "\r\n";
  std::string text;
  text.reserve(total);
  text.append(request.method).append(kSpace).append(target.base_path).append(request.target).append(kVersion);
  for (const auto& [name, value] : fields) text.append(name).append(kColon).append(value).append(kEnd);
  if (length) text.append(kLength).append(size).append(kEnd);
  text.append(kEnd).append(request.body);
  return text;
}

}  // namespace

HttpClient::HttpClient(boost::asio::io_context& io, size_t max_body_bytes, size_t max_connections_per_host,
                       std::chrono::milliseconds swept_beyond)
    : impl_(std::make_shared<Impl>(io, max_body_bytes,
                                   max_connections_per_host != 0 ? max_connections_per_host : DefaultMaxConnections(),
                                   swept_beyond)) {}

HttpClient::~HttpClient() = default;

Status HttpClient::TrustCaFile(const std::string& pem_path) {
  std::ifstream file(pem_path);
  if (!file) return Status::InvalidArgument("cannot read the CA file '" + pem_path + "'");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  if (text.find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
    return Status::InvalidArgument("the CA file '" + pem_path + "' holds no PEM certificate");
  }
  // Checked now, on a context of its own, so a bad file fails at startup.
  ssl::context probe(ssl::context::tls_client);
  boost::system::error_code ec;
  probe.add_certificate_authority(boost::asio::buffer(text), ec);
  if (ec) return Status::InvalidArgument("cannot load the CA file '" + pem_path + "': " + ec.message());
  if (impl_->tls_context) impl_->tls_context->add_certificate_authority(boost::asio::buffer(text), ec);
  impl_->extra_cas.push_back(std::move(text));
  return Status::OK();
}

void HttpClient::Send(const HttpTarget& target, HttpRequest request, std::function<void(HttpResult)> done) {
  // Two memchr scans, each many bytes at a time (find_first_of would call
  // memchr on the two-character set for every byte).
  auto bad = [](const std::string& text) {
    return std::memchr(text.data(), '\r', text.size()) != nullptr ||
           std::memchr(text.data(), '\n', text.size()) != nullptr;
  };
  bool valid = !request.method.empty() && !bad(request.method) && !bad(request.target);
  for (const auto& [name, value] : request.headers) valid = valid && !name.empty() && !bad(name) && !bad(value);
  auto fail_later = [this](std::string error, std::function<void(HttpResult)> done) {
    boost::asio::post(impl_->io, [error = std::move(error), done = std::move(done)] {
      HttpResult result;
      result.error = error;
      done(std::move(result));
    });
  };
  if (!valid) {
    // A line break would end the request line or a header and smuggle in another.
    return fail_later("the request's method, target or a header holds a line break or is empty", std::move(done));
  }
  auto x = std::make_shared<Impl::Exchange>();
  x->target = target;
  x->head = request.method == "HEAD";
  x->wire = RequestText(target, request);
  x->timeout_ms = request.timeout_ms;
  x->done = std::move(done);
  impl_->Start(std::move(x));
}

}  // namespace stepflow::engine
