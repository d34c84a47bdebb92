#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>

namespace stepflow::engine {

// Nanoseconds since the Unix epoch, UTC.
using Instant = int64_t;
inline constexpr Instant kNanosPerSecond = 1000000000;

// Where the engine reads time and asks to be woken. Callbacks run on the engine's
// thread. Implementations: the system clock (Engine's default) and ManualClock.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual Instant Now() = 0;
  // Calls `fn` once Now() >= at (at once when `at` is already due).
  virtual void ScheduleAt(Instant at, std::function<void()> fn) = 0;
};

// A clock that moves only when told, for tests: a one-year Wait takes no time.
// Not thread-safe; drive it from the thread that runs the engine.
class ManualClock : public Clock {
 public:
  explicit ManualClock(Instant start = 1700000000LL * kNanosPerSecond) : now_(start) {}
  Instant Now() override { return now_; }
  void ScheduleAt(Instant at, std::function<void()> fn) override;

  // Moves time forward by `d` ns, firing every timer that falls due, in order.
  void Advance(Instant d);
  // Jumps to the earliest pending timer and fires it (and any due at the same
  // instant). Returns false when no timer is pending.
  bool AdvanceToNextTimer();
  size_t pending_timers() const { return timers_.size(); }

 private:
  Instant now_;
  std::multimap<Instant, std::function<void()>> timers_;
};

}  // namespace stepflow::engine
