#include "stepflow/storage/sqlite_store.h"

#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <future>
#include <limits>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "records.h"
#include "history_chunk.h"
#include "schema.h"

namespace stepflow::storage {

namespace {

// SQLite's LIMIT is a signed 64-bit integer; callers pass SIZE_MAX for "all".
int64_t ClampLimit(size_t limit) {
  return limit > static_cast<size_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                          : static_cast<int64_t>(limit);
}

// Maps an SQLite result code to our Status codes: what a caller can do about it.
Status SqliteError(int rc, const char* detail, const std::string& what) {
  std::string message = "sqlite: " + what + ": " + (detail != nullptr ? detail : sqlite3_errstr(rc));
  if (detail != nullptr && std::string_view(detail) != sqlite3_errstr(rc))
    message += std::string(" (") + sqlite3_errstr(rc) + ")";
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(std::move(message));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(std::move(message));
    case SQLITE_FULL:
    case SQLITE_IOERR:
    case SQLITE_READONLY:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_AUTH:
      return Status::IOError(std::move(message));
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return Status::InvalidArgument(std::move(message));
    default:
      return Status::Internal(std::move(message));
  }
}

// A prepared statement borrowed from a Connection's cache; reset on release so
// it holds no read snapshot and no references to bound strings.
class Stmt {
 public:
  explicit Stmt(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~Stmt() {
    if (stmt_ != nullptr) {
      sqlite3_reset(stmt_);
      sqlite3_clear_bindings(stmt_);
    }
  }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  // Bound text is SQLITE_STATIC: it must outlive the statement's use, which
  // it does, since a Stmt lives within one call.
  void Bind(int i, int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
  void Bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
  }
  void Bind(int i, const char* v) { sqlite3_bind_text(stmt_, i, v, -1, SQLITE_STATIC); }
  void Bind(int i, const std::optional<std::string>& v) {
    if (v) {
      Bind(i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  void Bind(int i, const std::optional<int64_t>& v) {
    if (v) {
      Bind(i, *v);
    } else {
      sqlite3_bind_null(stmt_, i);
    }
  }
  void BindNullIfEmpty(int i, const std::string& v) {
    if (v.empty()) {
      sqlite3_bind_null(stmt_, i);
    } else {
      Bind(i, v);
    }
  }

  int Step() { return sqlite3_step(stmt_); }
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  bool IsNull(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  // Valid until the next Step or reset.
  std::string_view TextView(int col) {
    const unsigned char* text = sqlite3_column_text(stmt_, col);
    return text == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char*>(text),
                                                                   static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
  }
  std::string Text(int col) {
    const unsigned char* p = sqlite3_column_text(stmt_, col);
    return p == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(p), sqlite3_column_bytes(stmt_, col));
  }
  std::optional<std::string> OptText(int col) {
    if (IsNull(col)) return std::nullopt;
    return Text(col);
  }
  std::optional<int64_t> OptInt(int col) {
    if (IsNull(col)) return std::nullopt;
    return Int(col);
  }

 private:
  sqlite3_stmt* stmt_;
};

// One SQLite connection and its cache of prepared statements.
// Not thread-safe: its owner serialises use.
class Connection {
 public:
  ~Connection() {
    for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
    // Close even on error: sqlite3_close_v2 defers until statements finalize.
    sqlite3_close_v2(db_);
  }

  static StatusOr<std::unique_ptr<Connection>> Open(const std::string& path, int busy_timeout_ms) {
    sqlite3* db = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    auto conn = std::unique_ptr<Connection>(new Connection(db, path));
    if (rc != SQLITE_OK) {
      return SqliteError(rc, db != nullptr ? sqlite3_errmsg(db) : nullptr, "cannot open " + path);
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, busy_timeout_ms);
    return conn;
  }

  sqlite3* db() const { return db_; }
  const std::string& path() const { return path_; }

  Status Error(int rc, const std::string& what) const {
    return SqliteError(rc, sqlite3_errmsg(db_), what + " in " + path_);
  }

  // A cached statement for `sql`. On error, *status says why and the Stmt is empty.
  sqlite3_stmt* Prepare(const std::string& sql, Status* status) {
    auto it = cache_.find(sql);
    if (it != cache_.end()) return it->second;
    sqlite3_stmt* stmt = nullptr;
    int rc =
        sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      *status = Error(rc, "prepare statement");
      return nullptr;
    }
    cache_.emplace(sql, stmt);
    return stmt;
  }

  // Runs a statement that returns no rows.
  Status Exec(const std::string& sql) {
    Status s;
    sqlite3_stmt* raw = Prepare(sql, &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    int rc = stmt.Step();
    while (rc == SQLITE_ROW) rc = stmt.Step();
    if (rc != SQLITE_DONE) return Error(rc, sql);
    return Status::OK();
  }

  // Runs a multi-statement script (DDL); not cached.
  Status ExecScript(const char* sql, const std::string& what) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    Status s = rc == SQLITE_OK ? Status::OK() : SqliteError(rc, err, what + " in " + path_);
    sqlite3_free(err);
    return s;
  }

  // Rolls back the open transaction, if SQLite has not already done so.
  void Rollback() {
    if (sqlite3_get_autocommit(db_) == 0) {
      // A failed ROLLBACK leaves nothing to do: SQLite rolls back on close.
      (void)Exec("ROLLBACK");
    }
  }

 private:
  Connection(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

constexpr const char* kExecutionColumns =
    "arn, name, state_machine_arn, state_machine_revision, status, input, output, error, cause, start_time_ns, "
    "stop_time_ns";

Status ReadExecution(Stmt& stmt, ExecutionRecord* r) {
  r->arn = stmt.Text(0);
  r->name = stmt.Text(1);
  r->state_machine_arn = stmt.Text(2);
  r->state_machine_revision = stmt.Int(3);
  std::string status = stmt.Text(4);
  std::optional<ExecutionStatus> parsed = ParseExecutionStatus(status);
  if (!parsed) return Status::Corruption("execution " + r->arn + " has unknown status " + status);
  r->status = *parsed;
  r->input = stmt.Text(5);
  r->output = stmt.OptText(6);
  r->error = stmt.OptText(7);
  r->cause = stmt.OptText(8);
  r->start_time_ns = stmt.Int(9);
  r->stop_time_ns = stmt.OptInt(10);
  return Status::OK();
}

const char* SynchronousPragma(SqliteOptions::Synchronous synchronous) {
  return synchronous == SqliteOptions::Synchronous::kFull ? "PRAGMA synchronous = FULL"
                                                          : "PRAGMA synchronous = NORMAL";
}

// Copies the WAL into the database file on its own thread and connection. A
// checkpoint copies megabytes and syncs twice: on the committing thread (SQLite's
// autocheckpoint) it held up every commit behind it (serve_bench: ~4,900
// starts/s with it, ~6,400 without). A PASSIVE checkpoint runs beside the
// writer; the WAL starts over at the first commit after one that caught up.
class Checkpointer {
 public:
  Checkpointer(std::string path, const SqliteOptions& options)
      : path_(std::move(path)), synchronous_(options.synchronous), busy_timeout_ms_(options.busy_timeout_ms) {}

  ~Checkpointer() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // Asks for a checkpoint soon; never blocks. The thread starts at the first
  // request, so a short-lived process (`stepflow run`) never has one.
  void Request() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (requested_) return;
      requested_ = true;
      if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
    }
    cv_.notify_one();
  }

  int64_t completed() const { return completed_.load(std::memory_order_relaxed); }

 private:
  void Loop() {
    std::unique_ptr<Connection> conn;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait(lock, [this] { return stopping_ || requested_; });
        if (stopping_) return;
        requested_ = false;
      }
      // A connection that cannot open or checkpoint is tried again at the next
      // request; meanwhile the writer checkpoints itself at the hard limit.
      if (!conn) {
        StatusOr<std::unique_ptr<Connection>> opened = Connection::Open(path_, busy_timeout_ms_);
        if (!opened.ok() || !(*opened)->Exec(SynchronousPragma(synchronous_)).ok()) continue;
        conn = std::move(*opened);
      }
      if (sqlite3_wal_checkpoint_v2(conn->db(), nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) == SQLITE_OK) {
        completed_.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }

  const std::string path_;
  const SqliteOptions::Synchronous synchronous_;
  const int busy_timeout_ms_;
  std::mutex mu_;  // guards requested_, stopping_ and thread_
  std::condition_variable cv_;
  bool requested_ = false;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int64_t> completed_{0};
};

class SqliteStoreImpl : public SqliteStore {
 public:
  SqliteStoreImpl(SqliteOptions options, std::unique_ptr<Connection> writer, std::unique_ptr<Connection> reader)
      : options_(std::move(options)), writer_(std::move(writer)), reader_(std::move(reader)) {
    if (options_.max_batch == 0) options_.max_batch = 1;
    if (options_.wal_checkpoint_pages < 1) options_.wal_checkpoint_pages = 1;
    if (reader_) {  // a file, in WAL mode
      checkpointer_ = std::make_unique<Checkpointer>(options_.path, options_);
      sqlite3_wal_hook(writer_->db(), &SqliteStoreImpl::OnWalCommit, this);
    }
    writer_thread_ = std::thread([this] { WriterLoop(); });
  }

  ~SqliteStoreImpl() override {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      stopping_ = true;
    }
    queue_cv_.notify_one();
    writer_thread_.join();  // drains the queue first
    checkpointer_.reset();
  }

  SqliteStats Stats() const override {
    SqliteStats stats;
    stats.transactions_committed = transactions_committed_.load(std::memory_order_relaxed);
    stats.writes_committed = writes_committed_.load(std::memory_order_relaxed);
    stats.background_checkpoints = checkpointer_ ? checkpointer_->completed() : 0;
    stats.writer_checkpoints = writer_checkpoints_.load(std::memory_order_relaxed);
    return stats;
  }

  // ---- writes: each is a closure run by the writer thread inside a savepoint

  Status CreateExecution(const ExecutionRecord& record) override {
    return Write([&] { return InsertExecution(record, 0, nullptr, nullptr); });
  }

  Status AppendEvents(const std::string& execution_arn, int64_t expected_last_event_id,
                      const std::vector<HistoryEventRecord>& events, const ExecutionRecord* update) override {
    Status valid = ValidateAppend(execution_arn, expected_last_event_id, events, update, nullptr);
    if (!valid.ok()) return valid;
    return Write([&] { return ApplyAppend(execution_arn, expected_last_event_id, events, update, nullptr); });
  }

  Status Append(const AppendRequest& request) override {
    Status valid = Validate(request);
    if (!valid.ok()) return valid;
    return Write([&] { return Apply(request); });
  }

  void AppendAsync(AppendRequest request, std::function<void(Status)> done) override {
    Status valid = Validate(request);
    if (!valid.ok()) {
      done(valid);
      return;
    }
    auto owned = std::make_shared<AppendRequest>(std::move(request));
    std::vector<WriteOp> op;
    op.push_back(WriteOp{[this, owned] { return Apply(*owned); }, std::move(done)});
    Enqueue(std::move(op));
  }

  void AppendBatchAsync(std::vector<AppendRequest> requests, std::function<void(std::vector<Status>)> done) override {
    // The done of each queued request runs on the writer thread, one after another.
    struct Batch {
      std::vector<AppendRequest> requests;
      std::vector<Status> statuses;
      size_t unanswered = 0;
      std::function<void(std::vector<Status>)> done;
    };
    auto batch = std::make_shared<Batch>();
    batch->statuses.resize(requests.size());
    std::vector<WriteOp> ops;
    for (size_t i = 0; i < requests.size(); ++i) {
      batch->statuses[i] = Validate(requests[i]);
      if (!batch->statuses[i].ok()) continue;
      ops.push_back(WriteOp{[this, batch, i] { return Apply(batch->requests[i]); },
                            [batch, i](Status s) {
                              batch->statuses[i] = std::move(s);
                              if (--batch->unanswered == 0) batch->done(std::move(batch->statuses));
                            }});
    }
    if (ops.empty()) {
      done(std::move(batch->statuses));
      return;
    }
    batch->requests = std::move(requests);
    batch->unanswered = ops.size();
    batch->done = std::move(done);
    Enqueue(std::move(ops));
  }

  Status Validate(const AppendRequest& r) {
    return ValidateAppend(r.execution_arn, r.expected_last_event_id, r.events, r.update ? &*r.update : nullptr, &r);
  }

  // ApplyAppend of a whole request, with what ApplyAppend requires.
  Status Apply(const AppendRequest& r) {
    return ApplyAppend(r.execution_arn, r.expected_last_event_id, r.events, r.update ? &*r.update : nullptr, &r);
  }

  Status CreateStateMachine(const StateMachineRecord& record) override {
    return Write([&]() -> Status {
      Status s;
      {
        sqlite3_stmt* raw = writer_->Prepare(
            "INSERT INTO state_machines (arn, name, type, creation_time_ns, latest_revision) VALUES (?1, ?2, ?3, ?4, "
            "1) "
            "ON CONFLICT (arn) DO NOTHING",
            &s);
        if (raw == nullptr) return s;
        Stmt stmt(raw);
        stmt.Bind(1, record.arn);
        stmt.Bind(2, record.name);
        stmt.Bind(3, record.type);
        stmt.Bind(4, record.creation_time_ns);
        int rc = stmt.Step();
        if (rc != SQLITE_DONE) return writer_->Error(rc, "create state machine " + record.arn);
        if (sqlite3_changes(writer_->db()) == 0) return Status::AlreadyExists("state machine", record.arn);
      }
      return InsertRevision(record.arn, 1, record.definition, record.role_arn, record.creation_time_ns);
    });
  }

  StatusOr<int64_t> UpdateStateMachine(const StateMachineRecord& record) override {
    int64_t revision = 0;
    Status s = Write([&]() -> Status {
      Status err;
      sqlite3_stmt* raw = writer_->Prepare(
          "UPDATE state_machines SET latest_revision = latest_revision + 1 WHERE arn = ?1 RETURNING latest_revision",
          &err);
      if (raw == nullptr) return err;
      {
        Stmt stmt(raw);
        stmt.Bind(1, record.arn);
        int rc = stmt.Step();
        if (rc == SQLITE_DONE) return Status::NotFound("state machine", record.arn);
        if (rc != SQLITE_ROW) return writer_->Error(rc, "update state machine " + record.arn);
        revision = stmt.Int(0);
        rc = stmt.Step();
        if (rc != SQLITE_DONE) return writer_->Error(rc, "update state machine " + record.arn);
      }
      return InsertRevision(record.arn, revision, record.definition, record.role_arn, record.revision_time_ns);
    });
    if (!s.ok()) return s;
    return revision;
  }

  Status DeleteStateMachine(const std::string& arn) override {
    return Write([&]() -> Status {
      StatusOr<int64_t> marked = ChangeMachine(
          "UPDATE state_machines SET deleting = 1 WHERE arn = ?1 AND EXISTS "
          "(SELECT 1 FROM executions WHERE state_machine_arn = ?1 AND status = 'RUNNING')",
          arn);
      if (!marked.ok() || *marked == 1) return marked.status();
      StatusOr<int64_t> deleted = ChangeMachine("DELETE FROM state_machines WHERE arn = ?1", arn);
      if (deleted.ok() && *deleted == 0) return Status::NotFound("state machine", arn);
      return deleted.status();
    });
  }

  // ---- reads

  StatusOr<ExecutionRecord> GetExecution(const std::string& execution_arn) override {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw =
        Reader().Prepare(std::string("SELECT ") + kExecutionColumns + " FROM executions WHERE arn = ?1", &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, execution_arn);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("execution", execution_arn);
    if (rc != SQLITE_ROW) return Reader().Error(rc, "get execution " + execution_arn);
    ExecutionRecord record;
    s = ReadExecution(stmt, &record);
    if (!s.ok()) return s;
    return record;
  }

  StatusOr<std::string> GetCheckpoint(const std::string& execution_arn) override {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare("SELECT checkpoint FROM executions WHERE arn = ?1", &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, execution_arn);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("execution", execution_arn);
    if (rc != SQLITE_ROW) return Reader().Error(rc, "get checkpoint of " + execution_arn);
    return stmt.OptText(0).value_or("");
  }

  StatusOr<std::vector<HistoryEventRecord>> GetHistory(const std::string& execution_arn, int64_t after_event_id,
                                                       size_t limit) override {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    // One statement, one read snapshot: "unknown execution" and "no events"
    // are told apart by the LEFT JOIN's NULL chunk.
    sqlite3_stmt* raw = Reader().Prepare(
        "SELECT c.events FROM executions e "
        "LEFT JOIN history_chunks c ON c.execution_id = e.id AND c.last_event_id > ?2 "
        "WHERE e.arn = ?1 ORDER BY c.last_event_id",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, execution_arn);
    stmt.Bind(2, after_event_id);
    std::vector<HistoryEventRecord> out;
    bool found = false;
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      found = true;
      // A NULL chunk: the execution exists, with no events after after_event_id.
      if (stmt.IsNull(0) || out.size() >= limit) break;
      s = DecodeHistoryChunk(stmt.TextView(0), after_event_id, limit, execution_arn, &out);
      if (!s.ok()) return s;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Reader().Error(rc, "get history of " + execution_arn);
    if (!found) return Status::NotFound("execution", execution_arn);
    return out;
  }

  StatusOr<Page<ExecutionRecord>> ListExecutions(const ListExecutionsQuery& query) override {
    int64_t after_start = 0;
    std::string after_arn;
    if (!query.page_token.empty()) {
      Status s = ParseExecutionPageToken(query.page_token, &after_start, &after_arn);
      if (!s.ok()) return s;
    }
    // One statement text per filter combination, so each uses its index.
    std::string sql = std::string("SELECT ") + kExecutionColumns + " FROM executions WHERE 1";
    if (!query.state_machine_arn.empty()) sql += " AND state_machine_arn = ?1";
    if (query.status) sql += " AND status = ?2";
    // Ties in start time go by id; the token names the last execution by ARN.
    if (!query.page_token.empty()) {
      sql += " AND (start_time_ns, id) < (?3, (SELECT id FROM executions WHERE arn = ?4))";
    }
    sql += " ORDER BY start_time_ns DESC, id DESC LIMIT ?5";

    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(sql, &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    if (!query.state_machine_arn.empty()) stmt.Bind(1, query.state_machine_arn);
    if (query.status) stmt.Bind(2, ExecutionStatusName(*query.status));
    if (!query.page_token.empty()) {
      stmt.Bind(3, after_start);
      stmt.Bind(4, after_arn);
    }
    stmt.Bind(5, ClampLimit(query.limit) == std::numeric_limits<int64_t>::max() ? ClampLimit(query.limit)
                                                                                : ClampLimit(query.limit) + 1);
    Page<ExecutionRecord> page;
    int rc;
    bool more = false;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      if (page.items.size() == query.limit) {
        more = true;
        break;
      }
      s = ReadExecution(stmt, &page.items.emplace_back());
      if (!s.ok()) return s;
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Reader().Error(rc, "list executions");
    if (more && !page.items.empty()) {
      page.next_page_token = ExecutionPageToken(page.items.back().start_time_ns, page.items.back().arn);
    }
    return page;
  }

  StatusOr<std::vector<ExecutionRecord>> ListRunningExecutions() override {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(std::string("SELECT ") + kExecutionColumns +
                                             " FROM executions WHERE status = 'RUNNING' ORDER BY start_time_ns, id",
                                         &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    std::vector<ExecutionRecord> out;
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      s = ReadExecution(stmt, &out.emplace_back());
      if (!s.ok()) return s;
    }
    if (rc != SQLITE_DONE) return Reader().Error(rc, "list running executions");
    return out;
  }

  StatusOr<std::vector<TimerRecord>> DueTimers(int64_t now_ns, size_t limit) override {
    return ReadTimers(
        "SELECT e.arn, t.timer_id, t.due_time_ns, t.payload FROM timers t JOIN executions e ON e.id = t.execution_id "
        "WHERE t.due_time_ns <= ?1 ORDER BY t.due_time_ns, e.arn, t.timer_id LIMIT ?2",
        [&](Stmt& stmt) {
          stmt.Bind(1, now_ns);
          stmt.Bind(2, ClampLimit(limit));
        });
  }

  StatusOr<std::vector<TimerRecord>> ListTimers(const std::string& execution_arn) override {
    return ReadTimers(
        "SELECT e.arn, t.timer_id, t.due_time_ns, t.payload FROM timers t JOIN executions e ON e.id = t.execution_id "
        "WHERE e.arn = ?1 ORDER BY t.due_time_ns, t.timer_id",
        [&](Stmt& stmt) { stmt.Bind(1, execution_arn); });
  }

  StatusOr<TaskTokenRecord> GetTaskToken(const std::string& token) override {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(
        "SELECT e.arn, t.state_name, t.scheduled_event_id, t.status, t.updated_time_ns FROM task_tokens t "
        "JOIN executions e ON e.id = t.execution_id WHERE t.token = ?1",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, token);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("task token", token);
    if (rc != SQLITE_ROW) return Reader().Error(rc, "get task token");
    TaskTokenRecord r;
    r.token = token;
    r.execution_arn = stmt.Text(0);
    r.state_name = stmt.Text(1);
    r.scheduled_event_id = stmt.Int(2);
    std::string status = stmt.Text(3);
    std::optional<TaskTokenStatus> parsed = ParseTaskTokenStatus(status);
    if (!parsed) return Status::Corruption("task token has unknown status " + status);
    r.status = *parsed;
    r.updated_time_ns = stmt.Int(4);
    return r;
  }

  StatusOr<StateMachineRecord> GetStateMachine(const std::string& arn) override {
    return ReadStateMachine(arn, std::nullopt);
  }

  StatusOr<StateMachineRecord> GetStateMachineRevision(const std::string& arn, int64_t revision) override {
    return ReadStateMachine(arn, revision);
  }

  StatusOr<StateMachineHead> GetStateMachineHead(const std::string& arn) override {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(
        "SELECT latest_revision, creation_time_ns, deleting FROM state_machines WHERE arn = ?1", &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, arn);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) return Status::NotFound("state machine", arn);
    if (rc != SQLITE_ROW) return Reader().Error(rc, "get state machine " + arn);
    return StateMachineHead{stmt.Int(0), stmt.Int(1), stmt.Int(2) != 0};
  }

  StatusOr<Page<StateMachineRecord>> ListStateMachines(const std::string& page_token, size_t limit) override {
    std::string after;
    if (!page_token.empty()) {
      Status s = ParseStateMachinePageToken(page_token, &after);
      if (!s.ok()) return s;
    }
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(
        "SELECT m.arn, m.name, m.type, m.creation_time_ns, r.revision, r.definition, r.role_arn, r.revision_time_ns, "
        "m.deleting FROM state_machines m JOIN state_machine_revisions r "
        "ON r.state_machine_arn = m.arn AND r.revision = m.latest_revision "
        "WHERE (?1 IS NULL OR m.arn > ?1) AND NOT m.deleting ORDER BY m.arn LIMIT ?2",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    if (!page_token.empty()) stmt.Bind(1, after);
    stmt.Bind(2, ClampLimit(limit) == std::numeric_limits<int64_t>::max() ? ClampLimit(limit) : ClampLimit(limit) + 1);
    Page<StateMachineRecord> page;
    int rc;
    bool more = false;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      if (page.items.size() == limit) {
        more = true;
        break;
      }
      ReadStateMachineRow(stmt, &page.items.emplace_back());
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Reader().Error(rc, "list state machines");
    if (more && !page.items.empty()) page.next_page_token = StateMachinePageToken(page.items.back().arn);
    return page;
  }

 private:
  struct WriteOp {
    std::function<Status()> apply;     // runs inside a transaction, under writer_mu_
    std::function<void(Status)> done;  // runs on the writer thread after the commit
  };

  // Runs `apply` in a transaction and blocks until it has committed. A lone
  // writer (nothing queued or running, and no contention lately) commits on
  // its own thread, paying no hand-off to the writer thread and back. Under
  // contention it queues, and the writer thread batches it with the others.
  template <typename F>
  Status Write(F&& apply) {
    // From the writer thread (an AppendAsync callback) this would wait for
    // itself forever.
    if (std::this_thread::get_id() == writer_thread_.get_id()) {
      return Status::Internal("a blocking SqliteStore write was called from an AppendAsync callback");
    }
    std::unique_lock<std::mutex> queue_lock(queue_mu_);
    if (!writing_ && !contended_ && queue_.empty()) {
      writing_ = true;
      queue_lock.unlock();
      std::vector<WriteOp> batch(1);
      batch[0].apply = std::forward<F>(apply);
      std::vector<Status> results(1);
      {
        std::lock_guard<std::mutex> lock(writer_mu_);
        RunBatch(batch, &results);
      }
      queue_lock.lock();
      writing_ = false;
      bool more = !queue_.empty();
      if (more) contended_ = true;  // others waited on us: batch from now on
      queue_lock.unlock();
      if (more) queue_cv_.notify_one();  // requests queued behind us: the writer thread takes them
      return results[0];
    }
    queue_lock.unlock();
    std::promise<Status> promise;
    std::future<Status> future = promise.get_future();
    std::vector<WriteOp> op;
    op.push_back(WriteOp{std::forward<F>(apply), [&promise](Status s) { promise.set_value(std::move(s)); }});
    Enqueue(std::move(op));
    return future.get();
  }

  // Queues `ops` together, in order, for the writer thread.
  void Enqueue(std::vector<WriteOp> ops) {
    {
      std::lock_guard<std::mutex> lock(queue_mu_);
      for (WriteOp& op : ops) queue_.push_back(std::move(op));
    }
    queue_cv_.notify_one();
  }

  // The group commit: take everything queued (up to max_batch), run it in one
  // transaction, each request in a savepoint so its failure undoes only its own
  // writes, commit once, then tell every caller its own outcome.
  void WriterLoop() {
    std::vector<WriteOp> batch;
    std::vector<Status> results;
    for (;;) {
      {
        std::unique_lock<std::mutex> lock(queue_mu_);
        // While a caller commits inline, let the queue grow into a bigger batch.
        queue_cv_.wait(lock, [this] { return stopping_ || (!queue_.empty() && !writing_); });
        if (queue_.empty()) return;  // stopping, and drained
        writing_ = true;
        size_t n = std::min(queue_.size(), options_.max_batch);
        contended_ = n > 1;  // a batch of one: the contention is over
        batch.clear();
        for (size_t i = 0; i < n; ++i) {
          batch.push_back(std::move(queue_.front()));
          queue_.pop_front();
        }
      }
      results.assign(batch.size(), Status::OK());
      {
        std::lock_guard<std::mutex> lock(writer_mu_);
        RunBatch(batch, &results);
      }
      {
        std::lock_guard<std::mutex> lock(queue_mu_);
        writing_ = false;
      }
      for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
    }
  }

  // After each commit, with the WAL's size in pages. The background checkpoint
  // cannot always catch up: readers may hold old pages, and under steady load
  // commits land while it copies. Past four times its threshold the writer
  // checkpoints itself, as SQLite's autocheckpoint would; that fails at once
  // while the background one holds the checkpoint lock, which on a loaded
  // machine was the whole run (the WAL grew as with no checkpoints at all). So
  // past sixteen times the writer waits for the lock: commits pause, and the
  // WAL stays bounded.
  static int OnWalCommit(void* self, sqlite3* db, const char*, int pages) {
    auto* store = static_cast<SqliteStoreImpl*>(self);
    const int64_t threshold = store->options_.wal_checkpoint_pages;
    if (pages < threshold) return SQLITE_OK;
    if (pages < 4 * threshold) {
      store->checkpointer_->Request();
      return SQLITE_OK;
    }
    const bool wait = pages >= 16 * threshold;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(store->options_.busy_timeout_ms);
    int rc;
    while ((rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr)) == SQLITE_BUSY &&
           wait && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (rc == SQLITE_OK) store->writer_checkpoints_.fetch_add(1, std::memory_order_relaxed);
    return SQLITE_OK;
  }

  // REQUIRES: writer_mu_ held.
  // Requests first run without savepoints: one refused before it wrote
  // anything (an unknown execution, a stale history, a name taken: each is
  // checked first) needs no undo. When a request fails after writing, the
  // batch is rolled back and runs again with each request in a savepoint, so
  // its writes alone are undone.
  void RunBatch(std::vector<WriteOp>& batch, std::vector<Status>* results) {
    if (RunBatchOnce(batch, results, /*savepoints=*/false)) return;
    results->assign(batch.size(), Status::OK());
    RunBatchOnce(batch, results, /*savepoints=*/true);
  }

  // False (everything rolled back, nothing answered) when, without
  // savepoints, a failed request had written rows.
  bool RunBatchOnce(std::vector<WriteOp>& batch, std::vector<Status>* results, bool savepoints) {
    ids_seen_.clear();
    Status begin = writer_->Exec("BEGIN IMMEDIATE");
    if (!begin.ok()) {
      writer_->Rollback();
      for (Status& r : *results) r = begin;
      return true;
    }
    sqlite3* db = writer_->db();
    size_t applied = 0;
    for (size_t i = 0; i < batch.size(); ++i) {
      Status s = savepoints ? writer_->Exec("SAVEPOINT request") : Status::OK();
      bool undone = true;
      if (s.ok()) {
        const int64_t changes_before = sqlite3_total_changes64(db);
        s = batch[i].apply();
        if (s.ok()) {
          if (savepoints) s = writer_->Exec("RELEASE request");
        } else if (sqlite3_get_autocommit(db) == 0) {
          if (!savepoints) {
            if (sqlite3_total_changes64(db) != changes_before) {
              writer_->Rollback();
              return false;
            }
          } else {
            // Undo this request's partial writes; the others in the batch stay.
            Status undo = writer_->Exec("ROLLBACK TO request");
            if (undo.ok()) undo = writer_->Exec("RELEASE request");
            undone = undo.ok();
          }
        }
      }
      (*results)[i] = s;
      if (s.ok()) ++applied;
      // An I/O error or a full disk can make SQLite roll back the whole
      // transaction, and a failed undo leaves this request half-written: then
      // nothing of the batch may be committed. Requests that had failed on
      // their own keep their own error; the others get this one.
      if (!undone || sqlite3_get_autocommit(db) != 0) {
        writer_->Rollback();
        Status lost = s.ok() ? Status::IOError("sqlite: transaction rolled back in " + writer_->path()) : s;
        for (size_t j = 0; j < batch.size(); ++j) {
          if (j >= i || (*results)[j].ok()) (*results)[j] = lost;
        }
        return true;
      }
    }
    if (applied == 0) {
      writer_->Rollback();  // nothing to make durable
      return true;
    }
    Status commit = writer_->Exec("COMMIT");
    if (!commit.ok()) {
      writer_->Rollback();
      for (Status& r : *results) {
        if (r.ok()) r = commit;
      }
      return true;
    }
    RememberIds();
    transactions_committed_.fetch_add(1, std::memory_order_relaxed);
    writes_committed_.fetch_add(static_cast<int64_t>(applied), std::memory_order_relaxed);
    return true;
  }

  // ---- writer-thread helpers (REQUIRES: writer_mu_ held, inside a savepoint)

  // Binds (flag, value) for "checkpoint = iif(flag, value, checkpoint)": an
  // absent checkpoint keeps the stored one, an empty one clears it. (A
  // parameter left unbound is NULL: a Stmt clears its bindings on release.)
  static void BindCheckpoint(Stmt& stmt, int i, const std::string* checkpoint) {
    stmt.Bind(i, static_cast<int64_t>(checkpoint != nullptr));
    if (checkpoint != nullptr) stmt.BindNullIfEmpty(i + 1, *checkpoint);
  }

  // Inserts the row; `id` gets its rowid. A start that also ends in its first
  // commit inserts its final row with its last event id and checkpoint.
  Status InsertExecution(const ExecutionRecord& r, int64_t last_event_id, const std::string* checkpoint,
                         int64_t* id) {
    Status s;
    sqlite3_stmt* raw = writer_->Prepare(
        "INSERT INTO executions (arn, name, state_machine_arn, state_machine_revision, status, input, output, error, "
        "cause, start_time_ns, stop_time_ns, last_event_id, checkpoint) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) ON CONFLICT (arn) DO NOTHING",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, r.arn);
    stmt.Bind(2, r.name);
    stmt.Bind(3, r.state_machine_arn);
    stmt.Bind(4, r.state_machine_revision);
    stmt.Bind(5, ExecutionStatusName(r.status));
    stmt.Bind(6, r.input);
    stmt.Bind(7, r.output);
    stmt.Bind(8, r.error);
    stmt.Bind(9, r.cause);
    stmt.Bind(10, r.start_time_ns);
    stmt.Bind(11, r.stop_time_ns);
    stmt.Bind(12, last_event_id);
    if (checkpoint != nullptr) stmt.BindNullIfEmpty(13, *checkpoint);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) return writer_->Error(rc, "create execution " + r.arn);
    if (sqlite3_changes(writer_->db()) == 0) return Status::AlreadyExists("execution", r.arn);
    if (id != nullptr) *id = sqlite3_last_insert_rowid(writer_->db());
    return Status::OK();
  }

  // History rows hold up to this many events (or about this many bytes), so
  // a page of history reads a few rows, not the whole history.
  static constexpr size_t kChunkEvents = 64;
  static constexpr size_t kChunkBytes = 64 * 1024;

  Status InsertHistoryChunks(int64_t execution_id, const std::string& arn,
                             const std::vector<HistoryEventRecord>& events) {
    Status s;
    sqlite3_stmt* raw = writer_->Prepare(
        "INSERT INTO history_chunks (execution_id, first_event_id, last_event_id, events) VALUES (?1, ?2, ?3, ?4)",
        &s);
    if (raw == nullptr) return s;
    Scratch scratch(&chunk_text_);
    std::string& text = *scratch.text();
    for (size_t begin = 0, end; begin < events.size(); begin = end) {
      end = begin +
            EncodeHistoryChunk(events.data() + begin, events.data() + events.size(), kChunkEvents, kChunkBytes, &text);
      Stmt stmt(raw);
      stmt.Bind(1, execution_id);
      stmt.Bind(2, events[begin].id);
      stmt.Bind(3, events[end - 1].id);
      stmt.Bind(4, text);
      int rc = stmt.Step();
      if (rc != SQLITE_DONE) return writer_->Error(rc, "append to " + arn);
    }
    return Status::OK();
  }

  // Sets the last event id and checkpoint of execution `id`, if it is `arn`
  // and its history ends at `expected`; *updated says whether it was.
  Status UpdateProgress(int64_t id, const std::string& arn, int64_t expected, int64_t last_event_id,
                        const std::string* checkpoint, bool* updated) {
    Status s;
    sqlite3_stmt* raw = writer_->Prepare(
        "UPDATE executions SET last_event_id = ?2, checkpoint = iif(?3, ?4, checkpoint) "
        "WHERE id = ?1 AND arn = ?5 AND last_event_id = ?6",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, id);
    stmt.Bind(2, last_event_id);
    BindCheckpoint(stmt, 3, checkpoint);
    stmt.Bind(5, arn);
    stmt.Bind(6, expected);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) return writer_->Error(rc, "append to " + arn);
    *updated = sqlite3_changes(writer_->db()) == 1;
    return Status::OK();
  }

  // Keeps the ids a committed transaction looked up: an execution's id never
  // changes (rows are never deleted), but one seen in a transaction that
  // rolled back may not exist.
  void RememberIds() {
    if (execution_ids_.size() + ids_seen_.size() > kRememberedIds) execution_ids_.clear();
    for (auto& [arn, id] : ids_seen_) execution_ids_.insert_or_assign(std::move(arn), id);
    ids_seen_.clear();
  }

  Status ApplyAppend(const std::string& arn, int64_t expected_last_event_id,
                     const std::vector<HistoryEventRecord>& events, const ExecutionRecord* update,
                     const AppendRequest* extras) {
    Status s;
    const int64_t last_event_id = events.empty() ? expected_last_event_id : events.back().id;
    const std::string* checkpoint = extras != nullptr && extras->checkpoint ? &*extras->checkpoint : nullptr;
    Scratch deferred_checkpoint(&checkpoint_text_);
    if (extras != nullptr && extras->deferred_checkpoint != nullptr) {
      extras->deferred_checkpoint->AppendTo(deferred_checkpoint.text());
      checkpoint = deferred_checkpoint.text();
    }
    int64_t execution_id = 0;
    const bool create = extras != nullptr && extras->create;
    if (create) {
      // ValidateAppend made sure a create starts the history at event 1.
      s = InsertExecution(update != nullptr ? *update : *extras->create, last_event_id, checkpoint, &execution_id);
      if (!s.ok()) return s;
    }
    // A step (events or a checkpoint, no row change) of an execution whose id
    // is known writes its progress with one conditional UPDATE; any other
    // append, or one that UPDATE did not match, looks the execution up first.
    const bool step = !create && update == nullptr && (!events.empty() || checkpoint != nullptr);
    bool progressed = false;
    if (step) {
      auto known = execution_ids_.find(arn);
      if (known != execution_ids_.end()) {
        execution_id = known->second;
        s = UpdateProgress(execution_id, arn, expected_last_event_id, last_event_id, checkpoint, &progressed);
        if (!s.ok()) return s;
      }
    }
    if (!create && !progressed) {
      sqlite3_stmt* raw = writer_->Prepare("SELECT id, last_event_id FROM executions WHERE arn = ?1", &s);
      if (raw == nullptr) return s;
      Stmt stmt(raw);
      stmt.Bind(1, arn);
      int rc = stmt.Step();
      if (rc == SQLITE_DONE) return Status::NotFound("execution", arn);
      if (rc != SQLITE_ROW) return writer_->Error(rc, "append to " + arn);
      execution_id = stmt.Int(0);
      int64_t last = stmt.Int(1);
      // The conditional write, checked inside the transaction: another request
      // earlier in this batch may have advanced the same history.
      if (last != expected_last_event_id) return ConflictAt(arn, last, expected_last_event_id);
      ids_seen_.emplace_back(arn, execution_id);
      if (step) {
        s = UpdateProgress(execution_id, arn, expected_last_event_id, last_event_id, checkpoint, &progressed);
        if (!s.ok()) return s;
        if (!progressed) return Status::Internal("the progress of " + arn + " did not update");
      }
    }
    s = InsertHistoryChunks(execution_id, arn, events);
    if (!s.ok()) return s;
    if (!create && update != nullptr) {
      sqlite3_stmt* raw = writer_->Prepare(
          "UPDATE executions SET name = ?2, state_machine_arn = ?3, state_machine_revision = ?4, status = ?5, "
          "input = ?6, output = ?7, error = ?8, cause = ?9, start_time_ns = ?10, stop_time_ns = ?11, "
          "last_event_id = ?12, checkpoint = iif(?13, ?14, checkpoint) WHERE id = ?1",
          &s);
      if (raw == nullptr) return s;
      Stmt stmt(raw);
      stmt.Bind(1, execution_id);
      stmt.Bind(2, update->name);
      stmt.Bind(3, update->state_machine_arn);
      stmt.Bind(4, update->state_machine_revision);
      stmt.Bind(5, ExecutionStatusName(update->status));
      stmt.Bind(6, update->input);
      stmt.Bind(7, update->output);
      stmt.Bind(8, update->error);
      stmt.Bind(9, update->cause);
      stmt.Bind(10, update->start_time_ns);
      stmt.Bind(11, update->stop_time_ns);
      stmt.Bind(12, last_event_id);
      BindCheckpoint(stmt, 13, checkpoint);
      int rc = stmt.Step();
      if (rc != SQLITE_DONE) return writer_->Error(rc, "update execution " + arn);
    }
    const ExecutionRecord* row = update != nullptr ? update : create ? &*extras->create : nullptr;
    if (row != nullptr && row->status != ExecutionStatus::kRunning) {
      s = ForgetIfDeleted(row->state_machine_arn);
      if (!s.ok()) return s;
    }
    if (extras == nullptr) return Status::OK();
    if (!extras->delete_timer_ids.empty()) {
      sqlite3_stmt* raw = writer_->Prepare("DELETE FROM timers WHERE execution_id = ?1 AND timer_id = ?2", &s);
      if (raw == nullptr) return s;
      for (const std::string& id : extras->delete_timer_ids) {
        Stmt stmt(raw);
        stmt.Bind(1, execution_id);
        stmt.Bind(2, id);
        int rc = stmt.Step();
        if (rc != SQLITE_DONE) return writer_->Error(rc, "delete timer of " + arn);
      }
    }
    if (!extras->put_timers.empty()) {
      sqlite3_stmt* raw = writer_->Prepare(
          "INSERT OR REPLACE INTO timers (execution_id, timer_id, due_time_ns, payload) VALUES (?1, ?2, ?3, ?4)", &s);
      if (raw == nullptr) return s;
      for (const TimerRecord& t : extras->put_timers) {
        Stmt stmt(raw);
        stmt.Bind(1, execution_id);
        stmt.Bind(2, t.timer_id);
        stmt.Bind(3, t.due_time_ns);
        stmt.Bind(4, t.payload);
        int rc = stmt.Step();
        if (rc != SQLITE_DONE) return writer_->Error(rc, "put timer of " + arn);
      }
    }
    if (!extras->put_task_tokens.empty()) {
      sqlite3_stmt* raw = writer_->Prepare(
          "INSERT OR REPLACE INTO task_tokens (token, execution_id, state_name, scheduled_event_id, status, "
          "updated_time_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
          &s);
      if (raw == nullptr) return s;
      for (const TaskTokenRecord& t : extras->put_task_tokens) {
        Stmt stmt(raw);
        stmt.Bind(1, t.token);
        stmt.Bind(2, execution_id);
        stmt.Bind(3, t.state_name);
        stmt.Bind(4, t.scheduled_event_id);
        stmt.Bind(5, TaskTokenStatusName(t.status));
        stmt.Bind(6, t.updated_time_ns);
        int rc = stmt.Step();
        if (rc != SQLITE_DONE) return writer_->Error(rc, "put task token of " + arn);
      }
    }
    return Status::OK();
  }

  // Runs `sql` with the machine's ARN as ?1; returns the rows it changed.
  StatusOr<int64_t> ChangeMachine(const char* sql, const std::string& arn) {
    Status s;
    sqlite3_stmt* raw = writer_->Prepare(sql, &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, arn);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) return writer_->Error(rc, "delete state machine " + arn);
    return static_cast<int64_t>(sqlite3_changes(writer_->db()));
  }

  // Removes a machine marked deleting once none of its executions runs.
  Status ForgetIfDeleted(const std::string& machine_arn) {
    return ChangeMachine(
               "DELETE FROM state_machines WHERE arn = ?1 AND deleting AND NOT EXISTS "
               "(SELECT 1 FROM executions WHERE state_machine_arn = ?1 AND status = 'RUNNING')",
               machine_arn)
        .status();
  }

  Status InsertRevision(const std::string& arn, int64_t revision, const std::string& definition,
                        const std::string& role_arn, int64_t revision_time_ns) {
    Status s;
    sqlite3_stmt* raw = writer_->Prepare(
        "INSERT INTO state_machine_revisions (state_machine_arn, revision, definition, role_arn, revision_time_ns) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, arn);
    stmt.Bind(2, revision);
    stmt.Bind(3, definition);
    stmt.Bind(4, role_arn);
    stmt.Bind(5, revision_time_ns);
    int rc = stmt.Step();
    if (rc != SQLITE_DONE) return writer_->Error(rc, "insert revision of " + arn);
    return Status::OK();
  }

  // ---- reader helpers

  // For ":memory:" there is one connection (another would be another
  // database), shared with the writer under writer_mu_.
  Connection& Reader() { return reader_ ? *reader_ : *writer_; }
  std::mutex& ReaderMutex() { return reader_ ? reader_mu_ : writer_mu_; }

  template <typename BindFn>
  StatusOr<std::vector<TimerRecord>> ReadTimers(const char* sql, BindFn bind) {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(sql, &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    bind(stmt);
    std::vector<TimerRecord> out;
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      TimerRecord& t = out.emplace_back();
      t.execution_arn = stmt.Text(0);
      t.timer_id = stmt.Text(1);
      t.due_time_ns = stmt.Int(2);
      t.payload = stmt.Text(3);
    }
    if (rc != SQLITE_DONE) return Reader().Error(rc, "read timers");
    return out;
  }

  static void ReadStateMachineRow(Stmt& stmt, StateMachineRecord* r) {
    r->arn = stmt.Text(0);
    r->name = stmt.Text(1);
    r->type = stmt.Text(2);
    r->creation_time_ns = stmt.Int(3);
    r->revision = stmt.Int(4);
    r->definition = stmt.Text(5);
    r->role_arn = stmt.Text(6);
    r->revision_time_ns = stmt.Int(7);
    r->deleting = stmt.Int(8) != 0;
  }

  StatusOr<StateMachineRecord> ReadStateMachine(const std::string& arn, std::optional<int64_t> revision) {
    std::lock_guard<std::mutex> lock(ReaderMutex());
    Status s;
    sqlite3_stmt* raw = Reader().Prepare(
        "SELECT m.arn, m.name, m.type, m.creation_time_ns, r.revision, r.definition, r.role_arn, r.revision_time_ns, "
        "m.deleting FROM state_machines m JOIN state_machine_revisions r "
        "ON r.state_machine_arn = m.arn AND r.revision = coalesce(?2, m.latest_revision) WHERE m.arn = ?1",
        &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    stmt.Bind(1, arn);
    stmt.Bind(2, revision);
    int rc = stmt.Step();
    if (rc == SQLITE_DONE) {
      if (revision) return Status::NotFound("state machine revision", arn + ":" + std::to_string(*revision));
      return Status::NotFound("state machine", arn);
    }
    if (rc != SQLITE_ROW) return Reader().Error(rc, "get state machine " + arn);
    StateMachineRecord r;
    ReadStateMachineRow(stmt, &r);
    return r;
  }

  // Text an append writes, kept from one append to the next (REQUIRES:
  // writer_mu_); what grew past 1 MiB, for a large checkpoint, is let go.
  class Scratch {
   public:
    explicit Scratch(std::string* text) : text_(text) { text_->clear(); }
    ~Scratch() {
      if (text_->capacity() > (size_t{1} << 20)) std::string().swap(*text_);
    }
    std::string* text() const { return text_; }

   private:
    std::string* text_;
  };

  SqliteOptions options_;
  std::mutex writer_mu_;  // guards writer_ and the members after it (and the database, for ":memory:")
  std::unique_ptr<Connection> writer_;
  std::string chunk_text_;
  std::string checkpoint_text_;
  // Execution ids by ARN, for steps that skip the lookup (REQUIRES: writer_mu_).
  static constexpr size_t kRememberedIds = 1 << 16;
  std::unordered_map<std::string, int64_t> execution_ids_;
  std::vector<std::pair<std::string, int64_t>> ids_seen_;  // by the open transaction
  std::mutex reader_mu_;                // guards reader_
  std::unique_ptr<Connection> reader_;  // null for ":memory:"

  std::mutex queue_mu_;  // guards queue_, writing_, contended_ and stopping_
  std::condition_variable queue_cv_;
  std::deque<WriteOp> queue_;
  bool writing_ = false;    // a batch is being written (by the writer thread or an inline caller)
  bool contended_ = false;  // writes overlapped lately: queue them for batching, none inline
  bool stopping_ = false;
  std::thread writer_thread_;

  std::atomic<int64_t> transactions_committed_{0};
  std::atomic<int64_t> writes_committed_{0};
  std::atomic<int64_t> writer_checkpoints_{0};
  std::unique_ptr<Checkpointer> checkpointer_;  // null for ":memory:"
};

// The schema version of `conn`'s database: 0 for an empty database.
// Reads only, so a refused database is left untouched.
Status ReadSchemaVersion(Connection& conn, int64_t* version) {
  *version = 0;
  Status s;
  int64_t tables = 0;
  bool has_version_table = false;
  {
    sqlite3_stmt* raw = conn.Prepare("SELECT name FROM sqlite_schema WHERE type = 'table'", &s);
    if (raw == nullptr) return s;
    Stmt stmt(raw);
    int rc;
    while ((rc = stmt.Step()) == SQLITE_ROW) {
      ++tables;
      if (stmt.Text(0) == "schema_version") has_version_table = true;
    }
    if (rc != SQLITE_DONE) return conn.Error(rc, "read schema");
  }
  if (tables == 0) return Status::OK();
  if (!has_version_table) {
    return Status::InvalidArgument(conn.path() +
                                   " is an SQLite database but not a stepflow one (no schema_version table)");
  }
  sqlite3_stmt* raw = conn.Prepare("SELECT version FROM schema_version WHERE id = 1", &s);
  if (raw == nullptr) return s;
  Stmt stmt(raw);
  int rc = stmt.Step();
  if (rc == SQLITE_DONE) return Status::Corruption(conn.path() + ": schema_version table is empty");
  if (rc != SQLITE_ROW) return conn.Error(rc, "read schema version");
  *version = stmt.Int(0);
  return Status::OK();
}

Status CheckSchemaVersion(const Connection& conn, int64_t version) {
  if (version > kSqliteSchemaVersion) {
    return Status::InvalidArgument(conn.path() + " has schema version " + std::to_string(version) +
                                   ", newer than version " + std::to_string(kSqliteSchemaVersion) +
                                   " of this stepflow; open it with a newer stepflow");
  }
  if (version < 0) return Status::Corruption(conn.path() + " has invalid schema version " + std::to_string(version));
  return Status::OK();
}

// Brings the database to kSqliteSchemaVersion in one transaction.
Status Migrate(Connection& conn) {
  Status s = conn.Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  int64_t version = 0;
  // Read again under the write lock: another process may have migrated since.
  s = ReadSchemaVersion(conn, &version);
  if (s.ok()) s = CheckSchemaVersion(conn, version);
  const std::vector<const char*>& migrations = SchemaMigrations();
  for (int64_t v = version; s.ok() && v < kSqliteSchemaVersion; ++v) {
    s = conn.ExecScript(migrations[v], "migrate to schema version " + std::to_string(v + 1));
  }
  if (s.ok() && version < kSqliteSchemaVersion) {
    s = conn.ExecScript(
        ("INSERT OR REPLACE INTO schema_version (id, version) VALUES (1, " + std::to_string(kSqliteSchemaVersion) + ")")
            .c_str(),
        "record schema version");
  }
  if (s.ok()) s = conn.Exec("COMMIT");
  if (!s.ok()) conn.Rollback();
  return s;
}

// Reads a pragma's rows, joined by "; ", for checking that a setting took.
Status PragmaText(Connection& conn, const std::string& pragma, std::string* value) {
  Status s;
  sqlite3_stmt* raw = conn.Prepare("PRAGMA " + pragma, &s);
  if (raw == nullptr) return s;
  Stmt stmt(raw);
  value->clear();
  int rc;
  while ((rc = stmt.Step()) == SQLITE_ROW) {
    if (!value->empty()) *value += "; ";
    *value += stmt.Text(0);
  }
  if (rc != SQLITE_DONE) return conn.Error(rc, "PRAGMA " + pragma);
  return Status::OK();
}

// Switching a new file to WAL needs it alone for a moment, and SQLite answers
// "database is locked" at once instead of calling the busy handler: two
// processes opening a new database together would fail. Retry until the busy
// timeout.
Status SwitchToWal(Connection& conn, int busy_timeout_ms, std::string* value) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(busy_timeout_ms);
  for (;;) {
    Status s = PragmaText(conn, "journal_mode = WAL", value);
    if (!s.IsBusy() || std::chrono::steady_clock::now() >= deadline) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

Status Configure(Connection& conn, const SqliteOptions& options, bool memory) {
  std::string value;
  if (!memory) {
    Status s = SwitchToWal(conn, options.busy_timeout_ms, &value);
    if (!s.ok()) return s;
    if (value != "wal")
      return Status::IOError("cannot put " + conn.path() + " in WAL mode (journal_mode is " + value + ")");
  }
  Status s = conn.Exec(SynchronousPragma(options.synchronous));
  if (s.ok()) s = conn.Exec("PRAGMA foreign_keys = ON");
  if (s.ok()) s = conn.Exec("PRAGMA cache_size = -16384");  // 16 MiB: the hot pages of many open histories
  // Checkpoints are the Checkpointer's (see SqliteStoreImpl::OnWalCommit).
  if (s.ok() && !memory) s = conn.Exec("PRAGMA wal_autocheckpoint = 0");
  if (s.ok() && options.max_page_count > 0) {
    s = PragmaText(conn, "max_page_count = " + std::to_string(options.max_page_count), &value);
  }
  return s;
}

}  // namespace

StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (options.path.empty()) return Status::InvalidArgument("SqliteOptions.path is empty");
  const bool memory = options.path == ":memory:";
  StatusOr<std::unique_ptr<Connection>> writer = Connection::Open(options.path, options.busy_timeout_ms);
  if (!writer.ok()) return writer.status();
  Connection& conn = **writer;
  // SQLite silently falls back to read-only when the file or its directory is
  // not writable; every commit would then fail. Say so now, before any write.
  if (sqlite3_db_readonly(conn.db(), "main") == 1) {
    return Status::IOError("database file " + options.path + " is read-only");
  }
  // Check the version before anything writes (even the WAL switch rewrites the
  // header), so a newer database is left exactly as it was.
  int64_t version = 0;
  Status s = ReadSchemaVersion(conn, &version);
  if (s.ok()) s = CheckSchemaVersion(conn, version);
  if (s.ok()) s = Configure(conn, options, memory);
  if (s.ok() && version < kSqliteSchemaVersion) s = Migrate(conn);
  // A damaged page may not be touched by the reads above: check the structure
  // of the whole file once, so damage is reported at open, not as a failed
  // commit later.
  const bool verify = options.verify_on_open && !memory;
  std::string check;
  if (s.ok() && verify) s = PragmaText(conn, "quick_check(3)", &check);
  if (s.ok() && verify && check != "ok") s = Status::Corruption(options.path + " is damaged: " + check);
  if (!s.ok()) return s;

  std::unique_ptr<Connection> reader;
  if (!memory) {
    StatusOr<std::unique_ptr<Connection>> r = Connection::Open(options.path, options.busy_timeout_ms);
    if (!r.ok()) return r.status();
    reader = std::move(*r);
  }
  return std::unique_ptr<Store>(new SqliteStoreImpl(options, std::move(*writer), std::move(reader)));
}

}  // namespace stepflow::storage
