#pragma once
//! Counters of what an engine did and did not do, by cause: no drop is ever silent.
#include <cstdint>

namespace introspect::inline v1 {

//! A snapshot of an engine's health counters.
struct engine_stats {
  std::uint64_t records = 0;              //!< records offered by the product and its sources
  std::uint64_t dropped_buffer_full = 0;  //!< records dropped because the buffer was full
  std::uint64_t dropped_oversize = 0;     //!< records dropped because they exceed a slot
  std::uint64_t lost_write_error = 0;     //!< records lost because the sink failed at exit
  std::uint64_t write_errors = 0;         //!< failed write attempts (retried later)
  std::uint64_t flushes = 0;              //!< successful flushes
  int last_errno = 0;                     //!< the errno of the last failure, 0 if none

  std::uint64_t dropped() const noexcept {
    return dropped_buffer_full + dropped_oversize + lost_write_error;
  }
};

}  // namespace introspect::inline v1
