#pragma once

#include <algorithm>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace stepflow::asl {

// One compiled form per distinct source text, shared by every user while any
// holds it. A definition repeats its paths and calls from state to state
// ("$.detail", "States.Format(...)"); sharing them keeps what a transition reads
// in cache, where a thousand private copies each cost a cache miss.
template <typename T>
class Interner {
 public:
  // The compiled form of `text`: the shared one while anything holds it, else
  // what `compile` returns (null when the text does not compile), kept for the
  // next caller.
  template <typename Compile>
  std::shared_ptr<const T> Get(std::string_view text, Compile compile) {
    {
      std::lock_guard lock(mutex_);
      auto it = entries_.find(std::string(text));
      if (it != entries_.end()) {
        if (auto shared = it->second.lock()) return shared;
      }
    }
    std::shared_ptr<const T> compiled = compile();  // unlocked: compiling may take a while
    if (compiled == nullptr) return nullptr;
    std::lock_guard lock(mutex_);
    entries_[std::string(text)] = compiled;
    // Entries of forms no longer used are dropped whenever the table doubles.
    if (entries_.size() >= 2 * live_at_sweep_) {
      std::erase_if(entries_, [](const auto& entry) { return entry.second.expired(); });
      live_at_sweep_ = std::max<size_t>(entries_.size(), kMinSweep);
    }
    return compiled;
  }

 private:
  static constexpr size_t kMinSweep = 512;
  std::mutex mutex_;
  std::unordered_map<std::string, std::weak_ptr<const T>> entries_;
  size_t live_at_sweep_ = kMinSweep;
};

}  // namespace stepflow::asl
