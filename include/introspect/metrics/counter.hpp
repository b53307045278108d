#pragma once
// A monotonically increasing counter with one cache-line cell per thread slot.

#include <array>
#include <atomic>
#include <cstdint>

#include "introspect/metrics/detail/thread_slot.hpp"
#include "introspect/metrics/metric_type.hpp"

namespace introspect::inline v1::metrics {

//! A monotonic counter whose inc() is wait-free, allocation-free and contention-free per thread.
//!
//! @code
//! auto& requests = registry.counter("controller.requests");
//! requests.inc();
//! @endcode
class counter {
 public:
  counter() noexcept = default;
  counter(const counter&) = delete;
  counter& operator=(const counter&) = delete;

  //! Adds `n`. Not async-signal-safe against an inc() it interrupts on the same thread.
  [[gnu::always_inline]] void inc(std::uint64_t n = 1) noexcept {
    const unsigned s = detail::thread_slot();
    detail::cell_add(cells_[s].value, n, s < detail::exclusive_slots);
  }

  //! The sum of every cell; concurrent increments may or may not be included.
  [[nodiscard]] std::uint64_t value() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& c : cells_) sum += c.value.load(std::memory_order_relaxed);
    return sum;
  }

  //! Current value as a snapshot sample.
  [[nodiscard]] counter_sample sample() const noexcept { return {value()}; }

 private:
  struct alignas(detail::cache_line) cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<cell, detail::slot_count> cells_{};
};

}  // namespace introspect::inline v1::metrics
