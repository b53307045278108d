#pragma once
//! The simulated clock: 2026-01-01T00:00:00Z plus 1 ms per event, installed through
//! introspect::config::clock so that a seeded run stamps the same times on every machine.
#include <cstdint>

namespace demo::sim_clock {

//! 2026-01-01T00:00:00Z in nanoseconds since the Unix epoch (20454 days after 1970-01-01).
inline constexpr std::int64_t epoch_ns = 1'767'225'600LL * 1'000'000'000;
//! Simulated time between two consecutive events.
inline constexpr std::int64_t ns_per_event = 1'000'000;

//! Moves the clock to the time of event `index` (0-based).
void set_event(std::int64_t index) noexcept;

//! The current simulated time; matches introspect::clock_fn.
std::int64_t now() noexcept;

}  // namespace demo::sim_clock
