#pragma once
// A clock that producers read with one relaxed load: the consumer (or tick()) refreshes it.
//
// Reading the system clock costs ~29 ns here (CLOCK_MONOTONIC_COARSE ~6.5 ns), more than the
// whole enqueue budget. Event timestamps only need the resolution of the refresh period (the
// queue order already orders events), so the hot path reads a cached value.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace introspect::inline v1::pipeline {

//! Nanoseconds since the Unix epoch, refreshed explicitly; now() is a relaxed atomic load.
//!
//! @code
//! pipeline::cached_clock clock;            // shared by producers and the consumer
//! publish(q, kind, clock.now(), payload);  // producer: ~0.3 ns for the timestamp
//! clock.refresh();                         // consumer, on every wake-up / tick()
//! @endcode
class cached_clock {
 public:
  cached_clock() noexcept { refresh(); }

  //! The last refreshed time, in ns since the Unix epoch.
  [[nodiscard]] std::int64_t now() const noexcept { return ns_.load(std::memory_order_relaxed); }
  //! Reads the system clock and publishes it; never moves backwards.
  std::int64_t refresh() noexcept {
    const std::int64_t t = std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    std::int64_t cur = ns_.load(std::memory_order_relaxed);
    while (t > cur && !ns_.compare_exchange_weak(cur, t, std::memory_order_relaxed)) {
    }
    return t > cur ? t : cur;
  }

 private:
  alignas(64) std::atomic<std::int64_t> ns_{0};
};

}  // namespace introspect::inline v1::pipeline
