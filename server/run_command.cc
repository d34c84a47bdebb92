#include <cstdio>
#include <cctype>
#include <cstring>
#include <string>

#include "cli_util.h"
#include "commands.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"
#include "stepflow/engine/engine.h"
#include "stepflow/engine/functions_file.h"
#include "stepflow/storage/store.h"

namespace stepflow::server {
namespace {

constexpr char kUsage[] =
    "usage: stepflow run FILE [--input JSON | --input-file F] [--name NAME] [--db FILE] [--result-json]\n"
    "                         [--history] [--lambda-endpoint URL] [--functions FILE]\n"
    "  --db FILE   the database that keeps the execution (default: " "$STEPFLOW_DB or\n"
    "              ~/.local/state/stepflow/stepflow.db; ':memory:' for none)\n"
    "  --name NAME of an execution still RUNNING in the database: resume it; of a\n"
    "              finished one: print its recorded result\n";

struct RunArgs {
  std::string definition_file;
  std::string db;
  std::string functions_file;
  std::string input_text = "{}";
  std::string name;
  std::string lambda_endpoint;
  bool result_json = false;
  bool history = false;
};

bool ParseArgs(int argc, char** argv, RunArgs* args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "stepflow run: %s needs a value\n", flag);
        return nullptr;
      }
      return argv[++i];
    };
    if (a == "--input") {
      const char* v = value("--input");
      if (v == nullptr) return false;
      args->input_text = v;
    } else if (a == "--input-file") {
      const char* v = value("--input-file");
      if (v == nullptr) return false;
      auto text = ReadFileOrComplain(v);
      if (!text) return false;
      args->input_text = *text;
    } else if (a == "--name") {
      const char* v = value("--name");
      if (v == nullptr) return false;
      args->name = v;
    } else if (a == "--lambda-endpoint") {
      const char* v = value("--lambda-endpoint");
      if (v == nullptr) return false;
      args->lambda_endpoint = v;
    } else if (a == "--db") {
      const char* v = value("--db");
      if (v == nullptr) return false;
      args->db = v;
    } else if (a == "--functions") {
      const char* v = value("--functions");
      if (v == nullptr) return false;
      args->functions_file = v;
    } else if (a == "--result-json") {
      args->result_json = true;
    } else if (a == "--history") {
      args->history = true;
    } else if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      std::exit(0);
    } else if (!a.empty() && a[0] == '-') {
      std::fprintf(stderr, "stepflow run: unknown option %s\n%s", a.c_str(), kUsage);
      return false;
    } else if (args->definition_file.empty()) {
      args->definition_file = a;
    } else {
      std::fprintf(stderr, "stepflow run: unexpected argument %s\n%s", a.c_str(), kUsage);
      return false;
    }
  }
  if (args->definition_file.empty()) {
    std::fputs(kUsage, stderr);
    return false;
  }
  return true;
}

void PrintResultJson(const engine::ExecutionResult& result) {
  asl::Object members{{"status", asl::Value::String(storage::ExecutionStatusName(result.status))}};
  if (result.output) members.emplace_back("output", *result.output);
  if (result.status != storage::ExecutionStatus::kSucceeded) {
    members.emplace_back("error", result.error && !result.error->empty() ? asl::Value::String(*result.error)
                                                                         : asl::Value());
    members.emplace_back("cause", result.cause && !result.cause->empty() ? asl::Value::String(*result.cause)
                                                                         : asl::Value());
  }
  std::printf("%s\n", asl::ToJson(asl::Value::MakeObject(std::move(members))).c_str());
}

void PrintHistory(engine::Engine& engine, const std::string& arn) {
  auto events = engine.store().GetHistory(arn, 0, SIZE_MAX);
  if (!events.ok()) {
    std::fprintf(stderr, "stepflow run: %s\n", events.status().ToString().c_str());
    return;
  }
  for (const auto& e : *events) {
    std::fprintf(stderr, "%4lld %4lld %-28.*s %s\n", static_cast<long long>(e.id),
                 static_cast<long long>(e.previous_event_id), static_cast<int>(e.type.size()), e.type.data(),
                 e.details_json.c_str());
  }
}

int Fail(const std::string& message) {
  std::fprintf(stderr, "stepflow run: %s\n", message.c_str());
  return 2;
}

int Report(const RunArgs& args, engine::Engine& engine, const std::string& arn,
           const engine::ExecutionResult& result) {
  if (args.history) PrintHistory(engine, arn);
  if (args.result_json) {
    PrintResultJson(result);
  } else if (result.status == storage::ExecutionStatus::kSucceeded) {
    std::printf("%s\n", asl::ToPrettyJson(*result.output).c_str());
  } else {
    std::fprintf(stderr, "%s: %s%s%s\n", storage::ExecutionStatusName(result.status),
                 result.error.value_or("").c_str(), result.cause ? ": " : "", result.cause.value_or("").c_str());
  }
  return result.status == storage::ExecutionStatus::kSucceeded ? 0 : 1;
}

}  // namespace

int RunRunCommand(int argc, char** argv) {
  RunArgs args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  auto definition = ReadFileOrComplain(args.definition_file);
  if (!definition) return 2;
  asl::Diagnostics diagnostics;
  if (!asl::ParseDefinition(*definition, &diagnostics)) {
    for (const asl::Diagnostic& d : diagnostics) {
      if (d.severity != asl::Diagnostic::Severity::kError) continue;
      std::fprintf(stderr, "%s: error %s at %s: %s\n", args.definition_file.c_str(), d.code.c_str(),
                   d.location.empty() ? "/" : d.location.c_str(), d.message.c_str());
    }
    return 2;
  }
  asl::Value input;
  asl::JsonError json_error;
  if (!asl::ParseJson(args.input_text, &input, &json_error)) {
    std::fprintf(stderr, "stepflow run: the input is not valid JSON (line %zu, column %zu): %s\n", json_error.line,
                 json_error.column, json_error.message.c_str());
    return 2;
  }
  std::string db = args.db.empty() ? DefaultDbPath() : args.db;
  auto store = OpenStore(db, /*verify_on_open=*/false);
  if (!store.ok()) return Fail(db + ": " + store.status().ToString());
  engine::EngineOptions options;
  options.store = store->get();
  options.lambda_endpoint = args.lambda_endpoint;
  if (!args.functions_file.empty()) {
    auto functions = engine::ReadFunctionsFile(args.functions_file);
    if (!functions.ok()) return Fail(functions.status().message());
    options.function_endpoints = std::move(*functions);
  }
  auto engine = engine::Engine::Open(std::move(options));
  if (!engine.ok()) return Fail(engine.status().ToString());
  auto machine_arn = (*engine)->RegisterStateMachine(MachineNameOf(args.definition_file), *definition);
  if (!machine_arn.ok()) return Fail(machine_arn.status().ToString());
  std::string arn;
  if (!args.name.empty()) {
    // A named execution already in the database is resumed or reported, never run twice.
    std::string name_arn = machine_arn->substr(0, machine_arn->find(":stateMachine:")) + ":execution:" +
                           MachineNameOf(args.definition_file) + ":" + args.name;
    auto existing = (*engine)->store().GetExecution(name_arn);
    if (existing.ok()) {
      arn = name_arn;
      if (existing->status == storage::ExecutionStatus::kRunning) {
        Status resumed = (*engine)->Resume(arn);
        if (!resumed.ok()) return Fail("cannot resume " + arn + ": " + resumed.ToString());
      }
    } else if (!existing.status().IsNotFound()) {
      return Fail(existing.status().ToString());
    }
  }
  if (arn.empty()) {
    auto started = (*engine)->StartExecution(engine::StartRequest{*machine_arn, args.name, asl::ToJson(input)});
    if (!started.ok()) return Fail(started.status().ToString());
    arn = started->execution_arn;
  }
  auto result = (*engine)->AwaitExecution(arn);
  if (!result.ok()) return Fail(result.status().ToString());
  return Report(args, **engine, arn, *result);
}

}  // namespace stepflow::server
