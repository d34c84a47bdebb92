#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stepflow/asl/json.h"
#include "stepflow/asl/model.h"

using namespace stepflow::asl;

namespace {

std::string ReadAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("Every conformance definition (each ran on AWS) validates with no error") {
  std::filesystem::path dir = STEPFLOW_SHARED_DIR "/conformance/cases";
  REQUIRE(std::filesystem::is_directory(dir));
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  REQUIRE(!files.empty());
  int failures = 0;
  for (const auto& file : files) {
    Value doc;
    JsonError json_error;
    REQUIRE_MESSAGE(ParseJson(ReadAll(file), &doc, &json_error), file.string());
    const Value* definition = doc.Find("definition");
    REQUIRE_MESSAGE(definition != nullptr, file.string());
    // Through the text entry point, as a user's file would arrive.
    Diagnostics diagnostics;
    auto machine = ParseDefinition(ToJson(*definition), &diagnostics);
    if (machine == nullptr || HasError(diagnostics)) {
      ++failures;
      std::string report = file.filename().string() + ":";
      for (const Diagnostic& d : diagnostics) report += "\n  " + d.code + " at " + d.location + ": " + d.message;
      FAIL_CHECK(report);
    }
  }
  MESSAGE(files.size() << " conformance definitions checked");
  CHECK(failures == 0);
}
