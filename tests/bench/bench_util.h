#pragma once

// What every benchmark program needs: failing loudly, reading inputs, CPU time
// and medians.
#include <errno.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "stepflow/asl/json.h"

namespace stepflow::bench {

// Prints "<program>: message" and exits 1.
[[noreturn]] inline void Die(const std::string& message) {
  std::fflush(stdout);
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, message.c_str());
  std::exit(1);
}

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

inline asl::Value ParseJsonOrDie(const std::string& text, const std::string& what) {
  asl::Value value;
  asl::JsonError error;
  if (!asl::ParseJson(text, &value, &error)) {
    Die(what + ": invalid JSON at line " + std::to_string(error.line) + ", column " + std::to_string(error.column) +
        ": " + error.message);
  }
  return value;
}

// This process's CPU time, all threads, in seconds.
inline double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace stepflow::bench
