#pragma once

#include <vector>

namespace stepflow::storage {

// kMigrations[i] takes a database from schema version i to i+1; version 0 is
// an empty database. The size is kSqliteSchemaVersion. Each runs in the same
// transaction as the update of schema_version.
const std::vector<const char*>& SchemaMigrations();

}  // namespace stepflow::storage
