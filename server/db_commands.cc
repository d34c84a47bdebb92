// Commands on a database file: start, resume, executions, history.
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "cli_util.h"
#include "commands.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/timestamp.h"
#include "stepflow/engine/engine.h"
#include "stepflow/engine/functions_file.h"
#include "stepflow/storage/store.h"

namespace stepflow::server {
namespace {

constexpr char kUsage[] =
    "usage: stepflow start FILE [--name NAME] [--input JSON | --input-file F] [--db FILE]\n"
    "         records a new execution without running it (stepflow resume runs it)\n"
    "       stepflow resume [--db FILE] [--lambda-endpoint URL] [--functions FILE]\n"
    "         runs every RUNNING execution of the database to its end\n"
    "       stepflow executions [--db FILE] [--status STATUS] [--machine NAME]\n"
    "         lists executions, newest first\n"
    "       stepflow history NAME_OR_ARN [--db FILE]\n"
    "         prints one execution's history events, one JSON object per line\n";

// Flags with a value, and positional arguments.
struct Args {
  std::map<std::string, std::string> flags;
  std::vector<std::string> positional;
};

bool Parse(const char* command, int argc, char** argv, const std::vector<std::string>& allowed, Args* out) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    }
    if (a.rfind("--", 0) == 0) {
      bool known = false;
      for (const std::string& flag : allowed) known = known || flag == a;
      if (!known) {
        std::fprintf(stderr, "stepflow %s: unknown option %s\n%s", command, a.c_str(), kUsage);
        return false;
      }
      if (i + 1 >= argc) {
        std::fprintf(stderr, "stepflow %s: %s needs a value\n", command, a.c_str());
        return false;
      }
      out->flags[a] = argv[++i];
    } else {
      out->positional.push_back(a);
    }
  }
  return true;
}

std::string Flag(const Args& args, const std::string& name, const std::string& fallback = "") {
  auto it = args.flags.find(name);
  return it == args.flags.end() ? fallback : it->second;
}

int Fail(const char* command, const std::string& message) {
  std::fprintf(stderr, "stepflow %s: %s\n", command, message.c_str());
  return 2;
}

StatusOr<std::unique_ptr<engine::Engine>> OpenEngine(const Args& args, storage::Store* store) {
  engine::EngineOptions options;
  options.store = store;
  options.lambda_endpoint = Flag(args, "--lambda-endpoint");
  if (std::string functions = Flag(args, "--functions"); !functions.empty()) {
    auto endpoints = engine::ReadFunctionsFile(functions);
    if (!endpoints.ok()) return endpoints.status();
    options.function_endpoints = std::move(*endpoints);
  }
  return engine::Engine::Open(std::move(options));
}

std::string FormatTime(int64_t ns) {
  time_t seconds = static_cast<time_t>(ns / 1000000000);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&seconds));
  return buf;
}

}  // namespace

int RunStartCommand(int argc, char** argv) {
  Args args;
  if (!Parse("start", argc, argv, {"--name", "--input", "--input-file", "--db"}, &args)) return 2;
  if (args.positional.size() != 1) return Fail("start", std::string("expects one definition file\n") + kUsage);
  auto definition = ReadFileOrComplain(args.positional[0]);
  if (!definition) return 2;
  std::string input = Flag(args, "--input", "{}");
  if (std::string file = Flag(args, "--input-file"); !file.empty()) {
    auto text = ReadFileOrComplain(file);
    if (!text) return 2;
    input = *text;
  }
  std::string db = Flag(args, "--db", DefaultDbPath());
  auto store = OpenStore(db, /*verify_on_open=*/false);
  if (!store.ok()) return Fail("start", db + ": " + store.status().ToString());
  auto engine = OpenEngine(args, store->get());
  if (!engine.ok()) return Fail("start", engine.status().ToString());
  auto machine = (*engine)->RegisterStateMachine(MachineNameOf(args.positional[0]), *definition);
  if (!machine.ok()) return Fail("start", machine.status().ToString());
  // The execution is created and recorded; this process ends before it takes a step.
  auto started = (*engine)->StartExecution(engine::StartRequest{*machine, Flag(args, "--name"), input});
  if (!started.ok()) return Fail("start", started.status().ToString());
  std::printf("%s\n", started->execution_arn.c_str());
  return 0;
}

int RunResumeCommand(int argc, char** argv) {
  Args args;
  if (!Parse("resume", argc, argv, {"--db", "--lambda-endpoint", "--functions"}, &args)) return 2;
  std::string db = Flag(args, "--db", DefaultDbPath());
  auto store = OpenStore(db, /*verify_on_open=*/true);
  if (!store.ok()) return Fail("resume", db + ": " + store.status().ToString());
  auto engine = OpenEngine(args, store->get());
  if (!engine.ok()) return Fail("resume", engine.status().ToString());
  auto running = (*store)->ListRunningExecutions();
  if (!running.ok()) return Fail("resume", running.status().ToString());
  auto resumed = (*engine)->ResumeAll();
  if (!resumed.ok()) return Fail("resume", resumed.status().ToString());
  std::map<std::string, int> counts;
  for (const storage::ExecutionRecord& record : *running) {
    auto result = (*engine)->AwaitExecution(record.arn);
    if (!result.ok()) return Fail("resume", record.arn + ": " + result.status().ToString());
    ++counts[storage::ExecutionStatusName(result->status)];
  }
  std::printf("resumed %zu executions", *resumed);
  for (const auto& [status, n] : counts) std::printf(", %d %s", n, status.c_str());
  std::printf("\n");
  return 0;
}

int RunExecutionsCommand(int argc, char** argv) {
  Args args;
  if (!Parse("executions", argc, argv, {"--db", "--status", "--machine"}, &args)) return 2;
  std::string db = Flag(args, "--db", DefaultDbPath());
  auto store = OpenStore(db, /*verify_on_open=*/false);
  if (!store.ok()) return Fail("executions", db + ": " + store.status().ToString());
  storage::ListExecutionsQuery query;
  if (std::string status = Flag(args, "--status"); !status.empty()) {
    query.status = storage::ParseExecutionStatus(status);
    if (!query.status) {
      return Fail("executions", "unknown status " + status +
                                    " (RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED)");
    }
  }
  std::string machine = Flag(args, "--machine");
  do {
    auto page = (*store)->ListExecutions(query);
    if (!page.ok()) return Fail("executions", page.status().ToString());
    for (const storage::ExecutionRecord& r : page->items) {
      std::string name = r.state_machine_arn.substr(r.state_machine_arn.rfind(':') + 1);
      if (!machine.empty() && name != machine) continue;
      std::printf("%-10s %s  %-24s %s\n", storage::ExecutionStatusName(r.status), FormatTime(r.start_time_ns).c_str(),
                  name.c_str(), r.name.c_str());
    }
    query.page_token = page->next_page_token;
  } while (!query.page_token.empty());
  return 0;
}

int RunHistoryCommand(int argc, char** argv) {
  Args args;
  if (!Parse("history", argc, argv, {"--db"}, &args)) return 2;
  if (args.positional.size() != 1) return Fail("history", std::string("expects one execution\n") + kUsage);
  std::string db = Flag(args, "--db", DefaultDbPath());
  auto store = OpenStore(db, /*verify_on_open=*/false);
  if (!store.ok()) return Fail("history", db + ": " + store.status().ToString());
  std::string arn = args.positional[0];
  if (arn.rfind("arn:", 0) != 0) {
    // A bare name: the newest execution called so.
    storage::ListExecutionsQuery query;
    std::string found;
    do {
      auto page = (*store)->ListExecutions(query);
      if (!page.ok()) return Fail("history", page.status().ToString());
      for (const storage::ExecutionRecord& r : page->items) {
        if (r.name == arn && found.empty()) found = r.arn;
      }
      query.page_token = found.empty() ? page->next_page_token : "";
    } while (!query.page_token.empty());
    if (found.empty()) return Fail("history", "no execution named " + arn + " in " + db);
    arn = found;
  }
  int64_t after = 0;
  for (;;) {
    auto events = (*store)->GetHistory(arn, after, 1000);
    if (!events.ok()) return Fail("history", events.status().ToString());
    if (events->empty()) break;
    for (const storage::HistoryEventRecord& e : *events) {
      std::string line = "{\"id\":" + std::to_string(e.id) + ",\"previousEventId\":" +
                         std::to_string(e.previous_event_id) + ",\"timestamp\":";
      asl::AppendJsonString(asl::FormatTimestamp(e.timestamp_ns), &line);
      line += ",\"type\":";
      asl::AppendJsonString(e.type, &line);
      if (!e.details_json.empty()) line += "," + e.details_json.substr(1, e.details_json.size() - 2);
      std::printf("%s}\n", line.c_str());
      after = e.id;
    }
  }
  return 0;
}

}  // namespace stepflow::server
