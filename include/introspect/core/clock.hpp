#pragma once
//! The time source of records: nanoseconds since the Unix epoch, replaceable for simulations.
#include <cstdint>
#include <ctime>

namespace introspect::inline v1 {

//! A clock function: nanoseconds since 1970-01-01T00:00:00Z.
using clock_fn = std::int64_t (*)() noexcept;

//! The default clock: CLOCK_REALTIME through the vDSO (about 20-30 ns here).
inline std::int64_t realtime_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

//! A cheaper clock for hot paths: CLOCK_REALTIME_COARSE (about 6 ns, jiffy resolution).
inline std::int64_t coarse_realtime_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace introspect::inline v1
