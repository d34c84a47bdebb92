// A quick measurement, not a test: skipped by default. Run with
//   build/tests/storage_test -ts=bench --no-skip -s
// 1,000 executions appended to interleaved (round-robin), 2 events per append,
// as a server sees them; MemStore and SqliteStore (NORMAL, FULL) in one run.

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stepflow/storage/sqlite_store.h"
#include "storage_test_util.h"

namespace stepflow::storage {
namespace {

using testing::ExecutionArn;
using testing::MakeExecution;
using testing::TempDir;

constexpr int kExecutions = 1000;
constexpr int kRounds = 20;  // appends per execution

std::vector<HistoryEventRecord> BenchEvents(int64_t first) {
  std::vector<HistoryEventRecord> events(2);
  for (int i = 0; i < 2; ++i) {
    events[i].id = first + i;
    events[i].previous_event_id = first + i - 1;
    events[i].timestamp_ns = 1700000000000000000 + first;
    events[i].type = i == 0 ? "PassStateEntered" : "PassStateExited";
    events[i].details_json = R"({"name":"Step)" + std::to_string(first) +
                             R"(","input":"{\"order\":12345,\"items\":[1,2,3]}","inputDetails":{"truncated":false}})";
  }
  return events;
}

std::vector<std::string> CreateAll(Store& store) {
  std::vector<std::string> arns;
  for (int e = 0; e < kExecutions; ++e) {
    ExecutionRecord r = MakeExecution("Bench", "e" + std::to_string(e), e);
    REQUIRE(store.CreateExecution(r).ok());
    arns.push_back(r.arn);
  }
  return arns;
}

struct Result {
  double appends_per_s;
  int64_t transactions;
};

int64_t TransactionsOf(Store& store) {
  auto* sqlite = dynamic_cast<SqliteStore*>(&store);
  return sqlite != nullptr ? sqlite->Stats().transactions_committed : 0;
}

// One thread, blocking AppendEvents, executions round-robin.
Result RunSync(Store& store, int threads) {
  std::vector<std::string> arns = CreateAll(store);
  int64_t tx0 = TransactionsOf(store);
  std::atomic<int> failures{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (int e = t; e < kExecutions; e += threads) {
          if (!store.AppendEvents(arns[e], round * 2, BenchEvents(round * 2 + 1), nullptr).ok()) failures++;
        }
      }
    });
  }
  for (auto& w : workers) w.join();
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(failures.load() == 0);
  return {kExecutions * kRounds / secs, TransactionsOf(store) - tx0};
}

// One thread issuing AppendAsync for every execution of a round, as an event
// loop would: an execution's next append waits for its previous commit.
Result RunAsync(Store& store) {
  std::vector<std::string> arns = CreateAll(store);
  int64_t tx0 = TransactionsOf(store);
  std::atomic<int> failures{0};
  std::mutex mu;
  std::condition_variable cv;
  int outstanding = 0;
  auto start = std::chrono::steady_clock::now();
  for (int round = 0; round < kRounds; ++round) {
    {
      std::lock_guard<std::mutex> lock(mu);
      outstanding = kExecutions;
    }
    for (int e = 0; e < kExecutions; ++e) {
      AppendRequest r;
      r.execution_arn = arns[e];
      r.expected_last_event_id = round * 2;
      r.events = BenchEvents(round * 2 + 1);
      store.AppendAsync(std::move(r), [&](Status s) {
        if (!s.ok()) failures++;
        std::lock_guard<std::mutex> lock(mu);
        if (--outstanding == 0) cv.notify_one();
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return outstanding == 0; });
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(failures.load() == 0);
  return {kExecutions * kRounds / secs, TransactionsOf(store) - tx0};
}

std::unique_ptr<Store> OpenBench(const TempDir& dir, const char* name, SqliteOptions::Synchronous sync) {
  SqliteOptions options;
  options.path = dir.File(name);
  options.synchronous = sync;
  auto store = OpenSqliteStore(options);
  REQUIRE(store.ok());
  return std::move(store).value();
}

void Report(const char* what, Result r, double baseline) {
  std::printf("%-44s %10.0f appends/s %10.0f events/s  %6lld txns  %.3fx MemStore\n", what, r.appends_per_s,
              r.appends_per_s * 2, static_cast<long long>(r.transactions), r.appends_per_s / baseline);
}

TEST_CASE("bench: 1,000 interleaved executions, 2 events per append" * doctest::test_suite("bench") * doctest::skip()) {
  using Sync = SqliteOptions::Synchronous;
  TempDir dir;
  std::printf("%d executions x %d appends x 2 events (temp dir %s)\n", kExecutions, kRounds, dir.path().c_str());
  auto mem = NewMemStore();
  Result mem_r = RunSync(*mem, 1);
  Report("MemStore, 1 thread, AppendEvents", mem_r, mem_r.appends_per_s);
  auto mem_async = NewMemStore();
  Report("MemStore, AppendAsync", RunAsync(*mem_async), mem_r.appends_per_s);
  for (Sync sync : {Sync::kNormal, Sync::kFull}) {
    const char* name = sync == Sync::kNormal ? "NORMAL" : "FULL";
    std::string label;
    {
      auto s = OpenBench(dir, (std::string(name) + "-1.db").c_str(), sync);
      label = std::string("Sqlite ") + name + ", 1 thread, AppendEvents";
      Report(label.c_str(), RunSync(*s, 1), mem_r.appends_per_s);
    }
    {
      auto s = OpenBench(dir, (std::string(name) + "-8.db").c_str(), sync);
      label = std::string("Sqlite ") + name + ", 8 threads, AppendEvents";
      Report(label.c_str(), RunSync(*s, 8), mem_r.appends_per_s);
    }
    {
      auto s = OpenBench(dir, (std::string(name) + "-async.db").c_str(), sync);
      label = std::string("Sqlite ") + name + ", AppendAsync, 1,000 in flight";
      Report(label.c_str(), RunAsync(*s), mem_r.appends_per_s);
    }
  }
}

}  // namespace
}  // namespace stepflow::storage
