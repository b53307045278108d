#pragma once
//! Rules that suit the demo product (a storage product: disks, segment containers, a journal),
//! as a JSON rules file and as the same configuration built in C++.
#include <string>

#include <fmt/format.h>

#include <introspect/format/json_escape.hpp>
#include <introspect/insight/all_rules.hpp>

namespace introspect::inline v1::insight {

//! The record names the default rules watch; change them to fit another product.
struct default_names {
  std::string disk_used = "disk.*.used_bytes";                 // gauge per device
  std::string disk_capacity = "disk.*.capacity_bytes";         // companion gauge: the limit
  std::string container_state = "segmentstore/*/container/*";  // state keys
  std::string latency = "bookkeeper.write.latency_us";  // histogram (or gauge: latency_input)
  std::string latency_input = "interval_mean";          // "interval_mean" or "value"
  std::string heartbeat = "*heartbeat*";                // a name a live component keeps changing
};

//! The default rules as a rules file (what `introspect insights` uses without --rules).
inline std::string default_rules_json(const default_names& n = {}) {
  auto q = [](const std::string& s) {
    std::string out;
    append_json_string(out, s);
    return out;
  };
  return fmt::format(R"({{
  "version": 1,
  "options": {{"period": "1s", "update_min_periods": 10, "update_delta": 0.25}},
  "rules": [
    {{"name": "disk-full", "type": "exhaustion", "severity": "warning",
      "message": "disk {{match}} full in ~{{eta}}",
      "params": {{"metric": {0}, "limit_metric": {1}, "window": "10m", "horizon": "6h",
                 "points": 30, "min_points": 10}}}},
    {{"name": "container-flapping", "type": "flapping", "severity": "error",
      "params": {{"key": {2}, "changes": 12, "window": "5m"}}}},
    {{"name": "journal-latency", "type": "anomaly", "severity": "warning",
      "params": {{"metric": {3}, "input": {4}, "z": 6, "clear_z": 3, "warmup": 30,
                 "min_samples": 3, "direction": "up", "min_rel_spread": 0.05}}}},
    {{"name": "journal-latency-high", "type": "threshold", "severity": "error",
      "params": {{"metric": {3}, "field": "p99", "above": 200000, "clear": 100000, "for": "1m"}}}},
    {{"name": "source-silent", "type": "heartbeat", "severity": "error",
      "params": {{"kind": "metric", "by": "source", "timeout": "1m"}}}},
    {{"name": "component-heartbeat", "type": "heartbeat", "severity": "error",
      "params": {{"name": {5}, "by": "name", "require_change": true, "timeout": "30s"}}}},
    {{"name": "error-burst", "type": "burst", "severity": "error",
      "params": {{"min_severity": "error", "count": 20, "window": "1m"}}}},
    {{"name": "warning-rate", "type": "rate", "severity": "warning",
      "params": {{"mode": "count", "min_severity": "warning", "above": 100, "per": "1m",
                 "window": "5m"}}}}
  ]
}}
)",
                     q(n.disk_used), q(n.disk_capacity), q(n.container_state), q(n.latency),
                     q(n.latency_input), q(n.heartbeat));
}

//! The same rules built in C++ (no JSON parser needed).
inline config<all_rules> default_config(const default_names& n = {}) {
  constexpr std::int64_t s = 1'000'000'000;
  config<all_rules> c;
  c.opts.period_ns = s;
  c.opts.update = {10, 0.25};
  {
    rule_def<exhaustion> d{"disk-full", severity::warning, "disk {match} full in ~{eta}", {}};
    d.params.metric = n.disk_used;
    d.params.limit_metric = n.disk_capacity;
    d.params.window = {600 * s};
    d.params.horizon = {6 * 3600 * s};
    d.params.points = 30;
    d.params.min_points = 10;
    c.add(std::move(d));
  }
  {
    rule_def<flapping> d{"container-flapping", severity::error, "", {}};
    d.params.key = n.container_state;
    d.params.changes = 12;  // a start-up (2) and a restart (4) are not flapping
    d.params.window = {300 * s};
    c.add(std::move(d));
  }
  {
    rule_def<anomaly> d{"journal-latency", severity::warning, "", {}};
    d.params.metric = n.latency;
    d.params.input = n.latency_input;
    d.params.min_rel_spread = 0.05;
    c.add(std::move(d));
  }
  {
    rule_def<threshold> d{"journal-latency-high", severity::error, "", {}};
    d.params.metric = n.latency;
    d.params.field = "p99";
    d.params.above = 200000;
    d.params.clear = 100000;
    d.params.min_duration = {60 * s};
    c.add(std::move(d));
  }
  {
    rule_def<heartbeat> d{"source-silent", severity::error, "", {}};
    d.params.kind = "metric";
    d.params.timeout = {60 * s};
    c.add(std::move(d));
  }
  {
    rule_def<heartbeat> d{"component-heartbeat", severity::error, "", {}};
    d.params.name = n.heartbeat;
    d.params.by = "name";
    d.params.require_change = true;
    d.params.timeout = {30 * s};
    c.add(std::move(d));
  }
  {
    rule_def<burst> d{"error-burst", severity::error, "", {}};
    d.params.min_severity = severity::error;
    d.params.count = 20;
    d.params.window = {60 * s};
    c.add(std::move(d));
  }
  {
    rule_def<rate> d{"warning-rate", severity::warning, "", {}};
    d.params.min_severity = severity::warning;
    d.params.above = 100;
    d.params.window = {300 * s};
    c.add(std::move(d));
  }
  return c;
}

}  // namespace introspect::inline v1::insight
