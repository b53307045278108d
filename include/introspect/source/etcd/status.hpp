#pragma once
//! The etcd source's counters and health, readable from any thread.
#include <chrono>
#include <cstdint>
#include <string>

namespace introspect::inline v1::etcd {

//! A copy of the source's counters at one instant.
struct status {
  std::uint64_t snapshots = 0;         //!< snapshots completed
  std::uint64_t snapshot_id = 0;       //!< id of the last completed snapshot (0 = none)
  std::int64_t snapshot_revision = 0;  //!< revision of the last completed snapshot
  std::uint64_t snapshot_keys = 0;     //!< keys in the last completed snapshot
  std::uint64_t watch_events = 0;      //!< changes recorded by the watch
  std::int64_t watch_revision = 0;     //!< the watch resumes after this revision
  std::uint64_t errors = 0;            //!< failures so far (each counted once)
  std::uint64_t compactions = 0;       //!< re-snapshots forced by a compacted revision
  unsigned consecutive_failures = 0;   //!< failures since the last success
  std::string last_error;              //!< cause of the last failure ("" = none yet)
  std::string last_error_part;         //!< "snapshot", "watch", "auth" or "config"
  //! The next attempt after a failure; time_point::max() when not backing off.
  std::chrono::steady_clock::time_point next_attempt = std::chrono::steady_clock::time_point::max();
};

}  // namespace introspect::inline v1::etcd
