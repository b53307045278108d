#include "cluster.hpp"

#include <fmt/format.h>

namespace demo {

const char* to_string(container_state s) noexcept {
  switch (s) {
    case container_state::starting:
      return "STARTING";
    case container_state::recovering:
      return "RECOVERING";
    case container_state::running:
      return "RUNNING";
    case container_state::offline:
      return "OFFLINE";
    case container_state::failed:
      return "FAILED";
  }
  return "UNKNOWN";
}

const char* to_string(disk_level l) noexcept {
  switch (l) {
    case disk_level::ok:
      return "OK";
    case disk_level::nearly_full:
      return "NEARLY_FULL";
    case disk_level::full:
      return "FULL";
  }
  return "UNKNOWN";
}

cluster::cluster() {
  for (int i = 0; i < controller_count; ++i) ctl.names[i] = fmt::format("controller-{}", i);
  for (int i = 0; i < bookie_count; ++i) bookies[i] = fmt::format("bookie-{}", i);
  stores.resize(store_count);
  for (int i = 0; i < store_count; ++i) {
    auto& s = stores[static_cast<std::size_t>(i)];
    s.id = i;
    s.name = fmt::format("segmentstore-{}", i);
    s.key = fmt::format("segmentstore/{}", i);
    s.dsk.dev = fmt::format("sd{}", static_cast<char>('a' + i));
    s.dsk.key = "disk/" + s.dsk.dev;
    s.dsk.used_metric = fmt::format("disk.{}.used_bytes", s.dsk.dev);
    s.dsk.capacity_metric = fmt::format("disk.{}.capacity_bytes", s.dsk.dev);
    s.dsk.pct_metric = fmt::format("disk.{}.used_pct", s.dsk.dev);
    s.heartbeat = fmt::format("segmentstore.{}.heartbeat", i);
    const auto m = [&](const char* what) { return fmt::format("segmentstore.{}.{}", i, what); };
    s.requests = m("requests");
    s.latency = m("request.latency_us");
    s.cache_hits = m("cache.hits");
    s.cache_misses = m("cache.misses");
    s.cache_bytes_metric = m("cache.bytes");
    s.hit_ratio_metric = m("cache.hit_ratio");
    s.running_metric = m("containers.running");
    s.append_errors = m("append.errors");
  }
  containers.resize(container_count);
  for (int c = 0; c < container_count; ++c) {
    auto& k = containers[static_cast<std::size_t>(c)];
    k.id = c;
    k.store = c % store_count;
    k.key = fmt::format("segmentstore/{}/container/{}", k.store, c);
  }
}

int cluster::running_on(int store) const noexcept {
  int n = 0;
  for (const auto& c : containers) n += c.store == store && c.state == container_state::running;
  return n;
}

}  // namespace demo
