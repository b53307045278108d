#pragma once
// The product's events as queue items: fixed-size, inline bytes, no allocation.

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "introspect/pipeline/bounded_queue.hpp"

namespace introspect::inline v1::pipeline {

//! One encoded event (notification, state, user struct) stored inline in a queue slot.
template <std::size_t Capacity = 256>
struct event_slot {
  static_assert(Capacity > 0 && Capacity <= UINT32_MAX, "event_slot<N>: N must fit in 32 bits");
  static constexpr std::size_t capacity = Capacity;

  std::int64_t ts = 0;     //!< event time, in the unit the producer chose (e.g. ns since epoch)
  std::uint32_t size = 0;  //!< bytes used in `bytes`
  std::uint8_t kind = 0;   //!< the record kind, as the record layer numbers them
  std::array<std::byte, Capacity> bytes;  // left uninitialised: only `size` bytes are ever read

  //! The payload as characters.
  [[nodiscard]] std::string_view payload() const noexcept {
    return {reinterpret_cast<const char*>(bytes.data()), size};
  }
  //! The payload as bytes.
  [[nodiscard]] std::span<const std::byte> data() const noexcept { return {bytes.data(), size}; }

  //! Fills the slot; false (and unchanged) when `payload` exceeds Capacity.
  bool assign(std::uint8_t k, std::int64_t t, std::string_view payload) noexcept {
    if (payload.size() > Capacity) return false;
    kind = k;
    ts = t;
    size = static_cast<std::uint32_t>(payload.size());
    if (!payload.empty()) std::memcpy(bytes.data(), payload.data(), payload.size());
    return true;
  }
};

//! Copies `payload` straight into a queue slot; an oversize payload is dropped and counted
//! (drop_cause::oversize) without touching the ring.
template <std::size_t N, class P>
push_result publish(bounded_queue<event_slot<N>, P>& q, std::uint8_t kind, std::int64_t ts,
                    std::string_view payload) noexcept {
  if (payload.size() > N) [[unlikely]] {
    q.count_drop(drop_cause::oversize);
    return push_result::dropped;
  }
  return q.push_with([&](event_slot<N>& s) noexcept { s.assign(kind, ts, payload); });
}

//! The event queue of the product: event slots of N bytes under drop policy P.
template <std::size_t N = 256, class P = drop_oldest>
using event_queue = bounded_queue<event_slot<N>, P>;

}  // namespace introspect::inline v1::pipeline
