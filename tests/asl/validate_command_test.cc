// Drives `stepflow validate` (the binary) when it has been built.

#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "stepflow/asl/json.h"

namespace {

struct Run {
  int exit_code = -1;
  std::string out;
};

Run Validate(const std::string& args) {
  Run run;
  std::string command = std::string(STEPFLOW_BINARY) + " validate " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof buffer, pipe)) > 0) run.out.append(buffer, n);
  int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return run;
}

bool HaveBinary() {
  if (std::filesystem::exists(STEPFLOW_BINARY)) return true;
  MESSAGE("stepflow binary not built; skipping CLI checks");
  return false;
}

const std::string kData = STEPFLOW_TEST_DATA "/validate/";

}  // namespace

TEST_CASE("stepflow validate prints OK and exits 0 for a valid definition") {
  if (!HaveBinary()) return;
  Run run = Validate(kData + "valid.asl.json");
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("OK") != std::string::npos);
}

TEST_CASE("stepflow validate prints each diagnostic with file, code and location and exits 1") {
  if (!HaveBinary()) return;
  Run run = Validate(kData + "invalid.asl.json");
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("invalid.asl.json: error MISSING_TRANSITION_TARGET at /States/A/Next: ") != std::string::npos);
  CHECK(run.out.find("error SCHEMA_VALIDATION_FAILED at /States/B/ResultPath: ") != std::string::npos);
}

TEST_CASE("stepflow validate --json prints AWS's response shape") {
  if (!HaveBinary()) return;
  Run run = Validate(kData + "invalid.asl.json --json");
  CHECK(run.exit_code == 1);
  stepflow::asl::Value v;
  stepflow::asl::JsonError e;
  REQUIRE(stepflow::asl::ParseJson(run.out, &v, &e));
  CHECK(v.Find("result")->AsString() == "FAIL");
  const auto& diagnostics = v.Find("diagnostics")->AsArray();
  REQUIRE(!diagnostics.empty());
  CHECK(diagnostics[0].Find("severity")->AsString() == "ERROR");
  CHECK(diagnostics[0].Find("code") != nullptr);
  CHECK(diagnostics[0].Find("location") != nullptr);
  CHECK(diagnostics[0].Find("message") != nullptr);

  Run ok = Validate(kData + "valid.asl.json --json");
  CHECK(ok.exit_code == 0);
  CHECK(ok.out == "{\"result\":\"OK\",\"diagnostics\":[]}\n");
}

TEST_CASE("stepflow validate reports JSON syntax errors with line and column") {
  if (!HaveBinary()) return;
  Run run = Validate(kData + "syntax_error.asl.json");
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("INVALID_JSON_DESCRIPTION") != std::string::npos);
  CHECK(run.out.find("line 4") != std::string::npos);
}

TEST_CASE("stepflow validate exits 2 with a clear message for an unreadable file") {
  if (!HaveBinary()) return;
  Run run = Validate(kData + "no-such-file.json");
  CHECK(run.exit_code == 2);
  CHECK(run.out.find("no-such-file.json: cannot open file") != std::string::npos);
}

TEST_CASE("stepflow validate exits 2 on bad usage") {
  if (!HaveBinary()) return;
  CHECK(Validate("").exit_code == 2);
  CHECK(Validate("--bogus x").exit_code == 2);
}

TEST_CASE("stepflow validate rejects a file over 1 MiB with a clear size error") {
  if (!HaveBinary()) return;
  std::string path = std::filesystem::temp_directory_path() / "stepflow_validate_big.json";
  {
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::string chunk(1024 * 1024, ' ');
    for (int i = 0; i < 50; ++i) std::fwrite(chunk.data(), 1, chunk.size(), f);
    std::fclose(f);
  }
  Run run = Validate(path + " --json");
  std::filesystem::remove(path);
  CHECK(run.exit_code == 1);
  CHECK(run.out.find("\"result\":\"FAIL\"") != std::string::npos);
  CHECK(run.out.find("over the limit of 1048576 bytes") != std::string::npos);
}

TEST_CASE("stepflow validate reads the definition from stdin with '-'") {
  if (!HaveBinary()) return;
  Run run = Validate("- < " + kData + "valid.asl.json");
  CHECK(run.exit_code == 0);
}
