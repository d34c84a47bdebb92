// The functions file: {"name": "http://host:port", ...} -> function endpoints.

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "stepflow/engine/functions_file.h"

namespace {

using stepflow::engine::ParseFunctionsJson;
using stepflow::engine::ReadFunctionsFile;

std::string ErrorOf(const std::string& text) {
  auto parsed = ParseFunctionsJson(text, "fns.json");
  REQUIRE(!parsed.ok());
  return parsed.status().ToString();
}

}  // namespace

TEST_CASE("A functions file maps names to endpoints in file order") {
  auto parsed = ParseFunctionsJson(R"({"echo":"http://127.0.0.1:9001","bill-2.v":"https://fn.example/base"})", "x");
  REQUIRE_MESSAGE(parsed.ok(), parsed.status().ToString());
  REQUIRE(parsed->size() == 2);
  CHECK((*parsed)[0] == std::pair<std::string, std::string>("echo", "http://127.0.0.1:9001"));
  CHECK((*parsed)[1] == std::pair<std::string, std::string>("bill-2.v", "https://fn.example/base"));
  auto empty = ParseFunctionsJson("{}", "x");
  REQUIRE(empty.ok());
  CHECK(empty->empty());
}

TEST_CASE("A bad functions file says which file and what is wrong") {
  std::string e = ErrorOf(R"({"echo": "http://127.0.0.1:9001",})");
  CHECK_MESSAGE(e.find("fns.json") != std::string::npos, e);
  CHECK_MESSAGE(e.find("line 1") != std::string::npos, e);
  e = ErrorOf(R"(["http://127.0.0.1:9001"])");
  CHECK_MESSAGE(e.find("expected an object") != std::string::npos, e);
  e = ErrorOf(R"({"echo": 9001})");
  CHECK_MESSAGE(e.find("'echo'") != std::string::npos, e);
  CHECK_MESSAGE(e.find("9001") != std::string::npos, e);
  e = ErrorOf(R"({"echo": "127.0.0.1:9001"})");
  CHECK_MESSAGE(e.find("http:// or https://") != std::string::npos, e);
  e = ErrorOf(R"({"ec ho": "http://127.0.0.1:9001"})");
  CHECK_MESSAGE(e.find("'ec ho' is not a Lambda function name") != std::string::npos, e);
  e = ErrorOf(R"({"a": "http://127.0.0.1:1", "a": "http://127.0.0.1:2"})");
  CHECK_MESSAGE(e.find("given twice") != std::string::npos, e);
}

TEST_CASE("ReadFunctionsFile reads a file and names a missing one") {
  auto missing = ReadFunctionsFile("/nonexistent/functions.json");
  REQUIRE(!missing.ok());
  CHECK_MESSAGE(missing.status().ToString().find("/nonexistent/functions.json") != std::string::npos,
                missing.status().ToString());
  char path[] = "/tmp/stepflow-functions-XXXXXX";
  int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(path) << R"({"echo": "http://127.0.0.1:9001"})";
  auto read = ReadFunctionsFile(path);
  std::remove(path);
  REQUIRE_MESSAGE(read.ok(), read.status().ToString());
  CHECK(read->at(0).second == "http://127.0.0.1:9001");
}
