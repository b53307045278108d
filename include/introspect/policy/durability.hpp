#pragma once
//! Durability policies of the stream store: how far an acknowledged record is from the disk.
#include <cstdint>

#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::durability {

//! Written when the buffer fills, at a period and at exit; never fsynced.
struct none {
  using category = tag::durability;
  static constexpr std::uint32_t every_n = 0;
  static constexpr bool sync_on_tick = false;
};
//! Written and fdatasynced at every period (the default): a crash loses at most one period.
struct on_tick {
  using category = tag::durability;
  static constexpr std::uint32_t every_n = 0;
  static constexpr bool sync_on_tick = true;
};
//! Written and fdatasynced every N records of a stream.
template <std::uint32_t N>
struct every {
  static_assert(N > 0, "durability::every<N> needs N > 0");
  using category = tag::durability;
  static constexpr std::uint32_t every_n = N;
  static constexpr bool sync_on_tick = true;
};
//! Written and fdatasynced before the writer moves on: a written record survives kill -9.
struct per_record {
  using category = tag::durability;
  static constexpr std::uint32_t every_n = 1;
  static constexpr bool sync_on_tick = true;
};

}  // namespace introspect::inline v1::durability
