#pragma once
// A gauge: the last value set, or a running total of additions.

#include <atomic>
#include <concepts>
#include <type_traits>

#include "introspect/metrics/detail/thread_slot.hpp"
#include "introspect/metrics/metric_type.hpp"

namespace introspect::inline v1::metrics {

//! A value that goes up and down (bytes cached, queue depth); integers are exact up to 2^53.
//!
//! @code
//! registry.gauge("segmentstore.cache.bytes").set(1234);
//! @endcode
class alignas(detail::cache_line) gauge {
 public:
  gauge() noexcept = default;
  gauge(const gauge&) = delete;
  gauge& operator=(const gauge&) = delete;

  //! Replaces the value (one relaxed store; last writer wins).
  template <class T>
  requires std::is_arithmetic_v<T>
  void set(T v) noexcept { value_.store(static_cast<double>(v), std::memory_order_relaxed); }

  //! Adds `delta` (may be negative); a CAS loop, so contended adds cost more than set().
  template <class T>
  requires std::is_arithmetic_v<T>
  void add(T delta) noexcept {
    value_.fetch_add(static_cast<double>(delta), std::memory_order_relaxed);
  }

  //! The current value.
  [[nodiscard]] double value() const noexcept { return value_.load(std::memory_order_relaxed); }

  //! Current value as a snapshot sample.
  [[nodiscard]] gauge_sample sample() const noexcept { return {value()}; }

 private:
  std::atomic<double> value_{0.0};
};

}  // namespace introspect::inline v1::metrics
