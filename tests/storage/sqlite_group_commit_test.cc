// SqliteStore's group commit: concurrent writers share transactions, each
// still gets its own outcome, and every history stays contiguous.

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "stepflow/storage/sqlite_store.h"
#include "storage_test_util.h"

namespace stepflow::storage {
namespace {

using testing::ExecutionArn;
using testing::MakeEvents;
using testing::MakeExecution;
using testing::TempDir;

std::unique_ptr<Store> OpenFile(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  auto store = OpenSqliteStore(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

SqliteStats StatsOf(Store& store) { return dynamic_cast<SqliteStore&>(store).Stats(); }

void CheckContiguous(Store& store, const std::string& arn, int64_t expected_events) {
  auto history = store.GetHistory(arn, 0, SIZE_MAX);
  REQUIRE(history.ok());
  REQUIRE(static_cast<int64_t>(history->size()) == expected_events);
  for (int64_t i = 0; i < expected_events; ++i) REQUIRE((*history)[i].id == i + 1);
}

// Appends event 1 to `first_arn` and holds the writer inside its completion
// while `batch` queues up, so the batch commits as one transaction (the
// second); returns each request's outcome.
std::vector<Status> AfterOneAppendAsOneBatch(Store& store, const std::string& first_arn,
                                             const std::vector<AppendRequest>& batch) {
  std::mutex mu;
  std::condition_variable cv;
  bool release = false;
  std::promise<void> first_entered, first_done;
  AppendRequest r0;
  r0.execution_arn = first_arn;
  r0.events = MakeEvents(1, 1);
  store.AppendAsync(r0, [&](Status s) {
    CHECK(s.ok());
    first_entered.set_value();
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return release; });
    first_done.set_value();
  });
  first_entered.get_future().get();  // r0 has committed alone; the writer now waits on us

  std::vector<std::promise<Status>> promises(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    store.AppendAsync(batch[i], [&promises, i](Status s) { promises[i].set_value(s); });
  }
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  first_done.get_future().get();
  std::vector<Status> outcomes;
  for (auto& p : promises) outcomes.push_back(p.get_future().get());
  return outcomes;
}

TEST_CASE("appends from 8 threads on 100 executions all land, contiguous, in far fewer transactions than calls") {
  TempDir dir;
  const std::string path = dir.File("group.db");
  constexpr int kThreads = 8, kExecutions = 100, kRounds = 20;
  int64_t calls = 0;
  {
    auto store = OpenFile(path);
    for (int e = 0; e < kExecutions; ++e) {
      REQUIRE(store->CreateExecution(MakeExecution("M", "e" + std::to_string(e), e)).ok());
    }
    SqliteStats before = StatsOf(*store);
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        // Thread t owns executions t, t+8, ...; it interleaves them round by round.
        for (int round = 0; round < kRounds; ++round) {
          for (int e = t; e < kExecutions; e += kThreads) {
            Status s = store->AppendEvents(ExecutionArn("M", "e" + std::to_string(e)), round * 2,
                                           MakeEvents(round * 2 + 1, 2), nullptr);
            if (!s.ok()) failures.fetch_add(1);
          }
        }
      });
    }
    for (auto& th : threads) th.join();
    calls = static_cast<int64_t>(kExecutions) * kRounds;
    CHECK(failures.load() == 0);
    SqliteStats after = StatsOf(*store);
    int64_t transactions = after.transactions_committed - before.transactions_committed;
    MESSAGE(calls, " appends committed in ", transactions, " transactions");
    CHECK(after.writes_committed - before.writes_committed == calls);
    CHECK(transactions < calls / 2);
  }
  auto store = OpenFile(path);  // and all of it is on disk
  for (int e = 0; e < kExecutions; ++e)
    CheckContiguous(*store, ExecutionArn("M", "e" + std::to_string(e)), kRounds * 2);
}

// Appends `appends` events of ~2 KB, one commit each, to one execution in a
// new database; returns the WAL's size in bytes at the end.
uintmax_t WalBytesAfterAppends(const std::string& path, int64_t checkpoint_pages, int appends, SqliteStats* stats) {
  SqliteOptions options;
  options.path = path;
  options.wal_checkpoint_pages = checkpoint_pages;
  auto opened = OpenSqliteStore(options);
  REQUIRE_MESSAGE(opened.ok(), opened.status().ToString());
  auto& store = *opened.value();
  REQUIRE(store.CreateExecution(MakeExecution("M", "e")).ok());
  for (int i = 0; i < appends; ++i) {
    std::vector<HistoryEventRecord> events = MakeEvents(i + 1, 1);
    events[0].details_json = R"({"padding":")" + std::string(2000, 'x') + R"("})";
    REQUIRE(store.AppendEvents(ExecutionArn("M", "e"), i, events, nullptr).ok());
  }
  *stats = StatsOf(store);
  return std::filesystem::file_size(path + "-wal");
}

TEST_CASE("a background thread checkpoints the WAL: it stays bounded while commits go on, and nothing is lost") {
  TempDir dir;
  constexpr int kAppends = 1500;
  SqliteStats never_stats, stats;
  const uintmax_t unbounded = WalBytesAfterAppends(dir.File("never.db"), int64_t{1} << 40, kAppends, &never_stats);
  const uintmax_t bounded = WalBytesAfterAppends(dir.File("wal.db"), 64, kAppends, &stats);
  MESSAGE("WAL ", bounded, " bytes with checkpoints every 64 pages (", stats.background_checkpoints, " background, ",
          stats.writer_checkpoints, " by the writer), ", unbounded, " without");
  CHECK(never_stats.background_checkpoints + never_stats.writer_checkpoints == 0);
  CHECK(stats.background_checkpoints > 0);
  CHECK(bounded * 3 < unbounded);
  // Past sixteen times the threshold the writer waits for the checkpoint, however
  // loaded the machine: the WAL ends within one more threshold of 4 KiB pages.
  CHECK(bounded < 17 * 64 * (4096 + 24));
  auto store = OpenFile(dir.File("wal.db"));
  CheckContiguous(*store, ExecutionArn("M", "e"), kAppends);
}

TEST_CASE("8 threads racing on the same executions: losers get Conflict, catch up, and no id is lost or doubled") {
  TempDir dir;
  auto store = OpenFile(dir.File("race.db"));
  constexpr int kThreads = 8, kExecutions = 100, kWinsPerThread = 3;
  for (int e = 0; e < kExecutions; ++e) {
    REQUIRE(store->CreateExecution(MakeExecution("M", "e" + std::to_string(e), e)).ok());
  }
  std::atomic<int> conflicts{0}, other_errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<int64_t> last(kExecutions, 0);  // this thread's view of each history
      for (int win = 0; win < kWinsPerThread; ++win) {
        for (int k = 0; k < kExecutions; ++k) {
          int e = (k + t * 13) % kExecutions;  // threads start at different executions, then collide
          const std::string arn = ExecutionArn("M", "e" + std::to_string(e));
          for (;;) {
            Status s = store->AppendEvents(arn, last[e], MakeEvents(last[e] + 1, 2), nullptr);
            if (s.ok()) {
              last[e] += 2;
              break;
            }
            if (!s.IsConflict()) {
              other_errors.fetch_add(1);
              break;
            }
            conflicts.fetch_add(1);
            auto tail = store->GetHistory(arn, last[e], SIZE_MAX);
            if (!tail.ok() || tail->empty()) {
              other_errors.fetch_add(1);
              break;
            }
            last[e] = tail->back().id;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  MESSAGE(conflicts.load(), " conflicts");
  CHECK(other_errors.load() == 0);
  for (int e = 0; e < kExecutions; ++e) {
    CheckContiguous(*store, ExecutionArn("M", "e" + std::to_string(e)), kThreads * kWinsPerThread * 2);
  }
}

TEST_CASE("requests in one batch each get their own outcome; a conflict or unknown execution fails only itself") {
  TempDir dir;
  auto store = OpenFile(dir.File("batch.db"));
  const std::string x = ExecutionArn("M", "x"), y = ExecutionArn("M", "y");
  REQUIRE(store->CreateExecution(MakeExecution("M", "x")).ok());
  REQUIRE(store->CreateExecution(MakeExecution("M", "y")).ok());
  SqliteStats before = StatsOf(*store);

  auto request = [](const std::string& arn, int64_t expected, int count) {
    AppendRequest r;
    r.execution_arn = arn;
    r.expected_last_event_id = expected;
    r.events = MakeEvents(expected + 1, count);
    return r;
  };
  std::vector<AppendRequest> batch = {
      request(y, 0, 2),                            // ok
      request(y, 0, 1),                            // stale: y is at 2 by now
      request(ExecutionArn("M", "nobody"), 0, 1),  // unknown
      request(y, 2, 3),                            // ok, continues the first
  };
  batch[3].put_timers = {{y, "t", 10, ""}};
  batch[1].put_timers = {{y, "never", 10, ""}};
  std::vector<Status> outcomes = AfterOneAppendAsOneBatch(*store, x, batch);
  CHECK(outcomes[0].ok());
  CHECK(outcomes[1].IsConflict());
  CHECK(outcomes[2].IsNotFound());
  CHECK(outcomes[3].ok());

  SqliteStats after = StatsOf(*store);
  CHECK(after.transactions_committed - before.transactions_committed == 2);  // r0's, then the batch's
  CHECK(after.writes_committed - before.writes_committed == 3);
  CheckContiguous(*store, y, 5);
  auto timers = store->ListTimers(y);
  REQUIRE(timers.ok());
  REQUIRE(timers->size() == 1);
  CHECK((*timers)[0].timer_id == "t");
}

TEST_CASE("a request that fails after writing is undone alone; the rest of its batch commits") {
  TempDir dir;
  const std::string path = dir.File("undo.db");
  auto store = OpenFile(path);
  const std::string x = ExecutionArn("M", "x"), y = ExecutionArn("M", "y");
  REQUIRE(store->CreateExecution(MakeExecution("M", "x")).ok());  // row id 1
  // A stray history row for the next row id (2): creating y inserts its row,
  // then its first history row collides with this one.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "INSERT INTO history_chunks VALUES (2, 1, 3, '[]')", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    sqlite3_close(db);
  }

  std::vector<AppendRequest> batch(3);
  batch[0].execution_arn = x;
  batch[0].expected_last_event_id = 1;
  batch[0].events = MakeEvents(2, 2);
  batch[1].create = MakeExecution("M", "y");
  batch[1].execution_arn = y;
  batch[1].events = MakeEvents(1, 3);
  batch[2].execution_arn = x;
  batch[2].expected_last_event_id = 3;
  batch[2].events = MakeEvents(4, 1);
  std::vector<Status> outcomes = AfterOneAppendAsOneBatch(*store, x, batch);
  CHECK(outcomes[0].ok());
  CHECK_MESSAGE(outcomes[1].IsInvalidArgument(), outcomes[1].ToString());
  CHECK(outcomes[2].ok());
  CheckContiguous(*store, x, 4);
  CHECK(store->GetExecution(y).status().IsNotFound());  // its row was undone with its events
}

TEST_CASE("closing the store commits every queued AppendAsync before it returns") {
  TempDir dir;
  const std::string path = dir.File("drain.db");
  constexpr int kExecutions = 300;
  std::atomic<int> ok{0}, done{0};
  {
    auto store = OpenFile(path);
    for (int e = 0; e < kExecutions; ++e) {
      REQUIRE(store->CreateExecution(MakeExecution("M", "e" + std::to_string(e), e)).ok());
    }
    for (int e = 0; e < kExecutions; ++e) {
      AppendRequest r;
      r.execution_arn = ExecutionArn("M", "e" + std::to_string(e));
      r.events = MakeEvents(1, 2);
      store->AppendAsync(std::move(r), [&](Status s) {
        if (s.ok()) ok.fetch_add(1);
        done.fetch_add(1);
      });
    }
  }
  CHECK(done.load() == kExecutions);
  CHECK(ok.load() == kExecutions);
  auto store = OpenFile(path);
  for (int e = 0; e < kExecutions; ++e) CheckContiguous(*store, ExecutionArn("M", "e" + std::to_string(e)), 2);
}

TEST_CASE("a blocking write from an AppendAsync callback is refused instead of deadlocking") {
  TempDir dir;
  auto store = OpenFile(dir.File("reentrant.db"));
  REQUIRE(store->CreateExecution(MakeExecution("M", "x")).ok());
  std::promise<Status> inner;
  AppendRequest r;
  r.execution_arn = ExecutionArn("M", "x");
  r.events = MakeEvents(1, 1);
  store->AppendAsync(r, [&](Status s) {
    CHECK(s.ok());
    inner.set_value(store->CreateExecution(MakeExecution("M", "y")));
  });
  Status s = inner.get_future().get();
  CHECK(s.code() == Status::Code::kInternal);
  CHECK(store->GetExecution(ExecutionArn("M", "x")).ok());  // reads are fine, and the store still works
  CHECK(store->CreateExecution(MakeExecution("M", "y")).ok());
}

}  // namespace
}  // namespace stepflow::storage

namespace stepflow::storage {
namespace {

TEST_CASE("a store that knows an execution still sees another store's steps on the same file") {
  TempDir dir;
  std::string path = dir.File("shared.db");
  auto a = OpenFile(path);
  auto b = OpenFile(path);
  ExecutionRecord r = MakeExecution("M", "e1");
  REQUIRE(a->CreateExecution(r).ok());
  auto step = [&](Store& store, int64_t expected, std::string checkpoint) {
    AppendRequest request;
    request.execution_arn = r.arn;
    request.expected_last_event_id = expected;
    request.events = MakeEvents(expected + 1, 1);
    request.checkpoint = std::move(checkpoint);
    return store.Append(request);
  };
  REQUIRE(step(*a, 0, "a1").ok());
  REQUIRE(step(*a, 1, "a2").ok());  // `a` has looked the execution up and committed
  REQUIRE(step(*b, 2, "b3").ok());
  CHECK(step(*a, 2, "a3").IsConflict());
  REQUIRE(step(*a, 3, "a4").ok());
  CheckContiguous(*b, r.arn, 4);
  auto checkpoint = b->GetCheckpoint(r.arn);
  REQUIRE(checkpoint.ok());
  CHECK(*checkpoint == "a4");
}

}  // namespace
}  // namespace stepflow::storage
