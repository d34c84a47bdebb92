#include "cli_util.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <filesystem>
#include <sstream>
#include <system_error>

#include "stepflow/storage/sqlite_store.h"

namespace stepflow::server {

std::optional<std::string> ReadFileOrComplain(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "stepflow: cannot read %s: %s\n", path.c_str(), std::strerror(errno));
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string MachineNameOf(const std::string& file) {
  std::string base = file.substr(file.find_last_of('/') + 1);
  base = base.substr(0, base.find('.'));
  std::string name;
  for (char c : base) name += std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ? c : '-';
  if (name.empty()) name = "stepflow-run";
  return name.substr(0, 80);
}

std::string DefaultDbPath() {
  if (const char* db = std::getenv("STEPFLOW_DB"); db != nullptr && *db != '\0') return db;
  std::filesystem::path dir;
  if (const char* state = std::getenv("XDG_STATE_HOME"); state != nullptr && *state != '\0') {
    dir = state;
  } else if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    dir = std::filesystem::path(home) / ".local" / "state";
  } else {
    dir = ".";
  }
  return (dir / "stepflow" / "stepflow.db").string();
}

StatusOr<std::unique_ptr<storage::Store>> OpenStore(const std::string& path, bool verify_on_open, bool full_sync) {
  if (path == ":memory:") return storage::NewMemStore();
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return Status::IOError("cannot create the directory " + parent.string() + ": " + ec.message());
  }
  storage::SqliteOptions options;
  options.path = path;
  options.verify_on_open = verify_on_open;
  if (full_sync) options.synchronous = storage::SqliteOptions::Synchronous::kFull;
  return storage::OpenSqliteStore(options);
}

}  // namespace stepflow::server
