#pragma once
//! Faults the demo can inject, and when: each window is a fixed fraction of the run so that a
//! seeded run of any length has its fault at a time known in advance.
//!
//! | scenario        | what happens                                               | window       |
//! |-----------------|------------------------------------------------------------|--------------|
//! | healthy         | nothing                                                    | -            |
//! | disk-fill       | sdb (segmentstore-1) used bytes rise linearly to full       | 20% .. 80%,  |
//! |                 | (reclamation on sdb stops; full from 80% to the end)        | then full    |
//! | container-flap  | container 3 cycles RECOVERING/RUNNING ~45 times: every      | 30% .. 60%   |
//! |                 | 80-160 ms at 20 000 events, scaled with the window's length |              |
//! | latency-spike   | journal (bookkeeper) write latency x20 on every store       | 40% .. 60%   |
//! | heartbeat-loss  | segmentstore-2 records nothing at all (then reconnects)     | 50% .. 80%   |
//!
//! A run of N events (--events) lasts N ms of simulated time, so the fault starts at
//! 2026-01-01T00:00:00Z + N*onset/100 ms; with --duration D it starts at D*onset/100 after start.
//! A fault takes effect at the first simulation step at or after its time; a step makes at
//! most a handful of calls, so onset and end are exact to within a few milliseconds.
//!
//! What the insight rules see (docs/scenarios.md): disk-fill grows disk.sdb.used_bytes towards
//! disk.sdb.capacity_bytes; container-flap changes the state segmentstore/0/container/3;
//! latency-spike raises the histogram bookkeeper.write.latency_us; heartbeat-loss stops the
//! counter (tiny: state) segmentstore.2.heartbeat.
#include <cstdint>
#include <optional>
#include <string_view>

namespace demo {

//! The injected fault.
enum class scenario { healthy, disk_fill, container_flap, latency_spike, heartbeat_loss };

//! Window of a scenario in percent of the run.
struct scenario_window {
  int onset_pct = 0;
  int end_pct = 0;
};

//! The fault of one run, in simulated milliseconds since the start (= event index).
struct fault_plan {
  scenario kind = scenario::healthy;
  std::int64_t onset_ms = 0;
  std::int64_t end_ms = 0;

  bool faulty() const noexcept { return kind != scenario::healthy; }
  bool is(scenario s) const noexcept { return kind == s; }
  //! True while the fault is in force at simulated time t.
  bool active(scenario s, std::int64_t t) const noexcept {
    return kind == s && t >= onset_ms && t < end_ms;
  }
};

std::string_view to_string(scenario s) noexcept;
std::optional<scenario> parse_scenario(std::string_view s) noexcept;
scenario_window window_of(scenario s) noexcept;
//! The plan for a run of `total_ms` simulated milliseconds.
fault_plan plan_fault(scenario s, std::int64_t total_ms) noexcept;
//! One paragraph for --help: every scenario with its window.
const char* scenario_help() noexcept;

}  // namespace demo
