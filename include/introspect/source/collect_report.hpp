#pragma once
// What one collect() call did: the outcome, and when a failing part is retried.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace introspect::inline v1::source {

//! The outcome of one collect() call.
enum class collect_status : std::uint8_t {
  ok,           //!< every part that was due succeeded
  partial,      //!< some parts failed; the others emitted their values
  failed,       //!< every part that was due failed
  backing_off,  //!< no part was due: all are waiting out a backoff after failures
};

//! The status's name ("ok", "partial", "failed", "backing_off").
[[nodiscard]] constexpr std::string_view to_string(collect_status s) noexcept {
  switch (s) {
    case collect_status::ok:
      return "ok";
    case collect_status::partial:
      return "partial";
    case collect_status::failed:
      return "failed";
    case collect_status::backing_off:
      return "backing_off";
  }
  return "unknown";
}

//! Summary of a collect() call; failure causes go to the error callback.
struct collect_report {
  collect_status status = collect_status::ok;
  std::size_t emitted = 0;       //!< values passed to emit
  std::size_t failed_parts = 0;  //!< parts that failed in this call
  //! Earliest retry of a failing part; time_point::max() when nothing is failing.
  std::chrono::steady_clock::time_point next_attempt = std::chrono::steady_clock::time_point::max();
};

//! An error callback that ignores failures (they still drive the backoff and the report).
struct ignore_errors {
  void operator()(std::string_view, std::string_view) const noexcept {}
};

}  // namespace introspect::inline v1::source
