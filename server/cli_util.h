#pragma once

#include <optional>
#include <string>

namespace stepflow::server {

// Reads a whole file; nullopt (and a message on stderr naming the file) when it cannot.
std::optional<std::string> ReadFileOrComplain(const std::string& path);

}  // namespace stepflow::server

#include <memory>

#include "stepflow/status.h"
#include "stepflow/storage/store.h"

namespace stepflow::server {

// The state machine name `stepflow run` gives a definition file:
// "orders.asl.json" -> "orders".
std::string MachineNameOf(const std::string& file);

// The database `stepflow run` uses without --db: $STEPFLOW_DB, else
// $XDG_STATE_HOME/stepflow/stepflow.db, else ~/.local/state/stepflow/stepflow.db.
std::string DefaultDbPath();

// Opens the store for --db `path` (":memory:": one in memory), creating the
// file and its directory when absent.
// `full_sync`: SQLite synchronous=FULL (commits survive a power loss).
StatusOr<std::unique_ptr<storage::Store>> OpenStore(const std::string& path, bool verify_on_open,
                                                   bool full_sync = false);

}  // namespace stepflow::server

