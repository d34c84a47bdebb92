// engine_bench: runs the shared benchmark workloads in-process and prints, per
// workload, the median time per execution, state transitions per second and
// peak RSS, next to a baseline (parse + serialise the workload's input JSON):
// the ratio per execution, and per transition (time per transition over one
// parse + serialise of the input, since every transition writes JSON history).
//
//   engine_bench [--workloads DIR] [--only NAME] [--min-seconds S] [--in-process]
//                [--max-payload-bytes N]
//
// Times are wall-clock (steady_clock) and, beside them, process CPU time: on a
// shared machine the CPU figure is the steadier one. map-fanout's input (~660 KB)
// exceeds AWS's 256 KiB payload limit, so the payload limit is raised to
// --max-payload-bytes (default 64 MiB) for every workload.
//
// Each workload runs in a fresh child process (this program re-executed with
// --only NAME --in-process) so that its peak RSS is its own. With --in-process
// the selected workloads run in this process (handy under valgrind).
// Exit status: 0 when every workload ran and matched expected.json, 1 otherwise.

#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "stepflow/asl/value.h"
#include "stepflow/engine/engine.h"

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

// Workloads this program runs; the others in index.json are reported as skipped.
constexpr const char* kRunnable[] = {"pass-chain", "choice-loop", "map-fanout", "parallel-wide"};

struct Args {
  std::string workloads = STEPFLOW_BENCH_WORKLOADS_DIR;
  std::string only;
  double min_seconds = 1.0;
  bool in_process = false;
  size_t max_payload_bytes = 64 * 1024 * 1024;
};

// Peak resident set size of this process in bytes (VmHWM; ru_maxrss as fallback).
long long PeakRssBytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atoll(line.c_str() + 6) * 1024;
  }
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<long long>(usage.ru_maxrss) * 1024;
}

std::string Rate(double per_second) {
  char buf[64];
  if (per_second >= 1e6) {
    std::snprintf(buf, sizeof buf, "%.2fM", per_second / 1e6);
  } else if (per_second >= 1e3) {
    std::snprintf(buf, sizeof buf, "%.1fk", per_second / 1e3);
  } else {
    std::snprintf(buf, sizeof buf, "%.0f", per_second);
  }
  return buf;
}

std::string Millis(double seconds) {
  char buf[64];
  double ms = seconds * 1e3;
  std::snprintf(buf, sizeof buf, ms >= 100 ? "%.0f" : ms >= 1 ? "%.2f" : "%.4f", ms);
  return buf;
}

// Repeats `fn` (returning its own elapsed seconds) until at least `min_seconds`
// of measured time and at least `min_reps` repetitions; returns the timings.
template <typename Fn>
std::vector<double> Repeat(double min_seconds, int min_reps, Fn fn) {
  std::vector<double> times;
  double total = 0;
  while (total < min_seconds || static_cast<int>(times.size()) < min_reps) {
    double t = fn();
    times.push_back(t);
    total += t;
  }
  return times;
}

struct Workload {
  std::string name;
  std::string dir;
  int64_t transitions = 0;
};

// Runs one workload in this process and prints its line. Returns false on a
// wrong result.
bool RunWorkload(const Workload& w, const Args& args) {
  const double min_seconds = args.min_seconds;
  const std::string definition_text = ReadFile(w.dir + "/definition.json");
  const std::string input_text = ReadFile(w.dir + "/input.json");
  const Value expected = ParseJsonOrDie(ReadFile(w.dir + "/expected.json"), w.name + "/expected.json");
  const Value* expected_status = expected.Find("status");
  const Value* expected_output = expected.Find("output");
  if (expected_status == nullptr || !expected_status->is_string()) Die(w.name + "/expected.json: no \"status\"");

  stepflow::asl::Diagnostics diagnostics;
  std::shared_ptr<const stepflow::asl::StateMachine> machine =
      stepflow::asl::ParseDefinition(definition_text, &diagnostics);
  if (!machine) {
    for (const auto& d : diagnostics) {
      std::fprintf(stderr, "%s: %s at %s: %s\n", w.name.c_str(), d.code.c_str(), d.location.c_str(),
                   d.message.c_str());
    }
    Die(w.name + ": the definition does not parse");
  }
  const Value input = ParseJsonOrDie(input_text, w.name + "/input.json");

  // One execution on a fresh engine (in-memory store, system clock), so the store
  // does not accumulate history across repetitions. Only StartExecution +
  // AwaitExecution are timed; opening and destroying the engine and storing
  // (parsing) the definition are not.
  bool ok = true;
  int64_t executions = 0;
  std::vector<double> cpu_times;
  auto run_one = [&]() -> double {
    stepflow::engine::EngineOptions options;
    options.limits.max_payload_bytes = args.max_payload_bytes;
    auto engine = stepflow::engine::Engine::Open(std::move(options));
    if (!engine.ok()) Die("Engine::Open: " + engine.status().ToString());
    auto machine_arn = (*engine)->RegisterStateMachine(w.name, definition_text);
    if (!machine_arn.ok()) Die(w.name + ": RegisterStateMachine: " + machine_arn.status().ToString());
    double cpu_start = CpuSeconds();
    auto start = Clock::now();
    auto started = (*engine)->StartExecution(stepflow::engine::StartRequest{*machine_arn, "", input_text});
    if (!started.ok()) Die(w.name + ": StartExecution: " + started.status().ToString());
    auto arn = started->execution_arn;
    auto result = (*engine)->AwaitExecution(arn);
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    cpu_times.push_back(CpuSeconds() - cpu_start);
    if (!result.ok()) Die(w.name + ": AwaitExecution: " + result.status().ToString());
    ++executions;
    const char* status = stepflow::storage::ExecutionStatusName(result->status);
    bool status_ok = expected_status->AsString() == status;
    bool output_ok = expected_output == nullptr || (result->output && *result->output == *expected_output);
    if (!status_ok || !output_ok) {
      if (ok) {  // report the first mismatch in full
        std::fprintf(stderr, "%s: WRONG RESULT in execution %lld: status %s (expected %s), error %s, cause %s\n",
                     w.name.c_str(), static_cast<long long>(executions), status,
                     expected_status->AsString().c_str(), result->error.value_or("-").c_str(),
                     result->cause.value_or("-").c_str());
        std::fprintf(stderr, "  output:   %s\n",
                     result->output ? stepflow::asl::ToJson(*result->output).substr(0, 2000).c_str() : "(none)");
        std::fprintf(stderr, "  expected: %s\n",
                     expected_output ? stepflow::asl::ToJson(*expected_output).c_str() : "(none)");
      }
      ok = false;
    }
    return elapsed;
  };

  run_one();  // warm-up, checked like the others
  if (!ok) {
    std::printf("%s: FAILED: output differs from expected.json\n", w.name.c_str());
    return false;
  }
  cpu_times.clear();
  std::vector<double> exec_times = Repeat(min_seconds, 3, run_one);
  if (!ok) {
    std::printf("%s: FAILED: output differs from expected.json\n", w.name.c_str());
    return false;
  }
  long long peak_rss = PeakRssBytes();

  // Baseline: parse + serialise the workload's input JSON, the least any engine
  // must do per execution. Batched so each timing is well above clock resolution.
  size_t sink = 0;
  const int batch = std::max<int>(1, static_cast<int>(200000 / (input_text.size() + 64)));
  std::vector<double> batch_times = Repeat(std::min(min_seconds, 0.3), 3, [&]() -> double {
    auto start = Clock::now();
    for (int i = 0; i < batch; ++i) {
      Value v;
      stepflow::asl::JsonError error;
      if (!stepflow::asl::ParseJson(input_text, &v, &error)) Die("baseline parse failed");
      sink += stepflow::asl::ToJson(v).size();
    }
    return std::chrono::duration<double>(Clock::now() - start).count();
  });
  if (sink == 0) Die("baseline produced nothing");
  double baseline = Median(batch_times) / batch;

  double median = Median(exec_times);
  double median_cpu = Median(cpu_times);
  const double transitions = static_cast<double>(w.transitions);
  std::printf(
      "%s: %lld transitions/exec, median %s ms/exec, %s transitions/s, peak RSS %lld MB"
      " (%zu execs, min %s ms; CPU median %s ms/exec = %s transitions/s;"
      " baseline parse+serialise input %s ms, ratio %.3gx per exec, %.3gx per transition)\n",
      w.name.c_str(), static_cast<long long>(w.transitions), Millis(median).c_str(),
      Rate(transitions / median).c_str(), peak_rss / (1024 * 1024), exec_times.size(),
      Millis(*std::min_element(exec_times.begin(), exec_times.end())).c_str(), Millis(median_cpu).c_str(),
      Rate(transitions / median_cpu).c_str(), Millis(baseline).c_str(), median / baseline,
      median / transitions / baseline);
  std::fflush(stdout);
  return true;
}

// Re-executes this program for one workload; returns true when it exits 0.
bool RunInChild(const Args& args, const std::string& name) {
  std::string min_seconds = std::to_string(args.min_seconds);
  std::vector<std::string> argv_s = {"engine_bench",  "--workloads",         args.workloads,
                                     "--only",        name,                  "--min-seconds",
                                     min_seconds,     "--max-payload-bytes", std::to_string(args.max_payload_bytes),
                                     "--in-process"};
  std::vector<char*> argv;
  for (auto& s : argv_s) argv.push_back(s.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/proc/self/exe", nullptr, nullptr, argv.data(), environ);
  if (rc != 0) Die(std::string("posix_spawn: ") + std::strerror(rc));
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) Die(std::string("waitpid: ") + std::strerror(errno));
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
  if (WIFSIGNALED(status)) {
    std::printf("%s: FAILED: child killed by signal %d\n", name.c_str(), WTERMSIG(status));
  } else {
    std::printf("%s: FAILED (child exit status %d)\n", name.c_str(), WEXITSTATUS(status));
  }
  return false;
}

Args ParseArgs(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--workloads") {
      args.workloads = value();
    } else if (a == "--only") {
      args.only = value();
    } else if (a == "--min-seconds") {
      char* end = nullptr;
      std::string v = value();
      args.min_seconds = std::strtod(v.c_str(), &end);
      if (end == v.c_str() || *end != '\0' || args.min_seconds < 0) Die("bad --min-seconds " + v);
    } else if (a == "--max-payload-bytes") {
      std::string v = value();
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (end == v.c_str() || *end != '\0' || n == 0) Die("bad --max-payload-bytes " + v);
      args.max_payload_bytes = static_cast<size_t>(n);
    } else if (a == "--in-process") {
      args.in_process = true;
    } else if (a == "-h" || a == "--help") {
      std::printf("usage: engine_bench [--workloads DIR] [--only NAME] [--min-seconds S] [--in-process]\n"
                  "                    [--max-payload-bytes N]\n");
      std::exit(0);
    } else {
      Die("unknown argument " + a);
    }
  }
  return args;
}

}  // namespace

int main(int argc, char** argv) {
  Args args = ParseArgs(argc, argv);
  Value index = ParseJsonOrDie(ReadFile(args.workloads + "/index.json"), "index.json");
  if (!index.is_object()) Die("index.json is not an object");

  bool all_ok = true;
  bool found = false;
  for (const auto& [name, entry] : index.AsObject()) {
    if (!args.only.empty() && name != args.only) continue;
    found = true;
    bool runnable = std::find_if(std::begin(kRunnable), std::end(kRunnable),
                                 [&](const char* r) { return name == r; }) != std::end(kRunnable);
    if (!runnable) {
      const Value* needs = entry.Find("needs_functions");
      bool needs_functions = needs != nullptr && needs->is_bool() && needs->AsBool();
      std::printf("%s: skipped: needs %s\n", name.c_str(),
                  needs_functions ? "HTTP function endpoints" : "long waits (1 s Wait, many concurrent executions)");
      continue;
    }
    const Value* transitions = entry.Find("transitions_per_execution");
    if (transitions == nullptr || !transitions->is_int()) Die(name + ": no transitions_per_execution in index.json");
    Workload w{name, args.workloads + "/" + name, transitions->AsInt()};
    bool ok = args.in_process ? RunWorkload(w, args) : RunInChild(args, name);
    all_ok = all_ok && ok;
  }
  if (!found) Die("no workload named " + args.only);
  return all_ok ? 0 : 1;
}
