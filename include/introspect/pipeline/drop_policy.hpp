#pragma once
// What a full queue does, as types; and the causes of drops, counted per cause.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace introspect::inline v1::pipeline {

//! When the queue is full, the new item is dropped (the producer's push fails).
struct drop_newest {};
//! When the queue is full, the producer evicts the oldest item, then pushes its own.
struct drop_oldest {};

//! Whether `P` is one of the drop policies.
template <class P>
inline constexpr bool is_drop_policy_v =
    std::is_same_v<P, drop_newest> || std::is_same_v<P, drop_oldest>;

//! Why an item was lost.
enum class drop_cause : std::uint8_t {
  queue_full,  //!< no room: the new item (drop_newest) or the evicted oldest (drop_oldest)
  oversize,    //!< the payload does not fit an event slot
};
//! Number of drop_cause values.
inline constexpr std::size_t drop_cause_count = 2;

//! The cause's name as recorded in the drop metric ("queue_full", "oversize").
[[nodiscard]] constexpr std::string_view to_string(drop_cause c) noexcept {
  switch (c) {
    case drop_cause::queue_full:
      return "queue_full";
    case drop_cause::oversize:
      return "oversize";
  }
  return "unknown";
}

//! The outcome of one push.
enum class push_result : std::uint8_t {
  pushed,   //!< enqueued, nothing lost
  evicted,  //!< enqueued after evicting the oldest item (drop_oldest)
  dropped,  //!< not enqueued (full under drop_newest, oversize, or lost a race for room)
};

//! Monotonic drop counters, one per cause; written by producers, read by anyone.
class drop_counters {
 public:
  //! Counts one (or `n`) lost item(s) of cause `c`.
  void add(drop_cause c, std::uint64_t n = 1) noexcept {
    counts_[static_cast<std::size_t>(c)].value.fetch_add(n, std::memory_order_relaxed);
  }
  //! Items lost so far for cause `c`.
  [[nodiscard]] std::uint64_t get(drop_cause c) const noexcept {
    return counts_[static_cast<std::size_t>(c)].value.load(std::memory_order_relaxed);
  }
  //! Items lost so far, every cause.
  [[nodiscard]] std::uint64_t total() const noexcept {
    std::uint64_t sum = 0;
    for (const auto& c : counts_) sum += c.value.load(std::memory_order_relaxed);
    return sum;
  }
  //! Calls `fn(drop_cause, std::string_view name, std::uint64_t count)` for every cause, so a
  //! consumer can record the counts as metrics (e.g. "pipeline.dropped.queue_full").
  template <class Fn>
  void for_each(Fn&& fn) const {
    for (std::size_t i = 0; i < drop_cause_count; ++i) {
      const auto c = static_cast<drop_cause>(i);
      fn(c, to_string(c), get(c));
    }
  }

 private:
  // Padded: drops come in bursts from many producers; keep them off the queue's index lines.
  struct alignas(64) cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<cell, drop_cause_count> counts_{};
};

}  // namespace introspect::inline v1::pipeline
