// durable_bench: the cost of durability. Runs, side by side in one process,
// with the in-memory store and with SQLite (synchronous=NORMAL, and FULL):
//   pass-chain  the shared workload (1,000 Pass states in one execution)
//   small       many small executions (start -> 5 Pass states -> end), a
//               window of them running interleaved as a server sees them
// and prints state transitions/s and executions/s (medians of --repeat runs,
// wall clock; CPU time beside), then the memory of executions parked in a
// long Wait (RSS growth per parked execution, SQLite store).
//
//   durable_bench [--workloads DIR] [--repeat N] [--executions N] [--window N]
//                 [--parked N] [--dir DIR]

#if STEPFLOW_MIMALLOC
#include <mimalloc.h>
#else
#include <malloc.h>
#endif
#include <sqlite3.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "bench_util.h"
#include "stepflow/engine/engine.h"
#include "stepflow/storage/sqlite_store.h"

#ifndef STEPFLOW_BENCH_WORKLOADS_DIR
#define STEPFLOW_BENCH_WORKLOADS_DIR "../shared/bench/workloads"
#endif

namespace {

using stepflow::bench::CpuSeconds;
using stepflow::bench::Die;
using stepflow::bench::Median;
using stepflow::bench::ParseJsonOrDie;
using stepflow::bench::ReadFile;

using stepflow::engine::Engine;
using stepflow::engine::EngineOptions;
using stepflow::engine::StartRequest;
using stepflow::storage::SqliteOptions;
using Clock = std::chrono::steady_clock;

struct Args {
  std::string workloads = STEPFLOW_BENCH_WORKLOADS_DIR;
  int repeat = 3;
  int executions = 20000;
  int window = 1000;
  int parked = 100000;
  std::string dir = "/tmp";
};

double RssMiB() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

// Bytes of heap in use: glibc counts what it handed out; mimalloc, what it has
// committed (in use plus its free pages not yet returned).
size_t HeapInUse() {
#if STEPFLOW_MIMALLOC
  size_t committed = 0;
  mi_process_info(nullptr, nullptr, nullptr, nullptr, nullptr, &committed, nullptr, nullptr);
  return committed;
#else
  return mallinfo2().uordblks;
#endif
}

// Returns free heap pages to the system, so RSS counts memory in use.
void ReleaseFreeHeap() {
#if STEPFLOW_MIMALLOC
  mi_collect(true);
#else
  malloc_trim(0);
#endif
}

enum class StoreKind { kMemory, kSqliteNormal, kSqliteFull };
const char* StoreName(StoreKind k) {
  return k == StoreKind::kMemory ? "memory" : k == StoreKind::kSqliteNormal ? "sqlite-normal" : "sqlite-full";
}

// A fresh store of the kind: a new database file for SQLite.
std::unique_ptr<stepflow::storage::Store> NewStore(StoreKind kind, const Args& args, const std::string& tag) {
  if (kind == StoreKind::kMemory) return stepflow::storage::NewMemStore();
  SqliteOptions options;
  options.path = args.dir + "/durable_bench-" + std::to_string(getpid()) + "-" + tag + ".db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(options.path + suffix);
  options.synchronous =
      kind == StoreKind::kSqliteFull ? SqliteOptions::Synchronous::kFull : SqliteOptions::Synchronous::kNormal;
  auto store = stepflow::storage::OpenSqliteStore(options);
  if (!store.ok()) Die(store.status().ToString());
  return std::move(*store);
}

void RemoveDatabases(const Args& args) {
  std::string prefix = "durable_bench-" + std::to_string(getpid()) + "-";
  for (const auto& entry : std::filesystem::directory_iterator(args.dir)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove(entry.path());
  }
}

struct Figure {
  double wall = 0, cpu = 0;
};

// One execution of the pass-chain workload.
Figure PassChain(StoreKind kind, const Args& args, int run) {
  const std::string definition = ReadFile(args.workloads + "/pass-chain/definition.json");
  const std::string input = ReadFile(args.workloads + "/pass-chain/input.json");
  auto store = NewStore(kind, args, "chain" + std::to_string(run));
  EngineOptions options;
  options.store = store.get();
  auto engine = Engine::Open(std::move(options));
  if (!engine.ok()) Die(engine.status().ToString());
  auto machine = (*engine)->RegisterStateMachine("pass-chain", definition);
  if (!machine.ok()) Die(machine.status().ToString());
  double cpu = CpuSeconds();
  auto start = Clock::now();
  auto started = (*engine)->StartExecution(StartRequest{*machine, "", input});
  if (!started.ok()) Die(started.status().ToString());
  auto result = (*engine)->AwaitExecution(started->execution_arn);
  if (!result.ok() || result->status != stepflow::storage::ExecutionStatus::kSucceeded) Die("pass-chain failed");
  return Figure{std::chrono::duration<double>(Clock::now() - start).count(), CpuSeconds() - cpu};
}

constexpr char kSmall[] = R"j({"StartAt":"S1","States":{
  "S1":{"Type":"Pass","Parameters":{"n.$":"$.n","step":1},"Next":"S2"},
  "S2":{"Type":"Pass","Parameters":{"n.$":"$.n","step":2},"Next":"S3"},
  "S3":{"Type":"Pass","Parameters":{"n.$":"$.n","step":3},"Next":"S4"},
  "S4":{"Type":"Pass","Parameters":{"n.$":"$.n","step":4},"Next":"S5"},
  "S5":{"Type":"Pass","Parameters":{"n.$":"$.n","step":5},"End":true}}})j";

// `args.executions` small executions, `args.window` of them in flight at once:
// each one that ends starts the next.
Figure Small(StoreKind kind, const Args& args, int run) {
  auto store = NewStore(kind, args, "small" + std::to_string(run));
  EngineOptions options;
  options.store = store.get();
  auto engine = Engine::Open(std::move(options));
  if (!engine.ok()) Die(engine.status().ToString());
  auto machine = (*engine)->RegisterStateMachine("small", kSmall);
  if (!machine.ok()) Die(machine.status().ToString());
  // In the background, as a server runs it; started on the engine thread, the
  // whole window is in flight at once (a caller's own StartExecution waits for
  // its start's commit).
  if (stepflow::Status s = (*engine)->RunInBackground(); !s.ok()) Die(s.ToString());
  std::mutex mu;
  std::condition_variable all_done;
  int next = 0, finished = 0;
  auto start_one = [&] {
    auto started = (*engine)->StartExecution(StartRequest{*machine, "", "{\"n\":" + std::to_string(next++) + "}"});
    if (!started.ok()) Die(started.status().ToString());
  };
  (*engine)->OnExecutionFinished([&](const std::string&, const stepflow::engine::ExecutionResult& r) {
    if (r.status != stepflow::storage::ExecutionStatus::kSucceeded) Die("a small execution failed");
    if (next < args.executions) start_one();
    std::lock_guard<std::mutex> lock(mu);
    if (++finished == args.executions) all_done.notify_one();
  });
  double cpu = CpuSeconds();
  auto t0 = Clock::now();
  (*engine)->Post([&] {
    for (int i = 0; i < std::min(args.window, args.executions); ++i) start_one();
  });
  {
    std::unique_lock<std::mutex> lock(mu);
    all_done.wait(lock, [&] { return finished == args.executions; });
  }
  return Figure{std::chrono::duration<double>(Clock::now() - t0).count(), CpuSeconds() - cpu};
}

void Report(const char* workload, StoreKind kind, const std::vector<Figure>& runs, double transitions,
            double executions, double memory_rate) {
  std::vector<double> walls, cpus;
  for (const Figure& f : runs) {
    walls.push_back(f.wall);
    cpus.push_back(f.cpu);
  }
  double wall = Median(walls), cpu = Median(cpus);
  double rate = transitions / wall;
  std::printf("%-11s %-14s %10.0f transitions/s %9.0f executions/s  (median wall %.3f s, cpu %.3f s)", workload,
              StoreName(kind), rate, executions / wall, wall, cpu);
  if (memory_rate > 0) std::printf("  %.2fx of memory", rate / memory_rate);
  std::printf("\n");
}

void Parked(const Args& args) {
  auto store = NewStore(StoreKind::kSqliteNormal, args, "parked");
  EngineOptions options;
  options.store = store.get();
  auto engine = Engine::Open(std::move(options));
  if (!engine.ok()) Die(engine.status().ToString());
  auto machine = (*engine)->RegisterStateMachine(
      "parked", R"j({"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":86400,"End":true}}})j");
  auto quick = (*engine)->RegisterStateMachine("quick", R"j({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})j");
  if (!machine.ok() || !quick.ok()) Die("cannot register the parked machines");
  auto settle = [&] {
    // Awaiting a one-state execution runs every other one's pending steps too.
    auto started = (*engine)->StartExecution(StartRequest{*quick, "", "{}"});
    if (!started.ok() || !(*engine)->AwaitExecution(started->execution_arn).ok()) Die("settle failed");
  };
  settle();
  ReleaseFreeHeap();
  double before = RssMiB();
  size_t heap_before = HeapInUse();
  int64_t sqlite_before = sqlite3_memory_used();
  auto t0 = Clock::now();
  for (int i = 0; i < args.parked; ++i) {
    auto started = (*engine)->StartExecution(StartRequest{*machine, "", "{\"i\":" + std::to_string(i) + "}"});
    if (!started.ok()) Die(started.status().ToString());
    if (i % 1000 == 999) settle();
  }
  settle();
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  ReleaseFreeHeap();
  double after = RssMiB();
  size_t heap_after = HeapInUse();
  int64_t sqlite_after = sqlite3_memory_used();
  // RSS also counts freed heap the allocator keeps (fragmentation) and SQLite's
  // page cache (bounded per connection, not per execution); the heap in use
  // outside SQLite is what the parked executions hold.
  double heap = static_cast<double>(heap_after) - static_cast<double>(heap_before);
  double sqlite = static_cast<double>(sqlite_after - sqlite_before);
  std::printf("parked      sqlite-normal  %d executions in a 1-day Wait: started in %.1f s, %zu loaded; "
              "RSS %.1f -> %.1f MiB = %.0f bytes each; heap in use %.0f bytes each, of which SQLite %.1f MiB "
              "in all, the engine %.0f bytes each\n",
              args.parked, seconds, (*engine)->loaded_executions(), before, after,
              (after - before) * 1024 * 1024 / args.parked, heap / args.parked, sqlite / (1024 * 1024),
              (heap - sqlite) / args.parked);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die(a + " needs a value");
      return argv[++i];
    };
    if (a == "--workloads") {
      args.workloads = value();
    } else if (a == "--repeat") {
      args.repeat = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--executions") {
      args.executions = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--window") {
      args.window = std::max(1, std::atoi(value().c_str()));
    } else if (a == "--parked") {
      args.parked = std::max(0, std::atoi(value().c_str()));
    } else if (a == "--dir") {
      args.dir = value();
    } else {
      Die("unknown argument " + a);
    }
  }
  // Memory first, in a process that has not yet grown.
  if (args.parked > 0) Parked(args);
  for (const char* workload : {"pass-chain", "small"}) {
    bool chain = std::string(workload) == "pass-chain";
    double memory_rate = 0;
    for (StoreKind kind : {StoreKind::kMemory, StoreKind::kSqliteNormal, StoreKind::kSqliteFull}) {
      std::vector<Figure> runs;
      for (int r = 0; r < args.repeat; ++r) runs.push_back(chain ? PassChain(kind, args, r) : Small(kind, args, r));
      double transitions = chain ? 1000.0 : 5.0 * args.executions;
      double executions = chain ? 1.0 : args.executions;
      std::vector<double> walls;
      for (const Figure& f : runs) walls.push_back(f.wall);
      Report(workload, kind, runs, transitions, executions, kind == StoreKind::kMemory ? 0 : memory_rate);
      if (kind == StoreKind::kMemory) memory_rate = transitions / Median(walls);
    }
  }
  RemoveDatabases(args);
  return 0;
}
