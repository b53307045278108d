#include "scenario.hpp"

namespace demo {
namespace {
struct entry {
  scenario kind;
  std::string_view name;
  scenario_window window;
};
// The single source of the windows documented in scenario.hpp and --help.
constexpr entry table[] = {
    {scenario::healthy, "healthy", {0, 0}},
    {scenario::disk_fill, "disk-fill", {20, 80}},
    {scenario::container_flap, "container-flap", {30, 60}},
    {scenario::latency_spike, "latency-spike", {40, 60}},
    {scenario::heartbeat_loss, "heartbeat-loss", {50, 80}},
};
}  // namespace

std::string_view to_string(scenario s) noexcept {
  for (const auto& e : table)
    if (e.kind == s) return e.name;
  return "unknown";
}

std::optional<scenario> parse_scenario(std::string_view s) noexcept {
  for (const auto& e : table)
    if (e.name == s) return e.kind;
  return std::nullopt;
}

scenario_window window_of(scenario s) noexcept {
  for (const auto& e : table)
    if (e.kind == s) return e.window;
  return {};
}

fault_plan plan_fault(scenario s, std::int64_t total_ms) noexcept {
  const auto w = window_of(s);
  return {s, total_ms * w.onset_pct / 100, total_ms * w.end_pct / 100};
}

const char* scenario_help() noexcept {
  return "Scenarios (--scenario), at fixed fractions of the run; a run of N events lasts N ms\n"
         "of simulated time from 2026-01-01T00:00:00Z (with --duration D: of D from start):\n"
         "  healthy         no fault\n"
         "  disk-fill       20%..80%: disk sdb (segmentstore-1) fills linearly to 100%, its\n"
         "                  reclamation stops; it stays full from 80% to the end\n"
         "  container-flap  30%..60%: container 3 cycles RECOVERING/RUNNING about 45 times\n"
         "                  (every 80-160 ms in a run of 20000 events, longer in longer runs)\n"
         "  latency-spike   40%..60%: journal (bookkeeper) write latency x20 on every store\n"
         "  heartbeat-loss  50%..80%: segmentstore-2 records nothing at all, then reconnects\n"
         "The fault window is printed in the summary line (fault_onset=, fault_end=).\n"
         "The default insight rules look at windows of minutes: docs/scenarios.md runs\n"
         "disk-fill and healthy with --events 1800000, the others with 1200000.\n"
         "Seeded runs of the stream-store tiers stop at each engine period of the simulated\n"
         "clock (so metric snapshots are reproducible) and do not fsync the store.\n";
}

}  // namespace demo
