// http_tasks_bench: what stepflow adds on top of the HTTP round trips of Task
// states, and what ten thousand blocked tasks cost. It starts echo_endpoint
// (beside this binary) on 127.0.0.1 and runs, each part in a forked child so
// that its peak RSS and threads are its own:
//
//  (a) direct: the engine's HttpClient alone POSTs the http-tasks event to
//      function:echo, 100 requests in flight, --requests per round;
//  (b) engine: executions of ../shared/bench/workloads/http-tasks (10 sequential
//      Lambda Tasks on function:echo), 100 executions in flight (each that ends
//      starts the next), --executions per round, outputs checked against
//      expected.json;
//  (c) blocked: --blocked executions started at once, each in one Task on
//      function:sleep answering after --sleep-ms; threads (/proc/self/task) and
//      peak RSS (VmHWM) while they wait.
//
// (a) and (b) report the median over --rounds of wall time and process CPU time
// per HTTP task. Run together, they alternate one round each, --rounds times,
// and the figure is the median ratio b/a of those pairs: the cost the engine
// adds per task.
//
//   http_tasks_bench [--workloads DIR] [--only a|b|c] [--rounds N] [--requests N]
//                    [--executions N] [--blocked N] [--sleep-ms N] [--store sqlite|memory]
// Exit status 0 when every part ran and every output was right.

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "dispatch/http_client.h"  // an engine internal; benchmarks may include those
#include "bench_util.h"
#include "stepflow/asl/json.h"
#include "stepflow/engine/engine.h"
#include "stepflow/storage/sqlite_store.h"

#ifndef STEPFLOW_BENCH_WORKLOADS_DIR
#define STEPFLOW_BENCH_WORKLOADS_DIR "../shared/bench/workloads"
#endif

extern char** environ;

namespace {

using stepflow::bench::CpuSeconds;
using stepflow::bench::Die;
using stepflow::bench::Median;
using stepflow::bench::ParseJsonOrDie;
using stepflow::bench::ReadFile;

using stepflow::asl::Value;
using Clock = std::chrono::steady_clock;

constexpr int kConcurrency = 100;
constexpr int kTasksPerExecution = 10;

struct Args {
  std::string workloads = STEPFLOW_BENCH_WORKLOADS_DIR;
  std::string only;
  int rounds = 15;
  int requests = 5000;
  int executions = 250;
  int blocked = 10000;
  int sleep_ms = 2000;
  std::string store = "sqlite";
};

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

long long PeakRssKb() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6);
  }
  return -1;
}

int ThreadCount() {
  int n = 0;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return -1;
  while (dirent* entry = readdir(dir)) n += entry->d_name[0] != '.';
  closedir(dir);
  return n;
}

// echo_endpoint as a child: its stdin is a pipe we hold, so it exits with us.
struct Endpoint {
  pid_t pid = -1;
  int stdin_fd = -1;
  std::string url;

  explicit Endpoint(const std::string& binary) {
    int in[2], out[2];
    if (pipe(in) != 0 || pipe(out) != 0) Die("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, in[1]);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    char* argv[] = {const_cast<char*>(binary.c_str()), nullptr};
    if (posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv, environ) != 0) Die("cannot start " + binary);
    posix_spawn_file_actions_destroy(&actions);
    close(in[0]);
    close(out[1]);
    stdin_fd = in[1];
    std::string line;
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') line += c;
    close(out[0]);
    if (line.rfind("listening on ", 0) != 0) Die("echo_endpoint did not start: '" + line + "'");
    url = "http://127.0.0.1:" + line.substr(13);
  }
  ~Endpoint() {
    close(stdin_fd);
    int status = 0;
    waitpid(pid, &status, 0);
  }
};

const char kEvent[] = R"({"step":1,"payload":{"msg":"hello","n":42,"list":[1,2,3]}})";

// (a) The HTTP round trips alone, as the engine's client makes them.
bool RunDirect(const Args& args, const std::string& url) {
  boost::asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};  // as the engine's
  stepflow::engine::HttpClient client(io, 256 * 1024);
  stepflow::engine::HttpTarget target;
  if (!stepflow::engine::ParseHttpUrl(url, &target)) Die("bad endpoint url " + url);
  std::vector<double> wall_us, cpu_us;
  bool ok = true;
  for (int round = 0; round <= args.rounds; ++round) {  // round 0 warms up
    int sent = 0, completed = 0;
    std::function<void()> send = [&] {
      ++sent;
      stepflow::engine::HttpRequest request;
      request.target = "/2015-03-31/functions/echo/invocations";
      request.headers.emplace_back(stepflow::engine::kIdempotencyKeyHeader, "bench-" + std::to_string(sent));
      request.body = kEvent;
      client.Send(target, std::move(request), [&](stepflow::engine::HttpResult r) {
        ++completed;
        if (!r.error.empty() || r.response.body != kEvent) {
          if (ok) std::fprintf(stderr, "direct: bad answer: %s\n", r.error.c_str());
          ok = false;
        }
        if (sent < args.requests) send();
      });
    };
    auto start = Clock::now();
    double cpu = CpuSeconds();
    for (int i = 0; i < kConcurrency && sent < args.requests; ++i) send();
    io.restart();
    io.run();
    if (completed != args.requests) Die("direct: only " + std::to_string(completed) + " answers");
    if (round > 0) {
      wall_us.push_back(Seconds(start) * 1e6 / args.requests);
      cpu_us.push_back((CpuSeconds() - cpu) * 1e6 / args.requests);
    }
  }
  std::printf("(a) direct HttpClient, %d in flight:   %8.1f us/task wall  %8.1f us/task CPU  (%d requests x %d rounds)\n",
              kConcurrency, Median(wall_us), Median(cpu_us), args.requests, args.rounds);
  std::printf("    result a_wall_us=%.2f a_cpu_us=%.2f\n", Median(wall_us), Median(cpu_us));
  return ok;
}

// An engine whose Lambda endpoint is `url`, on a SQLite store in a fresh
// temporary directory (removed afterwards) or on the in-memory store.
struct BenchEngine {
  std::string dir;
  std::unique_ptr<stepflow::storage::Store> store;
  std::unique_ptr<stepflow::engine::Engine> engine;

  BenchEngine(const Args& args, const std::string& url) {
    if (args.store == "sqlite") {
      char tmpl[] = "/tmp/stepflow-bench-XXXXXX";
      if (mkdtemp(tmpl) == nullptr) Die("mkdtemp failed");
      dir = tmpl;
      stepflow::storage::SqliteOptions options;
      options.path = dir + "/bench.db";
      auto opened = stepflow::storage::OpenSqliteStore(options);
      if (!opened.ok()) Die("cannot open SQLite store: " + opened.status().ToString());
      store = std::move(*opened);
    }
    stepflow::engine::EngineOptions options;
    options.lambda_endpoint = url;
    options.store = store.get();
    auto opened = stepflow::engine::Engine::Open(std::move(options));
    if (!opened.ok()) Die("Engine::Open: " + opened.status().ToString());
    engine = std::move(*opened);
  }
  ~BenchEngine() {
    engine.reset();
    store.reset();
    if (dir.empty()) return;
    for (const char* name : {"/bench.db", "/bench.db-wal", "/bench.db-shm"}) std::remove((dir + name).c_str());
    rmdir(dir.c_str());
  }
};

// Registers `definition` as `name`; returns its ARN.
std::string Register(stepflow::engine::Engine& engine, const std::string& name, const std::string& definition) {
  auto arn = engine.RegisterStateMachine(name, definition);
  if (!arn.ok()) Die("RegisterStateMachine " + name + ": " + arn.status().ToString());
  return *arn;
}

std::string Start(stepflow::engine::Engine& engine, const std::string& machine, const std::string& name,
                  const std::string& input) {
  auto started = engine.StartExecution(stepflow::engine::StartRequest{machine, name, input});
  if (!started.ok()) Die("StartExecution: " + started.status().ToString());
  return started->execution_arn;
}

// (b) Full engine executions of the http-tasks workload.
bool RunEngine(const Args& args, const std::string& url) {
  std::string dir = args.workloads + "/http-tasks";
  std::string definition = ReadFile(dir + "/definition.json");
  std::string input = ReadFile(dir + "/input.json");
  Value expected = ParseJsonOrDie(ReadFile(dir + "/expected.json"), "expected.json");
  const Value* expected_output = expected.Find("output");
  if (expected_output == nullptr) Die("expected.json has no output");
  BenchEngine bench(args, url);
  auto& engine = bench.engine;
  std::string machine = Register(*engine, "http-tasks", definition);
  // In the background, as `stepflow serve` runs it, with a window of
  // kConcurrency executions in flight: each that ends starts the next, from the
  // engine thread (a caller's own StartExecution would wait for its commit).
  if (stepflow::Status s = engine->RunInBackground(); !s.ok()) Die("RunInBackground: " + s.ToString());
  std::mutex mu;
  std::condition_variable round_done;
  bool ok = true;
  int serial = 0, to_start = 0, unfinished = 0;
  auto start_one = [&] {
    --to_start;
    auto started = engine->StartExecution(
        stepflow::engine::StartRequest{machine, "run-" + std::to_string(++serial), input});
    if (!started.ok()) Die("StartExecution: " + started.status().ToString());
  };
  engine->OnExecutionFinished([&](const std::string& arn, const stepflow::engine::ExecutionResult& result) {
    if (result.status != stepflow::storage::ExecutionStatus::kSucceeded || !result.output ||
        !(*result.output == *expected_output)) {
      std::lock_guard<std::mutex> lock(mu);
      if (ok) std::fprintf(stderr, "engine: %s ended wrong: %s %s\n", arn.c_str(),
                           result.error.value_or("").c_str(), result.cause.value_or("").c_str());
      ok = false;
    }
    if (to_start > 0) start_one();
    std::lock_guard<std::mutex> lock(mu);
    if (--unfinished == 0) round_done.notify_one();
  });
  std::vector<double> wall_us, cpu_us;
  for (int round = 0; round <= args.rounds; ++round) {
    int executions = round == 0 ? kConcurrency : args.executions;
    auto start = Clock::now();
    double cpu = CpuSeconds();
    {
      std::lock_guard<std::mutex> lock(mu);
      unfinished = to_start = executions;
    }
    engine->Post([&] {
      for (int i = 0; i < kConcurrency && to_start > 0; ++i) start_one();
    });
    {
      std::unique_lock<std::mutex> lock(mu);
      round_done.wait(lock, [&] { return unfinished == 0; });
    }
    if (round > 0) {
      double tasks = static_cast<double>(executions) * kTasksPerExecution;
      wall_us.push_back(Seconds(start) * 1e6 / tasks);
      cpu_us.push_back((CpuSeconds() - cpu) * 1e6 / tasks);
    }
  }
  std::printf("(b) engine, http-tasks, %d executions in flight (%s store): %8.1f us/task wall  %8.1f us/task CPU  "
              "(%d executions x %d rounds)\n",
              kConcurrency, args.store.c_str(), Median(wall_us), Median(cpu_us), args.executions, args.rounds);
  std::printf("    result b_wall_us=%.2f b_cpu_us=%.2f\n", Median(wall_us), Median(cpu_us));
  return ok;
}

// (c) Many executions blocked in one slow Task at once.
bool RunBlocked(const Args& args, const std::string& url) {
  const std::string definition =
      R"({"StartAt":"Sleep","States":{"Sleep":{"Type":"Task",)"
      R"("Resource":"arn:aws:lambda:us-east-1:000000000000:function:sleep","End":true}}})";
  std::string input_text = R"({"ms":)" + std::to_string(args.sleep_ms) + "}";
  Value input = ParseJsonOrDie(input_text, "input");
  BenchEngine bench(args, url);
  auto& engine = bench.engine;
  std::string machine = Register(*engine, "blocked", definition);
  auto start = Clock::now();
  std::vector<std::string> arns;
  for (int i = 0; i < args.blocked; ++i) arns.push_back(Start(*engine, machine, "b-" + std::to_string(i), input_text));
  double started = Seconds(start);
  int max_threads = ThreadCount();
  bool ok = true;
  int failed = 0;
  for (size_t i = 0; i < arns.size(); ++i) {
    auto result = engine->AwaitExecution(arns[i]);
    if (!result.ok()) Die("AwaitExecution: " + result.status().ToString());
    if (result->status != stepflow::storage::ExecutionStatus::kSucceeded || !result->output ||
        !(*result->output == input)) {
      if (failed++ == 0) {
        std::fprintf(stderr, "blocked: %s ended wrong: %s %s\n", arns[i].c_str(), result->error.value_or("").c_str(),
                     result->cause.value_or("").c_str());
      }
      ok = false;
    }
    if (i % 1000 == 0) max_threads = std::max(max_threads, ThreadCount());
  }
  double total = Seconds(start);
  long long rss_kb = PeakRssKb();
  std::printf("(c) %d executions blocked in a %d ms task (%s store): all started in %.2f s, all done in %.2f s, "
              "%d failed; threads %d, peak RSS %.1f MB\n",
              args.blocked, args.sleep_ms, args.store.c_str(), started, total, failed, max_threads, rss_kb / 1024.0);
  std::printf("    result c_threads=%d c_peak_rss_mb=%.1f c_total_s=%.2f\n", max_threads, rss_kb / 1024.0, total);
  return ok;
}

// Runs `part` in a forked child (this process has no threads yet), so its
// threads and peak RSS are its own. The child's figures come back through a
// pipe as "key=value" words (its `result` lines) and are added to `figures`.
bool InChild(const std::function<bool()>& part, std::map<std::string, double>* figures) {
  std::fflush(stdout);
  int fds[2];
  if (pipe(fds) != 0) Die("pipe failed");
  pid_t pid = fork();
  if (pid < 0) Die("fork failed");
  if (pid == 0) {
    close(fds[0]);
    dup2(fds[1], STDOUT_FILENO);  // the parent prints what the child says
    bool ok = part();
    std::fflush(stdout);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = read(fds[0], buffer, sizeof buffer)) > 0;) out.append(buffer, static_cast<size_t>(n));
  close(fds[0]);
  std::fputs(out.c_str(), stdout);
  std::istringstream words(out);
  for (std::string word; words >> word;) {
    size_t eq = word.find('=');
    if (eq != std::string::npos) (*figures)[word.substr(0, eq)] = std::atof(word.c_str() + eq + 1);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string BesideThisBinary(const std::string& name) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) Die("cannot find this binary");
  std::string path(self, static_cast<size_t>(n));
  return path.substr(0, path.rfind('/') + 1) + name;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) Die(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--workloads") {
      args.workloads = next();
    } else if (arg == "--only") {
      args.only = next();
    } else if (arg == "--rounds") {
      args.rounds = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--requests") {
      args.requests = std::max(kConcurrency, std::atoi(next().c_str()));
    } else if (arg == "--executions") {
      args.executions = std::max(kConcurrency, std::atoi(next().c_str()));
    } else if (arg == "--blocked") {
      args.blocked = std::max(1, std::atoi(next().c_str()));
    } else if (arg == "--sleep-ms") {
      args.sleep_ms = std::max(0, std::atoi(next().c_str()));
    } else if (arg == "--store") {
      args.store = next();
      if (args.store != "sqlite" && args.store != "memory") Die("--store is sqlite or memory");
    } else {
      Die("unknown argument " + arg +
          "; usage: http_tasks_bench [--workloads DIR] [--only a|b|c] [--rounds N] [--requests N] "
          "[--executions N] [--blocked N] [--sleep-ms N] [--store sqlite|memory]");
    }
  }
  // (c) holds one connection per blocked task: raise the descriptor limit as far as allowed.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  Endpoint endpoint(BesideThisBinary("echo_endpoint"));
  bool ok = true;
  auto want = [&](const char* part) { return args.only.empty() || args.only == part; };
  std::map<std::string, double> figures;
  if (want("a") && want("b")) {
    // One round of (a), then one of (b), --rounds times: this shared machine's
    // speed changes by up to 2x from one second to the next, and a pair run
    // back to back mostly sees one speed. The figure is the median pair ratio.
    Args one = args;
    one.rounds = 1;
    std::vector<double> a_wall, b_wall, wall_ratio, cpu_ratio;
    for (int pair = 0; pair < args.rounds; ++pair) {
      std::map<std::string, double> a, b;
      ok = InChild([&] { return RunDirect(one, endpoint.url); }, &a) && ok;
      ok = InChild([&] { return RunEngine(one, endpoint.url); }, &b) && ok;
      if (a["a_wall_us"] <= 0 || a["a_cpu_us"] <= 0) continue;
      a_wall.push_back(a["a_wall_us"]);
      b_wall.push_back(b["b_wall_us"]);
      wall_ratio.push_back(b["b_wall_us"] / a["a_wall_us"]);
      cpu_ratio.push_back(b["b_cpu_us"] / a["a_cpu_us"]);
    }
    if (!wall_ratio.empty()) {
      std::printf("b/a per task, median of %zu back-to-back pairs: %.2fx wall, %.2fx CPU (a %.1f us, b %.1f us)\n",
                  wall_ratio.size(), Median(wall_ratio), Median(cpu_ratio), Median(a_wall), Median(b_wall));
      std::printf("    result b_over_a_wall=%.3f b_over_a_cpu=%.3f\n", Median(wall_ratio), Median(cpu_ratio));
    }
  } else if (want("a")) {
    ok = InChild([&] { return RunDirect(args, endpoint.url); }, &figures) && ok;
  } else if (want("b")) {
    ok = InChild([&] { return RunEngine(args, endpoint.url); }, &figures) && ok;
  }
  if (want("c")) ok = InChild([&] { return RunBlocked(args, endpoint.url); }, &figures) && ok;
  return ok ? 0 : 1;
}
