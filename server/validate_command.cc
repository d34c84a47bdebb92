// `stepflow validate FILE [--json]`: validates a definition like AWS
// ValidateStateMachineDefinition and prints every diagnostic.

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "commands.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

namespace stepflow::server {
namespace {

const char* SeverityName(asl::Diagnostic::Severity severity) {
  return severity == asl::Diagnostic::Severity::kError ? "ERROR" : "WARNING";
}

int Usage() {
  std::fprintf(stderr, "usage: stepflow validate FILE [--json]\n");
  return 2;
}

// Reads the file, unless it is larger than `limit`: then sets `*size` only, so a
// huge file is rejected without being loaded.
bool ReadFileText(const std::string& path, size_t limit, std::string* out, size_t* size, std::string* error) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) {
    *error = "cannot open file";
    return false;
  }
  std::streamoff end = in.tellg();
  if (end < 0) {
    *error = "cannot read file";
    return false;
  }
  *size = static_cast<size_t>(end);
  if (*size > limit) return true;
  in.seekg(0);
  out->resize(*size);
  in.read(out->data(), static_cast<std::streamsize>(out->size()));
  if (!in || static_cast<size_t>(in.gcount()) != *size) {
    *error = "cannot read file";
    return false;
  }
  return true;
}

}  // namespace

int RunValidateCommand(int argc, char** argv) {
  std::string file;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "-h" || arg == "--help") {
      std::printf("usage: stepflow validate FILE [--json]\n"
                  "Validates a state machine definition (Amazon States Language) and prints every problem.\n"
                  "Exit status: 0 valid, 1 invalid, 2 unreadable file or bad usage.\n");
      return 0;
    } else if (file.empty() && (arg == "-" || arg.rfind("-", 0) != 0)) {
      file = arg;
    } else {
      return Usage();
    }
  }
  if (file.empty()) return Usage();

  asl::ParseOptions options;
  std::string text, error;
  size_t size = 0;
  if (file == "-") {
    std::ostringstream buffer;
    buffer << std::cin.rdbuf();
    text = buffer.str();
    size = text.size();
  } else if (!ReadFileText(file, options.max_definition_bytes, &text, &size, &error)) {
    std::fprintf(stderr, "stepflow validate: %s: %s\n", file.c_str(), error.c_str());
    return 2;
  }

  asl::Diagnostics diagnostics;
  if (size > options.max_definition_bytes && text.empty()) {
    // Not loaded (see ReadFileText); the same diagnostic ParseDefinition gives.
    diagnostics.push_back({asl::Diagnostic::Severity::kError, "SCHEMA_VALIDATION_FAILED", "",
                           "The definition is " + std::to_string(size) + " bytes, over the limit of " +
                               std::to_string(options.max_definition_bytes) + " bytes."});
  } else {
    asl::ParseDefinition(text, &diagnostics, options);
  }
  bool failed = asl::HasError(diagnostics);

  if (json) {
    asl::Array items;
    for (const asl::Diagnostic& d : diagnostics) {
      items.push_back(asl::Value::MakeObject({
          {"severity", asl::Value::String(SeverityName(d.severity))},
          {"code", asl::Value::String(d.code)},
          {"location", asl::Value::String(d.location)},
          {"message", asl::Value::String(d.message)},
      }));
    }
    asl::Value response = asl::Value::MakeObject({
        {"result", asl::Value::String(failed ? "FAIL" : "OK")},
        {"diagnostics", asl::Value::MakeArray(std::move(items))},
    });
    std::printf("%s\n", asl::ToJson(response).c_str());
  } else {
    for (const asl::Diagnostic& d : diagnostics) {
      std::printf("%s: %s %s at %s: %s\n", file.c_str(),
                  d.severity == asl::Diagnostic::Severity::kError ? "error" : "warning", d.code.c_str(),
                  d.location.empty() ? "/" : d.location.c_str(), d.message.c_str());
    }
    if (!failed) std::printf("%s: OK\n", file.c_str());
  }
  return failed ? 1 : 0;
}

}  // namespace stepflow::server
