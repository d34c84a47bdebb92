#include "stepflow/engine/clock.h"

namespace stepflow::engine {

void ManualClock::ScheduleAt(Instant at, std::function<void()> fn) { timers_.emplace(at, std::move(fn)); }

void ManualClock::Advance(Instant d) {
  Instant target = now_ + d;
  while (!timers_.empty() && timers_.begin()->first <= target) {
    auto node = timers_.extract(timers_.begin());
    if (node.key() > now_) now_ = node.key();
    node.mapped()();
  }
  now_ = target;
}

bool ManualClock::AdvanceToNextTimer() {
  if (timers_.empty()) return false;
  Instant due = timers_.begin()->first;
  if (due > now_) now_ = due;
  while (!timers_.empty() && timers_.begin()->first <= now_) {
    auto node = timers_.extract(timers_.begin());
    node.mapped()();
  }
  return true;
}

}  // namespace stepflow::engine
