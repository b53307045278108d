#pragma once
//! The demo's command line: what to simulate, for how long, and where to record it.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "scenario.hpp"

namespace demo {

//! The tier selected with --tier; each maps to one introspection<tier::...> type.
enum class tier_id { tiny, small, medium, large, uber };
//! The mapping selected with --mapping; tier_default passes no mapping policy.
enum class mapping_id { tier_default, single, per_kind };

//! Parsed and validated options of one run.
struct options {
  tier_id tier = tier_id::tiny;
  std::filesystem::path store;
  std::uint64_t seed = 1;
  bool seed_given = false;
  std::int64_t events = 0;  //!< 0: no limit (only with --duration)
  std::optional<std::chrono::milliseconds> duration;
  mapping_id mapping = mapping_id::tier_default;
  std::string instance = "demo";
  scenario fault = scenario::healthy;
  int instances = 1;  //!< uber: product instances simulated one after the other
  std::string nats;   //!< uber: JetStream server(s) the instances feed; empty: local store only
  std::string metrics_listen;  //!< large: HOST:PORT of the Prometheus endpoint; empty: none
  std::string metrics_token;   //!< the bearer token a scrape must send (from a file); empty: none

  //! True when records carry simulated time (no --duration).
  bool simulated() const noexcept { return !duration; }
  //! The run's planned length in simulated milliseconds (1 event = 1 ms).
  std::int64_t planned_ms() const noexcept { return duration ? duration->count() : events; }
};

//! Options, or the exit code to return at once (0 after --help, 2 after a usage error).
struct parse_result {
  std::optional<options> opts;
  int exit_code = 0;
};

//! Parses argv; usage errors are printed on stderr and name the bad argument.
parse_result parse_options(int argc, char** argv);

std::string_view to_string(tier_id t) noexcept;
std::string_view to_string(mapping_id m) noexcept;

//! Parses "10s", "500ms", "2m", "1h", "1.5s" (a bare number is seconds); nullopt if invalid.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) noexcept;

}  // namespace demo
