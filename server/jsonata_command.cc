// `stepflow jsonata EXPR-FILE [--data FILE | --no-input] [--bindings FILE]
//  [--timelimit MS] [--depth N] [--step-functions]`: evaluates one JSONata
// expression and prints exactly one JSON object: {"result": ...},
// {"undefined": true} or {"error": {"code": ..., "message": ...}}.

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include "commands.h"
#include "stepflow/asl/json.h"
#include "stepflow/asl/jsonata.h"
#include "stepflow/asl/value.h"

namespace stepflow::server {
namespace {

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

// Replaces bytes that are not valid UTF-8 so the output stays valid JSON text.
std::string SanitizeUtf8(const std::string& s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    bool ok = len > 0 && i + len <= s.size();
    for (size_t k = 1; ok && k < len; k++) ok = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (ok && len == 3 && c == 0xED && (static_cast<unsigned char>(s[i + 1]) & 0xE0) == 0xA0) ok = false;
    if (ok) {
      out.append(s, i, len);
      i += len;
    } else {
      out += "\xEF\xBF\xBD";
      i++;
    }
  }
  return out;
}

void PrintError(const std::string& code, const std::string& raw_message) {
  std::string message = SanitizeUtf8(raw_message);
  asl::Object err{{"code", asl::Value::String(code)}, {"message", asl::Value::String(message)}};
  asl::Object top{{"error", asl::Value::MakeObject(std::move(err))}};
  std::printf("%s\n", asl::ToJson(asl::Value::MakeObject(std::move(top))).c_str());
}

int Usage() {
  std::fprintf(stderr,
               "usage: stepflow jsonata EXPR-FILE [--data FILE | --no-input] [--bindings FILE]\n"
               "                        [--timelimit MS] [--depth N] [--step-functions]\n");
  return 2;
}

}  // namespace

int RunJsonataCommand(int argc, char** argv) {
  std::string expr_file, data_file, bindings_file;
  bool no_input = false;
  bool step_functions = false;
  asl::jsonata::Limits limits;
  for (int i = 1; i < argc; i++) {
    std::string arg = argv[i];
    auto next = [&](std::string* dst) {
      if (i + 1 >= argc) return false;
      *dst = argv[++i];
      return true;
    };
    std::string v;
    if (arg == "--data") {
      if (!next(&data_file)) return Usage();
    } else if (arg == "--no-input") {
      no_input = true;
    } else if (arg == "--bindings") {
      if (!next(&bindings_file)) return Usage();
    } else if (arg == "--timelimit") {
      if (!next(&v)) return Usage();
      limits.timelimit_ms = std::atoll(v.c_str());
    } else if (arg == "--depth") {
      if (!next(&v)) return Usage();
      limits.max_depth = std::atoi(v.c_str());
    } else if (arg == "--step-functions") {
      step_functions = true;
    } else if (!arg.empty() && arg[0] == '-') {
      return Usage();
    } else if (expr_file.empty()) {
      expr_file = arg;
    } else {
      return Usage();
    }
  }
  if (expr_file.empty()) return Usage();

  std::string text;
  if (!ReadFile(expr_file, &text)) {
    std::fprintf(stderr, "stepflow jsonata: cannot read %s\n", expr_file.c_str());
    return 2;
  }
  std::optional<asl::Value> input;
  if (!no_input && !data_file.empty()) {
    std::string data;
    if (!ReadFile(data_file, &data)) {
      std::fprintf(stderr, "stepflow jsonata: cannot read %s\n", data_file.c_str());
      return 2;
    }
    if (data.find_first_not_of(" \t\r\n") != std::string::npos) {
      asl::Value v;
      asl::JsonError e;
      if (!asl::ParseJson(data, &v, &e)) {
        std::fprintf(stderr, "stepflow jsonata: %s: %s\n", data_file.c_str(), e.message.c_str());
        return 2;
      }
      input = std::move(v);
    }
  }
  asl::jsonata::Bindings bindings;
  if (!bindings_file.empty()) {
    std::string data;
    asl::Value v;
    asl::JsonError e;
    if (!ReadFile(bindings_file, &data) || !asl::ParseJson(data, &v, &e) || !v.is_object()) {
      std::fprintf(stderr, "stepflow jsonata: bad bindings file %s\n", bindings_file.c_str());
      return 2;
    }
    for (auto& m : v.AsObject()) bindings[m.first] = m.second;
  }

  asl::jsonata::Options options;
  options.step_functions = step_functions;
  asl::jsonata::Expression expr;
  asl::jsonata::Error err;
  if (!asl::jsonata::Expression::Compile(text, &expr, &err, options)) {
    PrintError(err.code, err.message);
    return 1;
  }
  std::optional<asl::Value> result;
  if (!expr.Evaluate(input ? &*input : nullptr, bindings, limits, &result, &err)) {
    PrintError(err.code, err.message);
    return 1;
  }
  if (!result) {
    std::printf("{\"undefined\":true}\n");
    return 0;
  }
  asl::Object top{{"result", *result}};
  std::printf("%s\n", asl::ToJson(asl::Value::MakeObject(std::move(top))).c_str());
  return 0;
}

}  // namespace stepflow::server
