#pragma once
//! The health and counters of one watched collection, readable from any thread.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

namespace introspect::inline v1::kubernetes {

//! The health and counters of one watched collection.
struct resource_status {
  std::string name;              // "deployments.apps"
  bool listed = false;           // a list succeeded and a watch can resume
  std::string resource_version;  // the last one seen
  std::size_t objects = 0;
  unsigned failures = 0;                 // consecutive
  std::chrono::milliseconds backoff{0};  // the wait before the next attempt, after a failure
  std::chrono::steady_clock::time_point next_attempt{};  // when it is due (after a failure)
  std::string last_error;                                // empty once it succeeds again
  std::uint64_t lists = 0;                               // successful lists
  std::uint64_t relists_gone = 0;                        // lists caused by 410 Gone
  std::uint64_t watches = 0;                             // watch requests that got a 200
  std::uint64_t events = 0;                              // watch events read (bookmarks included)
  std::uint64_t total_failures = 0;
  std::uint64_t snapshots = 0;    // snapshots recorded (options::snapshots)
  std::uint64_t snapshot_id = 0;  // id of the last one (0 = none)
};

}  // namespace introspect::inline v1::kubernetes
