// `stepflow serve`: the AWS Step Functions API over HTTP. The only translation
// unit that includes httplib.h.

#include <httplib.h>
#include <pthread.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>

#include "api.h"
#include "cli_util.h"
#include "commands.h"
#include "serve_config.h"
#include "serve_metrics.h"
#include "sigv4.h"
#include "stepflow/asl/json.h"
#include "stepflow/engine/engine.h"
#include "stepflow/engine/functions_file.h"
#include "stepflow/storage/sqlite_store.h"
#include "stepflow/storage/store.h"

namespace stepflow::server {
namespace {

constexpr char kUsage[] =
    "usage: stepflow serve [--host 127.0.0.1] [--port 8083] [--db FILE | --db :memory:] [--config FILE]\n"
    "                      [--lambda-endpoint URL] [--functions FILE] [--allow-unauthenticated]\n"
    "Serves the AWS Step Functions API (AWS JSON 1.0) for the AWS CLI and SDKs:\n"
    "  aws stepfunctions --endpoint-url http://127.0.0.1:8083 list-state-machines\n"
    "--port 0 picks a free port (logged). --db defaults to $STEPFLOW_DB, else\n"
    "$XDG_STATE_HOME/stepflow/stepflow.db, else ~/.local/state/stepflow/stepflow.db.\n";

// The request body bound: AWS's 1 MiB definition or 256 KiB payload, with room
// for the JSON around it and its escaping.
constexpr size_t kMaxBodyBytes = 2 * 1024 * 1024;
constexpr char kJsonContentType[] = "application/x-amz-json-1.0";

// One structured log line: "event key=value ..." as text, or the same members
// in a JSON object (the sink's pattern supplies time and level).
class Log {
 public:
  explicit Log(bool json) : json_(json) {}
  template <typename... Fields>
  void Write(spdlog::level::level_enum level, const char* event, const Fields&... fields) const {
    if (!spdlog::should_log(level)) return;
    std::string line;
    if (json_) {
      line = "\"msg\":";
      asl::AppendJsonString(event, &line);
    } else {
      line = event;
    }
    (Append(&line, fields.first, fields.second), ...);
    spdlog::log(level, "{}", line);
  }

 private:
  void Append(std::string* line, const char* key, const std::string& value) const {
    if (json_) {
      *line += ",\"";
      *line += key;
      *line += "\":";
      asl::AppendJsonString(value, line);
    } else {
      *line += ' ';
      *line += key;
      *line += '=';
      bool quote = value.empty() || value.find_first_of(" \"=") != std::string::npos;
      if (quote) {
        asl::AppendJsonString(value, line);
      } else {
        *line += value;
      }
    }
  }
  bool json_;
};

using Field = std::pair<const char*, std::string>;

std::string RequestId() {
  thread_local std::mt19937_64 random{std::random_device{}()};
  char buf[40];
  uint64_t a = random(), b = random();
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>(a >> 16) & 0xffff, static_cast<unsigned>(a) & 0xfff,
                ((static_cast<unsigned>(b >> 48) & 0x3fff) | 0x8000),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

void SetAwsResponse(httplib::Response& res, const ApiResponse& api) {
  res.status = api.status;
  res.set_header("x-amzn-RequestId", RequestId());
  res.set_content(api.body, kJsonContentType);
}

bool ParseArgs(int argc, char** argv, ServeConfig* config) {
  // The config file first, so that flags override it wherever they stand.
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::string(argv[i]) == "--config") {
      if (auto e = LoadServeConfig(argv[i + 1], config)) {
        std::fprintf(stderr, "stepflow serve: %s\n", e->c_str());
        return false;
      }
    }
  }
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "stepflow serve: %s needs a value\n", a.c_str());
        return nullptr;
      }
      return argv[++i];
    };
    const char* v = nullptr;
    if (a == "--allow-unauthenticated") {
      config->allow_unauthenticated = true;
      continue;
    }
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a != "--host" && a != "--port" && a != "--db" && a != "--config" && a != "--lambda-endpoint" &&
        a != "--functions") {
      std::fprintf(stderr, "stepflow serve: unknown argument %s\n%s", a.c_str(), kUsage);
      return false;
    }
    if ((v = value()) == nullptr) return false;
    if (a == "--host") {
      config->host = v;
    } else if (a == "--port") {
      char* end = nullptr;
      long port = std::strtol(v, &end, 10);
      if (*v == '\0' || *end != '\0' || port < 0 || port > 65535) {
        std::fprintf(stderr, "stepflow serve: --port must be 0-65535, not %s\n", v);
        return false;
      }
      config->port = static_cast<int>(port);
    } else if (a == "--db") {
      config->db = v;
    } else if (a == "--lambda-endpoint") {
      config->lambda_endpoint = v;
    } else if (a == "--functions") {
      auto functions = engine::ReadFunctionsFile(v);
      if (!functions.ok()) {
        std::fprintf(stderr, "stepflow serve: %s\n", functions.status().message().c_str());
        return false;
      }
      config->function_endpoints = std::move(*functions);
    }
  }
  return true;
}

void SetUpLogging(const ServeConfig& config) {
  auto logger = spdlog::stderr_logger_mt("stepflow");
  spdlog::set_default_logger(logger);
  if (config.log_format == "json") {
    spdlog::set_pattern("{\"time\":\"%Y-%m-%dT%H:%M:%S.%eZ\",\"level\":\"%l\",%v}", spdlog::pattern_time_type::utc);
  } else {
    spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
  }
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  spdlog::flush_on(spdlog::level::info);
}

}  // namespace

int RunServeCommand(int argc, char** argv) {
  ServeConfig config;
  if (!ParseArgs(argc, argv, &config)) return 2;
  SetUpLogging(config);
  Log log(config.log_format == "json");

  bool auth = !config.access_keys.empty();
  if (!auth && !IsLoopbackHost(config.host) && !config.allow_unauthenticated) {
    log.Write(spdlog::level::err, "refusing to serve without authentication on a non-loopback address",
              Field{"host", config.host},
              Field{"hint", "add access_keys to --config, or pass --allow-unauthenticated"});
    return 2;
  }

  // SIGINT/SIGTERM go to one thread (sigwait), never interrupt the others: block
  // them before any thread starts, so every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // sent by main to end the signal thread
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  std::string db = config.db.empty() ? DefaultDbPath() : config.db;
  auto opened_store = OpenStore(db, /*verify_on_open=*/true, config.synchronous == "FULL");
  if (!opened_store.ok()) {
    log.Write(spdlog::level::err, "cannot open the database", Field{"db", db},
              Field{"error", opened_store.status().ToString()});
    return 1;
  }
  std::unique_ptr<storage::Store> store = std::move(*opened_store);

  ServeMetrics metrics;
  engine::EngineOptions options;
  options.store = store.get();
  options.region = config.region;
  options.account_id = config.account_id;
  options.lambda_endpoint = config.lambda_endpoint;
  options.function_endpoints = config.function_endpoints;
  auto opened_engine = engine::Engine::Open(std::move(options));
  if (!opened_engine.ok()) {
    log.Write(spdlog::level::err, "cannot start the engine", Field{"error", opened_engine.status().ToString()});
    return 1;
  }
  std::unique_ptr<engine::Engine> engine = std::move(*opened_engine);
  engine->OnExecutionFinished([&metrics, &log](const std::string& arn, const engine::ExecutionResult& result) {
    std::string status = storage::ExecutionStatusName(result.status);
    metrics.ExecutionFinished(StateMachineNameOfExecution(arn), status);
    if (spdlog::should_log(spdlog::level::debug)) {
      log.Write(spdlog::level::debug, "execution finished", Field{"execution_arn", arn}, Field{"status", status});
    }
  });
  if (Status s = engine->RunInBackground(); !s.ok()) {
    log.Write(spdlog::level::err, "cannot start the engine", Field{"error", s.ToString()});
    return 1;
  }
  auto resumed = engine->ResumeAll();
  if (!resumed.ok()) {
    log.Write(spdlog::level::err, "cannot resume executions", Field{"error", resumed.status().ToString()});
    return 1;
  }

  Api api(engine.get(), ApiOptions{config.region, config.account_id}, &metrics);
  httplib::Server server;
  int threads = config.http_threads;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server.set_payload_max_length(kMaxBodyBytes);
  server.set_keep_alive_max_count(100000);
  server.set_tcp_nodelay(true);

  server.Post("/", [&](const httplib::Request& req, httplib::Response& res) {
    auto started = std::chrono::steady_clock::now();
    ApiResponse response;
    if (auth) {
      SignedRequest signed_request{req.method, req.target, {}, req.body};
      for (const auto& [name, value] : req.headers) signed_request.headers.emplace_back(name, value);
      int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      if (auto e = VerifySigV4(signed_request, config.access_keys, config.region, "states", now)) {
        response = ErrorResponse(e->status, e->type, e->message);
        metrics.Request("unauthenticated", e->type);
      }
    }
    if (response.error_type.empty()) {
      response = api.Handle({req.get_header_value("X-Amz-Target"), req.get_header_value("Content-Type"), req.body});
    }
    SetAwsResponse(res, response);
    auto level = response.status >= 500 ? spdlog::level::warn : spdlog::level::debug;
    if (!spdlog::should_log(level)) return;  // and build no fields for a line not written
    auto micros =
        std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started).count();
    log.Write(level, "request", Field{"target", req.get_header_value("X-Amz-Target")},
              Field{"status", std::to_string(response.status)}, Field{"error", response.error_type},
              Field{"micros", std::to_string(micros)}, Field{"remote", req.remote_addr});
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("{\"status\":\"ok\"}", "application/json");
  });
  const auto* sqlite = dynamic_cast<const storage::SqliteStore*>(store.get());
  server.Get("/metrics", [&](const httplib::Request&, httplib::Response& res) {
    std::optional<storage::SqliteStats> sqlite_stats;
    if (sqlite != nullptr) sqlite_stats = sqlite->Stats();
    res.set_content(metrics.Render(engine->metrics(), engine->loaded_executions(),
                                   sqlite_stats ? &*sqlite_stats : nullptr),
                    "text/plain; version=0.0.4");
  });
  // What httplib answers itself (unknown path, oversize or malformed request),
  // in AWS's error shape.
  server.set_error_handler([&](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;  // httplib calls this for every status >= 400: ours are already AWS-shaped
    ApiResponse response;
    if (res.status == 413) {
      response = ErrorResponse(413, "ValidationException",
                               "The request body is larger than " + std::to_string(kMaxBodyBytes) + " bytes.");
    } else if (res.status == 404) {
      response = ErrorResponse(404, "UnknownOperationException", "No such resource: " + req.method + " " + req.path);
    } else if (res.status == 405) {
      response = ErrorResponse(405, "UnknownOperationException", "Method not allowed: " + req.method);
    } else if (res.status >= 500) {
      response = ErrorResponse(res.status, "InternalFailure", "The server could not answer the request.");
    } else {
      response = ErrorResponse(res.status, "SerializationException", "Malformed HTTP request.");
    }
    SetAwsResponse(res, response);
    log.Write(spdlog::level::debug, "refused", Field{"status", std::to_string(res.status)},
              Field{"remote", req.remote_addr});
  });
  server.set_exception_handler([&](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    log.Write(spdlog::level::err, "request failed", Field{"error", what});
    SetAwsResponse(res, ErrorResponse(500, "InternalFailure", "The server could not answer the request."));
  });

  int port = config.port;
  if (port == 0) {
    port = server.bind_to_any_port(config.host);
    if (port < 0) port = 0;
  } else if (!server.bind_to_port(config.host, port)) {
    port = 0;
  }
  if (port == 0) {
    log.Write(spdlog::level::err, "cannot listen", Field{"host", config.host},
              Field{"port", std::to_string(config.port)});
    return 1;
  }

  std::atomic<bool> stopping{false};
  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig == SIGUSR1) return;
    stopping = true;
    log.Write(spdlog::level::info, "stopping: draining requests", Field{"signal", sig == SIGINT ? "SIGINT" : "SIGTERM"});
    server.stop();
  });

  log.Write(spdlog::level::info, "listening", Field{"address", config.host + ":" + std::to_string(port)},
            Field{"db", db}, Field{"auth", auth ? "sigv4" : "none"},
            Field{"resumed_executions", std::to_string(*resumed)});
  bool served = server.listen_after_bind();
  if (!stopping) pthread_kill(signal_thread.native_handle(), SIGUSR1);
  signal_thread.join();
  // Requests are answered (listen_after_bind joins the workers); the engine's
  // destructor finishes its commits before the store closes.
  engine.reset();
  store.reset();
  log.Write(spdlog::level::info, "stopped");
  spdlog::shutdown();
  return served || stopping ? 0 : 1;
}

}  // namespace stepflow::server
