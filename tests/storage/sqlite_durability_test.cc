// SqliteStore on a file: what was committed is there after a reopen, and the
// schema version guards the file against the wrong stepflow.

#include <doctest/doctest.h>
#include <sqlite3.h>

#include <fstream>
#include <iterator>
#include <string>

#include "stepflow/storage/sqlite_store.h"
#include "schema.h"
#include "storage_test_util.h"

namespace stepflow::storage {
namespace {

using testing::ExecutionArn;
using testing::MachineArn;
using testing::MakeEvents;
using testing::MakeExecution;
using testing::TempDir;

std::unique_ptr<Store> OpenOrDie(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  auto store = OpenSqliteStore(options);
  REQUIRE_MESSAGE(store.ok(), store.status().ToString());
  return std::move(store).value();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void RawExec(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql, nullptr, nullptr, &err);
  CHECK_MESSAGE(rc == SQLITE_OK, (err ? err : ""));
  sqlite3_free(err);
  sqlite3_close(db);
}

TEST_CASE("a reopened database holds every committed record") {
  TempDir dir;
  const std::string path = dir.File("reopen.db");
  const std::string a = ExecutionArn("M", "a");
  {
    auto store = OpenOrDie(path);
    StateMachineRecord m;
    m.arn = MachineArn("M");
    m.name = "M";
    m.definition = R"({"v":1})";
    m.creation_time_ns = 1;
    REQUIRE(store->CreateStateMachine(m).ok());
    m.definition = R"({"v":2})";
    REQUIRE(store->UpdateStateMachine(m).ok());
    REQUIRE(store->CreateExecution(MakeExecution("M", "a", 10)).ok());
    REQUIRE(store->CreateExecution(MakeExecution("M", "b", 20)).ok());
    AppendRequest r;
    r.execution_arn = a;
    r.events = MakeEvents(1, 3);
    r.put_timers = {{a, "wait:3", 12345, "payload"}};
    r.put_task_tokens = {{"tok", a, "Approve", 3, TaskTokenStatus::kPending, 7}};
    REQUIRE(store->Append(r).ok());
    ExecutionRecord b = MakeExecution("M", "b", 20);
    b.status = ExecutionStatus::kSucceeded;
    b.output = R"({"done":true})";
    b.stop_time_ns = 99;
    REQUIRE(store->AppendEvents(b.arn, 0, MakeEvents(1, 2), &b).ok());
  }
  auto store = OpenOrDie(path);
  auto machine = store->GetStateMachine(MachineArn("M"));
  REQUIRE(machine.ok());
  CHECK(machine->revision == 2);
  CHECK(store->GetStateMachineRevision(MachineArn("M"), 1)->definition == R"({"v":1})");
  auto history = store->GetHistory(a, 0, 100);
  REQUIRE(history.ok());
  REQUIRE(history->size() == 3);
  CHECK((*history)[2].details_json == MakeEvents(3, 1)[0].details_json);
  auto running = store->ListRunningExecutions();
  REQUIRE(running.ok());
  REQUIRE(running->size() == 1);
  CHECK((*running)[0].arn == a);
  auto b = store->GetExecution(ExecutionArn("M", "b"));
  REQUIRE(b.ok());
  CHECK(b->status == ExecutionStatus::kSucceeded);
  CHECK(b->output == R"({"done":true})");
  CHECK(b->stop_time_ns == 99);
  auto timers = store->DueTimers(INT64_MAX, 10);
  REQUIRE(timers.ok());
  REQUIRE(timers->size() == 1);
  CHECK((*timers)[0].due_time_ns == 12345);
  CHECK(store->GetTaskToken("tok")->state_name == "Approve");
  // And the conditional append continues from the persisted last id.
  CHECK(store->AppendEvents(a, 2, MakeEvents(3, 1), nullptr).IsConflict());
  CHECK(store->AppendEvents(a, 3, MakeEvents(4, 1), nullptr).ok());
}

TEST_CASE("a new database is in WAL mode at the current schema version") {
  TempDir dir;
  const std::string path = dir.File("fresh.db");
  { OpenOrDie(path); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT version FROM schema_version", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(sqlite3_column_int(stmt, 0) == kSqliteSchemaVersion);
  sqlite3_finalize(stmt);
  REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST_CASE("the queries the API makes use their indexes") {
  TempDir dir;
  const std::string path = dir.File("plan.db");
  { OpenOrDie(path); }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  auto plan = [&](const char* sql) {
    std::string out;
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, (std::string("EXPLAIN QUERY PLAN ") + sql).c_str(), -1, &stmt, nullptr) ==
            SQLITE_OK);
    while (sqlite3_step(stmt) == SQLITE_ROW)
      out += std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 3))) + "; ";
    sqlite3_finalize(stmt);
    return out;
  };
  std::string by_machine = plan(
      "SELECT arn FROM executions WHERE state_machine_arn = 'm' AND status = 'RUNNING' "
      "ORDER BY start_time_ns DESC, id DESC LIMIT 10");
  CHECK_MESSAGE(by_machine.find("executions_by_machine_status") != std::string::npos, by_machine);
  CHECK_MESSAGE(by_machine.find("TEMP B-TREE") == std::string::npos, by_machine);
  std::string history = plan(
      "SELECT c.events FROM executions e LEFT JOIN history_chunks c ON c.execution_id = e.id AND c.last_event_id > 5 "
      "WHERE e.arn = 'x' ORDER BY c.last_event_id");
  CHECK_MESSAGE(history.find("history_chunks_by_execution") != std::string::npos, history);
  std::string timers = plan("SELECT timer_id FROM timers WHERE due_time_ns <= 5 ORDER BY due_time_ns LIMIT 10");
  CHECK_MESSAGE(timers.find("timers_by_due_time") != std::string::npos, timers);
  std::string running = plan("SELECT arn FROM executions WHERE status = 'RUNNING' ORDER BY start_time_ns, id");
  CHECK_MESSAGE(running.find("executions_running") != std::string::npos, running);
  sqlite3_close(db);
}

TEST_CASE("a database of a newer schema version is refused, naming both versions, and left untouched") {
  TempDir dir;
  const std::string path = dir.File("newer.db");
  {
    auto store = OpenOrDie(path);
    REQUIRE(store->CreateExecution(MakeExecution("M", "a")).ok());
  }
  RawExec(path, "UPDATE schema_version SET version = 7");
  const std::string before = ReadFile(path);

  SqliteOptions options;
  options.path = path;
  auto store = OpenSqliteStore(options);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().IsInvalidArgument());
  const std::string message = store.status().message();
  CHECK_MESSAGE(message.find("schema version 7") != std::string::npos, message);
  CHECK_MESSAGE(message.find("version " + std::to_string(kSqliteSchemaVersion)) != std::string::npos, message);
  CHECK(ReadFile(path) == before);
}

TEST_CASE("an SQLite database that is not stepflow's is refused and left untouched") {
  TempDir dir;
  const std::string path = dir.File("other.db");
  RawExec(path, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'x')");
  const std::string before = ReadFile(path);
  SqliteOptions options;
  options.path = path;
  auto store = OpenSqliteStore(options);
  REQUIRE_FALSE(store.ok());
  CHECK(store.status().IsInvalidArgument());
  CHECK_MESSAGE(store.status().message().find("not a stepflow") != std::string::npos, store.status().ToString());
  CHECK(ReadFile(path) == before);
}

TEST_CASE("synchronous FULL is an option that opens and commits like NORMAL") {
  TempDir dir;
  SqliteOptions options;
  options.path = dir.File("full.db");
  options.synchronous = SqliteOptions::Synchronous::kFull;
  auto store = OpenSqliteStore(options);
  REQUIRE(store.ok());
  REQUIRE((*store)->CreateExecution(MakeExecution("M", "a")).ok());
  CHECK((*store)->AppendEvents(ExecutionArn("M", "a"), 0, MakeEvents(1, 2), nullptr).ok());
}

TEST_CASE("an empty path is an invalid argument") {
  SqliteOptions options;
  CHECK(OpenSqliteStore(options).status().IsInvalidArgument());
}

TEST_CASE("a version 1 database is migrated on open, keeping its executions, and gains checkpoints") {
  TempDir dir;
  const std::string path = dir.File("v1.db");
  RawExec(path, stepflow::storage::SchemaMigrations()[0]);
  RawExec(path,
          "INSERT INTO schema_version (id, version) VALUES (1, 1);"
          "INSERT INTO executions (arn, name, state_machine_arn, state_machine_revision, status, input, "
          "start_time_ns) VALUES ('arn:aws:states:us-east-1:1:execution:M:old', 'old', "
          "'arn:aws:states:us-east-1:1:stateMachine:M', 1, 'RUNNING', '{}', 5)");
  auto store = OpenOrDie(path);
  auto old = store->GetExecution("arn:aws:states:us-east-1:1:execution:M:old");
  REQUIRE(old.ok());
  CHECK(old->status == stepflow::storage::ExecutionStatus::kRunning);
  auto none = store->GetCheckpoint(old->arn);
  REQUIRE(none.ok());
  CHECK(none->empty());
  stepflow::storage::AppendRequest request;
  request.execution_arn = old->arn;
  request.checkpoint = "{\"v\":1}";
  REQUIRE(store->Append(request).ok());
  CHECK(*store->GetCheckpoint(old->arn) == "{\"v\":1}");
}

TEST_CASE("a version 2 database is migrated on open: its history reads back the same, and SQL still sees events") {
  TempDir dir;
  const std::string path = dir.File("v2.db");
  RawExec(path, stepflow::storage::SchemaMigrations()[0]);
  RawExec(path, stepflow::storage::SchemaMigrations()[1]);
  const std::string arn = "arn:aws:states:us-east-1:1:execution:M:old";
  const std::string rows =
          "INSERT INTO schema_version (id, version) VALUES (1, 2);"
          "INSERT INTO executions (arn, name, state_machine_arn, state_machine_revision, status, input, "
          "start_time_ns, last_event_id) VALUES ('" + arn + "', 'old', "
          "'arn:aws:states:us-east-1:1:stateMachine:M', 1, 'RUNNING', '{}', 5, 3);"
          "INSERT INTO history_events VALUES (1, 1, 0, 10, 'ExecutionStarted', "
          "'{\"input\":\"{\\\"a\\\":\\\"]\\\"}\",\"roleArn\":\"r\"}');"
          "INSERT INTO history_events VALUES (1, 2, 1, 11, 'PassStateEntered', '{\"name\":\"P\"}');"
          "INSERT INTO history_events VALUES (1, 3, 2, 12, 'Odd\"Type', NULL);";
  RawExec(path, rows.c_str());
  {
    auto store = OpenOrDie(path);
    auto history = store->GetHistory(arn, 0, 10);
    REQUIRE(history.ok());
    REQUIRE(history->size() == 3);
    CHECK((*history)[0].type == "ExecutionStarted");
    CHECK((*history)[0].details_json == R"({"input":"{\"a\":\"]\"}","roleArn":"r"})");
    CHECK((*history)[1].previous_event_id == 1);
    CHECK((*history)[1].timestamp_ns == 11);
    CHECK((*history)[2].type == "Odd\"Type");
    CHECK((*history)[2].details_json.empty());
    // The next step appends after the migrated events.
    REQUIRE(store->AppendEvents(arn, 3, MakeEvents(4, 2), nullptr).ok());
    auto tail = store->GetHistory(arn, 2, 10);
    REQUIRE(tail.ok());
    REQUIRE(tail->size() == 3);
    CHECK((*tail)[0].id == 3);
    CHECK((*tail)[2].id == 5);
  }
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  REQUIRE(sqlite3_prepare_v2(db, "SELECT group_concat(id || ':' || type, ' ') FROM history_events", -1, &stmt,
                             nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
  CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) ==
        "1:ExecutionStarted 2:PassStateEntered 3:Odd\"Type 4:PassStateEntered 5:PassStateEntered");
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

}  // namespace
}  // namespace stepflow::storage
