#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "stepflow/status.h"
#include "stepflow/storage/store.h"

namespace stepflow::storage {

// The schema version this build writes. A database with a newer one is refused.
inline constexpr int kSqliteSchemaVersion = 4;

struct SqliteOptions {
  std::string path;  // a file (created when absent), or ":memory:"

  // kNormal (default): a commit survives a crash of the process, the last
  // commits may be lost on power loss or an OS crash (WAL is synced at
  // checkpoints only). kFull: every group commit is synced to the disk before
  // its callers return, so commits also survive power loss.
  enum class Synchronous { kNormal, kFull };
  Synchronous synchronous = Synchronous::kNormal;

  // How long a write waits for another process holding the database before
  // it fails with kBusy.
  int busy_timeout_ms = 5000;

  // When > 0, the database may not grow beyond this many pages (SQLite's
  // max_page_count): writes past it fail with kIOError as on a full disk.
  int64_t max_page_count = 0;

  // At most this many requests share one group-commit transaction.
  size_t max_batch = 1024;

  // A WAL of this many pages is copied into the database by a background
  // thread (started at the first such checkpoint). The default, ~40 MB, copies
  // hot pages (execution rows, index tails) rewritten by many commits once.
  int64_t wal_checkpoint_pages = 10000;

  // Run SQLite's quick_check over the whole file at open, so a damaged or
  // truncated file is kCorruption at open rather than at some later read or
  // commit. Costs a read of the file (about a second per GB when cached).
  bool verify_on_open = true;
};

struct SqliteStats {
  int64_t transactions_committed = 0;  // group commits that succeeded
  int64_t writes_committed = 0;        // requests (appends, creates, ...) in them
  int64_t background_checkpoints = 0;  // WAL checkpoints by the background thread
  int64_t writer_checkpoints = 0;      // by the writer, the WAL having outgrown the background ones
};

// A Store on SQLite in WAL mode. Writes (every mutating method) from all
// threads are queued to one writer thread that commits whatever has queued as
// one transaction; one request's error (kConflict, kNotFound, ...) does not
// fail the others in its batch (storage/README.md says how it is undone).
// Reads run on a separate connection and do not wait for the writer (for
// ":memory:" they share the one connection).
class SqliteStore : public Store {
 public:
  virtual SqliteStats Stats() const = 0;
};

// Opens (creating or migrating to kSqliteSchemaVersion) the database at
// options.path. The returned Store is a SqliteStore.
// Errors: kIOError when the file cannot be opened or is read-only;
// kCorruption when it is not a database or is damaged; kInvalidArgument when
// it is a database of something else or of a newer schema version (the file is
// then left untouched); kBusy when another process holds it beyond the busy
// timeout.
StatusOr<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options);

}  // namespace stepflow::storage
