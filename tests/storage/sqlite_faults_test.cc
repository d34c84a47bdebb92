// SqliteStore under a damaged, read-only, locked or full database: a clear
// Status every time, never a crash, and nothing committed is lost.

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "history_chunk.h"
#include "stepflow/storage/sqlite_store.h"
#include "storage_test_util.h"

namespace stepflow::storage {
namespace {

using testing::ExecutionArn;
using testing::MakeEvents;
using testing::MakeExecution;
using testing::TempDir;

StatusOr<std::unique_ptr<Store>> Open(const std::string& path, int busy_timeout_ms = 5000, int64_t max_pages = 0) {
  SqliteOptions options;
  options.path = path;
  options.busy_timeout_ms = busy_timeout_ms;
  options.max_page_count = max_pages;
  return OpenSqliteStore(options);
}

// A database with `n` executions of 20 events each, closed.
void Populate(const std::string& path, int n) {
  auto store = Open(path);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  for (int i = 0; i < n; ++i) {
    ExecutionRecord r = MakeExecution("M", "e" + std::to_string(i), i, std::string(200, 'x'));
    REQUIRE((*store)->CreateExecution(r).ok());
    REQUIRE((*store)->AppendEvents(r.arn, 0, MakeEvents(1, 20), nullptr).ok());
  }
}

void Overwrite(const std::string& path, long offset, const std::string& bytes) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  REQUIRE(f.good());
  f.seekp(offset);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Mounts a tmpfs of `size` at `dir` for this scope; ok() is false when this
// process may not mount (not root, or no CAP_SYS_ADMIN).
class ScopedTmpfs {
 public:
  ScopedTmpfs(const std::string& dir, const std::string& size) : dir_(dir) {
    mounted_ = mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size).c_str()) == 0;
  }
  ~ScopedTmpfs() {
    if (mounted_) umount2(dir_.c_str(), MNT_DETACH);
  }
  bool ok() const { return mounted_; }
  bool RemountReadOnly() { return mount("tmpfs", dir_.c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, nullptr) == 0; }

 private:
  std::string dir_;
  bool mounted_ = false;
};

TEST_CASE("a file that is not a database is Corruption at open") {
  TempDir dir;
  const std::string path = dir.File("garbage.db");
  { std::ofstream(path) << std::string(8192, 'g'); }
  auto store = Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK_MESSAGE(store.status().code() == Status::Code::kCorruption, store.status().ToString());
}

TEST_CASE("a database whose header is overwritten is Corruption at open") {
  TempDir dir;
  const std::string path = dir.File("header.db");
  Populate(path, 5);
  Overwrite(path, 0, std::string(100, '\x5a'));
  auto store = Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK_MESSAGE(store.status().code() == Status::Code::kCorruption, store.status().ToString());
}

TEST_CASE("a database with a damaged page is Corruption at open") {
  TempDir dir;
  const std::string path = dir.File("page.db");
  Populate(path, 200);
  auto size = std::filesystem::file_size(path);
  REQUIRE(size > 16 * 4096);
  // Scribble over the middle of a page in the middle of the file (page
  // headers and cell pointers included).
  Overwrite(path, static_cast<long>((size / 4096 / 2) * 4096), std::string(512, '\xff'));
  auto store = Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK_MESSAGE(store.status().code() == Status::Code::kCorruption, store.status().ToString());
}

TEST_CASE("a truncated database is Corruption at open") {
  TempDir dir;
  const std::string path = dir.File("truncated.db");
  Populate(path, 200);
  auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size / 2);
  auto store = Open(path);
  REQUIRE_FALSE(store.ok());
  CHECK_MESSAGE(store.status().code() == Status::Code::kCorruption, store.status().ToString());
}

TEST_CASE("without the open-time check, a damaged page found by a later read or write is Corruption, not a crash") {
  TempDir dir;
  const std::string path = dir.File("lazy.db");
  Populate(path, 200);
  auto size = std::filesystem::file_size(path);
  // Scribble over every page of the second half (the schema pages, at the front, stay readable).
  for (auto page = size / 4096 / 2; page < size / 4096; ++page) {
    Overwrite(path, static_cast<long>(page * 4096), std::string(4096, '\xa5'));
  }
  SqliteOptions options;
  options.path = path;
  options.verify_on_open = false;
  auto store = OpenSqliteStore(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  int corrupt = 0;
  for (int i = 0; i < 200; ++i) {
    const std::string arn = ExecutionArn("M", "e" + std::to_string(i));
    auto history = (*store)->GetHistory(arn, 0, SIZE_MAX);
    if (!history.ok()) {
      CHECK_MESSAGE(history.status().code() == Status::Code::kCorruption, history.status().ToString());
      ++corrupt;
      continue;
    }
    Status s = (*store)->AppendEvents(arn, static_cast<int64_t>(history->size()),
                                      MakeEvents(static_cast<int64_t>(history->size()) + 1, 1), nullptr);
    if (!s.ok()) {
      CHECK_MESSAGE(s.code() == Status::Code::kCorruption, s.ToString());
      ++corrupt;
    }
  }
  CHECK(corrupt > 0);
}

TEST_CASE("a read-only database file is an IOError at open that names the file") {
  TempDir dir;
  const std::string sub = dir.File("ro");
  std::filesystem::create_directory(sub);
  const std::string path = sub + "/ro.db";
  if (geteuid() == 0) {
    // Permissions do not bind root: use a read-only file system instead.
    ScopedTmpfs fs(sub, "4m");
    if (!fs.ok()) {
      MESSAGE("skipped: running as root without permission to mount a tmpfs");
      return;
    }
    Populate(path, 3);
    REQUIRE(fs.RemountReadOnly());
    auto store = Open(path);
    REQUIRE_FALSE(store.ok());
    CHECK_MESSAGE(store.status().code() == Status::Code::kIOError, store.status().ToString());
    CHECK(store.status().message().find(path) != std::string::npos);
  } else {
    Populate(path, 3);
    chmod(path.c_str(), 0444);
    chmod(sub.c_str(), 0555);
    auto store = Open(path);
    chmod(sub.c_str(), 0755);
    REQUIRE_FALSE(store.ok());
    CHECK_MESSAGE(store.status().code() == Status::Code::kIOError, store.status().ToString());
  }
}

TEST_CASE("a write held off by another process's lock beyond the busy timeout is Busy; reads go on") {
  TempDir dir;
  const std::string path = dir.File("locked.db");
  Populate(path, 1);
  auto store = Open(path, /*busy_timeout_ms=*/100);
  REQUIRE(store.ok());
  const std::string arn = ExecutionArn("M", "e0");

  sqlite3* other = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &other) == SQLITE_OK);
  REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);

  Status busy = (*store)->AppendEvents(arn, 20, MakeEvents(21, 1), nullptr);
  CHECK_MESSAGE(busy.IsBusy(), busy.ToString());
  Status busy_create = (*store)->CreateExecution(MakeExecution("M", "late"));
  CHECK(busy_create.IsBusy());
  auto history = (*store)->GetHistory(arn, 0, 100);  // WAL: readers are not blocked
  REQUIRE(history.ok());
  CHECK(history->size() == 20);

  REQUIRE(sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr) == SQLITE_OK);
  sqlite3_close(other);
  // Retrying works once the lock is gone.
  CHECK((*store)->AppendEvents(arn, 20, MakeEvents(21, 1), nullptr).ok());
  CHECK((*store)->GetHistory(arn, 0, 100)->size() == 21);
}

// Writes executions with 4 KiB inputs until a write fails; returns how many committed.
int FillUntilFull(Store& store, Status* failure) {
  for (int i = 0; i < 100000; ++i) {
    ExecutionRecord r = MakeExecution("M", "fill" + std::to_string(i), i, std::string(4096, 'f'));
    Status s = store.CreateExecution(r);
    if (!s.ok()) {
      *failure = s;
      return i;
    }
  }
  return -1;
}

void CheckFilled(Store& store, int committed) {
  for (int i = 0; i < committed; ++i) {
    auto got = store.GetExecution(ExecutionArn("M", "fill" + std::to_string(i)));
    REQUIRE_MESSAGE(got.ok(), got.status().ToString());
    CHECK(got->input.size() == 4096);
  }
}

TEST_CASE("processes opening one new database file at the same instant all get it (the WAL switch waits its turn)") {
  TempDir dir;
  for (int round = 0; round < 20; ++round) {
    const std::string path = dir.File("race" + std::to_string(round) + ".db");
    std::vector<std::thread> threads;
    std::vector<std::string> errors(4);
    for (size_t t = 0; t < errors.size(); ++t) {
      threads.emplace_back([&, t] {
        SqliteOptions options;
        options.path = path;
        auto store = OpenSqliteStore(options);
        if (!store.ok()) errors[t] = store.status().ToString();
      });
    }
    for (auto& t : threads) t.join();
    for (const std::string& e : errors) CHECK_MESSAGE(e.empty(), "round " << round << ": " << e);
  }
}

TEST_CASE("a full database (max_page_count) fails writes with IOError and keeps what was committed") {
  TempDir dir;
  const std::string path = dir.File("capped.db");
  int committed = 0;
  {
    auto store = Open(path, 5000, /*max_pages=*/64);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    Status failure;
    committed = FillUntilFull(**store, &failure);
    REQUIRE(committed > 0);
    MESSAGE("committed ", committed, " then: ", failure.ToString());
    CHECK_MESSAGE(failure.code() == Status::Code::kIOError, failure.ToString());
    CHECK_MESSAGE(failure.message().find("full") != std::string::npos, failure.ToString());
    CheckFilled(**store, committed);
    // Appends to an existing execution fail the same way, and leave it as it was.
    Status s;
    for (int i = 0; i < 1000 && s.ok(); ++i) {
      s = (*store)->AppendEvents(ExecutionArn("M", "fill0"), i * 50, MakeEvents(i * 50 + 1, 50), nullptr);
    }
    CHECK_MESSAGE(s.code() == Status::Code::kIOError, s.ToString());
  }
  auto store = Open(path);  // no cap now: room again
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  CheckFilled(**store, committed);
  auto history = (*store)->GetHistory(ExecutionArn("M", "fill0"), 0, SIZE_MAX);
  REQUIRE(history.ok());
  for (size_t i = 0; i < history->size(); ++i) CHECK((*history)[i].id == static_cast<int64_t>(i + 1));
  CHECK((*store)->CreateExecution(MakeExecution("M", "after")).ok());
}

TEST_CASE("a full file system fails writes with IOError and keeps what was committed") {
  if (geteuid() != 0) {
    MESSAGE("skipped: mounting a small tmpfs needs root");
    return;
  }
  TempDir dir;
  const std::string sub = dir.File("small");
  std::filesystem::create_directory(sub);
  ScopedTmpfs fs(sub, "512k");
  if (!fs.ok()) {
    MESSAGE("skipped: cannot mount a tmpfs here");
    return;
  }
  const std::string path = sub + "/full.db";
  int committed = 0;
  {
    auto store = Open(path);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString());
    Status failure;
    committed = FillUntilFull(**store, &failure);
    REQUIRE(committed > 0);
    MESSAGE("committed ", committed, " then: ", failure.ToString());
    CHECK_MESSAGE((failure.code() == Status::Code::kIOError), failure.ToString());
    CheckFilled(**store, committed);
  }
  auto store = Open(path);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  CheckFilled(**store, committed);
}

// Event type names are kept once per process, at most 4,096 of them. Run in a
// child, so the names it adds do not fill the table for the other tests.
TEST_CASE("a history naming more event types than a process keeps is refused, saying so") {
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::vector<std::string> names;
    for (int i = 0; i < 5000; ++i) names.push_back("HostileType" + std::to_string(i));
    std::vector<HistoryEventRecord> events = MakeEvents(1, static_cast<int>(names.size()));
    for (size_t i = 0; i < events.size(); ++i) events[i].type = names[i];
    std::string chunk;
    EncodeHistoryChunk(events.data(), events.data() + events.size(), events.size(), SIZE_MAX, &chunk);
    std::vector<HistoryEventRecord> out;
    Status s = DecodeHistoryChunk(chunk, 0, SIZE_MAX, "hostile.db", &out);
    bool said = s.code() == Status::Code::kCorruption && s.ToString().find("hostile.db") != std::string::npos &&
                s.ToString().find("4,096 distinct event types") != std::string::npos;
    _exit(said ? 0 : 1);
  }
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

}  // namespace
}  // namespace stepflow::storage
