#pragma once
//! The simulated storage product's state: a controller, segment stores hosting segment
//! containers, each store with a cache and a disk, and a bookkeeper journal. Plain data: the
//! behaviour lives in simulation.hpp, the names records use are built once here (no
//! formatting in the simulation loop).
#include <cstdint>
#include <string>
#include <vector>

namespace demo {

inline constexpr int store_count = 3;
inline constexpr int container_count = 12;  // container c is hosted by store c % store_count
inline constexpr int controller_count = 3;
inline constexpr int bookie_count = 3;
inline constexpr std::int64_t disk_capacity = 512LL << 30;  // 512 GiB per store
inline constexpr std::int64_t cache_capacity = 8LL << 30;   // 8 GiB per store
inline constexpr std::int64_t never = INT64_MAX;

//! Lifecycle of a segment container.
enum class container_state { starting, recovering, running, offline, failed };
const char* to_string(container_state s) noexcept;

//! Fill level of a disk, with hysteresis between levels.
enum class disk_level { ok, nearly_full, full };
const char* to_string(disk_level l) noexcept;

//! One segment container.
struct container {
  int id = 0;
  int store = 0;
  container_state state = container_state::starting;
  std::int64_t due = never;         //!< next lifecycle transition (simulated ms)
  std::int64_t down_since = -1;     //!< start of the current outage, -1 if none
  std::int64_t recovery_start = 0;  //!< when the current recovery began
  std::int64_t restarts = 0;
  const char* reason = "";  //!< why the current outage or restart happened
  bool flapping = false;    //!< the current recovery was forced by container-flap
  std::string key;          //!< "segmentstore/0/container/3": its host and its id
};

//! One store's disk.
struct disk {
  std::string dev;  //!< "sdb"
  std::int64_t used = 0;
  std::int64_t written_since_reclaim = 0;
  disk_level level = disk_level::ok;
  std::string key;              //!< "disk/sdb"
  std::string used_metric;      //!< "disk.sdb.used_bytes"
  std::string capacity_metric;  //!< "disk.sdb.capacity_bytes": the limit used_bytes grows to
  std::string pct_metric;       //!< "disk.sdb.used_pct"
  double used_pct() const noexcept {
    return static_cast<double>(used) * 100.0 / static_cast<double>(disk_capacity);
  }
};

//! One segment store with its cache and disk.
struct segment_store {
  int id = 0;
  std::string name;  //!< "segmentstore-1"
  std::string key;   //!< "segmentstore/1": its status, repeated at each heartbeat
  disk dsk;
  std::int64_t cache_bytes = 0;
  double hit_ratio = 0.9;
  std::int64_t ledger = 0;  //!< current journal ledger id
  bool silent = false;      //!< heartbeat-loss: records nothing
  std::int64_t next_heartbeat = 0, next_gauges = 0, next_reclaim = 0;
  std::int64_t beats = 0;  //!< heartbeats sent: the value of `heartbeat`, which must change
  // The product rate-limits its repeated reports; each report counts what it stands for.
  std::int64_t last_append_error = -1'000'000, append_errors_unreported = 0;
  std::int64_t last_slow_report = -1'000'000, slow_unreported = 0;
  std::string heartbeat;  //!< "segmentstore.1.heartbeat"
  std::string requests, latency, cache_hits, cache_misses, cache_bytes_metric, hit_ratio_metric,
      running_metric, append_errors;  //!< metric names "segmentstore.1.requests", ...
};

//! The controller ensemble: one leader at a time.
struct controller {
  int leader = 0;
  std::int64_t epoch = 1;
  std::int64_t next_status = 0;
  std::int64_t next_leader_change = never;
  std::string names[controller_count];  //!< "controller-0", ...
};

//! Everything the simulation changes.
struct cluster {
  controller ctl;
  std::vector<segment_store> stores;
  std::vector<container> containers;
  std::string bookies[bookie_count];
  std::int64_t next_failure = never;

  cluster();
  segment_store& host(const container& c) noexcept {
    return stores[static_cast<std::size_t>(c.store)];
  }
  int running_on(int store) const noexcept;
};

}  // namespace demo
