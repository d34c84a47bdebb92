// machine_probe: what this shared machine gives right now, to read the other
// benchmarks' figures against. It times a register-only loop, one dependency
// chain (latency) and eight (the core's throughput), and dependent loads over
// random cycles of 256 KiB to 64 MiB (memory latency at each size). Run it
// between a benchmark's runs to see which of them moves with its figures.
//
//   machine_probe
// Prints one line; exit status 0.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <random>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

volatile uint64_t kept;

double NanosecondsPer(Clock::time_point start, double steps) {
  return std::chrono::duration<double, std::nano>(Clock::now() - start).count() / steps;
}

// Nanoseconds per step of a xorshift chain: no memory, one dependency chain.
double ComputeNs(uint64_t* sink) {
  constexpr int kSteps = 50'000'000;
  uint64_t x = 88172645463325252ULL;
  auto start = Clock::now();
  for (int i = 0; i < kSteps; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
  }
  *sink += x;
  return NanosecondsPer(start, kSteps);
}

// Nanoseconds per step of eight independent xorshift chains: the core's
// throughput, which a busy hyperthread sibling on the host would take a share of.
double ThroughputNs(uint64_t* sink) {
  constexpr int kSteps = 20'000'000;
  uint64_t x[8];
  for (int j = 0; j < 8; ++j) x[j] = 88172645463325252ULL + j;
  auto start = Clock::now();
  for (int i = 0; i < kSteps; ++i) {
    for (uint64_t& v : x) {
      v ^= v << 13;
      v ^= v >> 7;
      v ^= v << 17;
    }
  }
  for (uint64_t v : x) *sink += v;
  return NanosecondsPer(start, kSteps);
}

// Nanoseconds per load of a random cycle through `bytes`, one cache line a step.
double ChaseNs(size_t bytes, uint64_t* sink) {
  constexpr size_t kWordsPerLine = 64 / sizeof(size_t);
  const size_t lines = bytes / 64;
  std::vector<size_t> next(lines * kWordsPerLine);
  std::vector<size_t> order(lines);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(1));
  for (size_t i = 0; i < lines; ++i) next[order[i] * kWordsPerLine] = order[(i + 1) % lines] * kWordsPerLine;
  size_t at = order[0] * kWordsPerLine;
  for (size_t i = 0; i < lines; ++i) at = next[at];  // one lap to warm caches and TLB
  constexpr size_t kSteps = 4'000'000;
  auto start = Clock::now();
  for (size_t i = 0; i < kSteps; ++i) at = next[at];
  *sink += at;
  return NanosecondsPer(start, kSteps);
}

}  // namespace

int main() {
  uint64_t sink = 0;
  double compute = ComputeNs(&sink);
  double throughput = ThroughputNs(&sink);
  std::printf("compute %.2f ns/step, 8 chains %.2f ns/step; load latency:", compute, throughput);
  for (size_t kib : {256, 1024, 2048, 4096, 65536}) std::printf(" %zu KiB %.1f ns", kib, ChaseNs(kib << 10, &sink));
  std::printf("\n");
  kept = sink;  // the loops' results are used, so they are not optimised away
  return 0;
}
