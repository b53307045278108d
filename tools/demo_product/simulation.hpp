#pragma once
//! The product's behaviour: scheduled work (heartbeats, gauges, reclamation, container
//! lifecycles, controller elections, faults) interleaved with client traffic, all on the
//! simulated timeline of 1 ms per recording call.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include <introspect/core/kind.hpp>

#include "call_kind.hpp"
#include "cluster.hpp"
#include "prng.hpp"
#include "reports.hpp"
#include "scenario.hpp"
#include "traffic.hpp"

namespace demo {

//! Mean time between ordinary container failures across the cluster. A healthy cluster of 12
//! containers loses one now and then, not every few seconds: at this rate a container fails
//! about once an hour, so repeated restarts of one container mean something (container-flap).
inline constexpr double mean_ms_between_failures = 300'000;
//! container-flap cycles about 45 times in its window whatever the run's length: every
//! 80-160 ms (recovering for 20-60 ms) in a window of 6 s, every 8-16 s in a window of 10 min.
inline constexpr std::int64_t flap_reference_window_ms = 6'000;

//! Drives a cluster through a recorder `Rec` (demo::recorder<Ins>) until its budget is spent.
template <class Rec>
class simulation {
  using sev = introspect::severity;

 public:
  simulation(Rec& rec, std::uint64_t seed, fault_plan fault)
      : rec_(rec),
        rng_(seed),
        fault_(fault),
        flap_scale_(std::max<std::int64_t>(
            1, (fault.end_ms - fault.onset_ms) / flap_reference_window_ms)) {}

  void run() {
    startup();
    std::int64_t next_tick = 1000;
    while (!rec_.done()) {
      const std::int64_t t = rec_.now_ms();
      if (t >= next_tick) {  // the product's once-a-second housekeeping
        rec_.tick();
        next_tick = t - t % 1000 + 1000;
      }
      advance_fault(t);
      if (!run_due(t)) client_request(rec_, rng_, cl_, fault_, t);
    }
  }

 private:
  enum class task {
    ctl_status,
    leader_change,
    failure,
    flap,
    heartbeat,
    gauges,
    reclaim,
    lifecycle
  };
  struct pick {
    task what = task::ctl_status;
    std::int64_t due = never;
    int index = 0;
  };

  // Every container starts, every store and the controller announce themselves, and the
  // periodic work is scheduled relative to the end of start-up.
  void startup() {
    auto& ctl = cl_.ctl;
    rec_.state("controller/leader", ctl.names[ctl.leader]);
    rec_.notify(sev::notice, "controller leader elected",
                {{"leader", ctl.names[ctl.leader]}, {"epoch", ctl.epoch}});
    for (auto& s : cl_.stores) {
      s.dsk.used = static_cast<std::int64_t>(rng_.uniform(0.45, 0.60) * disk_capacity);
      s.cache_bytes = static_cast<std::int64_t>(rng_.uniform(0.3, 0.6) * cache_capacity);
      s.hit_ratio = rng_.uniform(0.82, 0.92);
      s.ledger = 1000 * (s.id + 1);
      rec_.state(s.key, "UP");
      rec_.notify(sev::info, "segment store started", {{"store", s.name}, {"disk", s.dsk.dev}});
      rec_.state(s.dsk.key, to_string(s.dsk.level));
      rec_.gauge(s.dsk.capacity_metric, disk_capacity);  // the limit the disk-full rule needs
    }
    const std::int64_t t = rec_.now_ms();
    for (auto& c : cl_.containers) {
      rec_.state(c.key, to_string(c.state));
      c.recovery_start = rec_.now_ms();
      c.due = t + rng_.between(20, 200);
    }
    ctl.next_status = t + 2000;
    ctl.next_leader_change = t + 1000 + static_cast<std::int64_t>(rng_.exponential(90'000));
    cl_.next_failure =
        t + 1 + static_cast<std::int64_t>(rng_.exponential(mean_ms_between_failures));
    for (auto& s : cl_.stores) {  // staggered so that stores do not report in lockstep
      s.next_heartbeat = t + 1000 + 333 * s.id;
      s.next_gauges = t + 50 + 83 * s.id;
      s.next_reclaim = t + 5000 + 1000 * s.id;
    }
  }

  void advance_fault(std::int64_t t) {
    if (!fault_.faulty()) return;
    if (!fault_started_ && t >= fault_.onset_ms) {
      fault_started_ = true;
      if (fault_.is(scenario::disk_fill)) fill_from_ = fill_store().dsk.used;
      if (fault_.is(scenario::heartbeat_loss)) lost_store().silent = true;
      if (fault_.is(scenario::container_flap)) flap_next_ = t;
    }
    if (fault_started_ && !fault_ended_ && t >= fault_.end_ms) {
      fault_ended_ = true;
      if (fault_.is(scenario::heartbeat_loss)) reconnect(lost_store(), t);
      flap_next_ = never;
    }
  }

  // The earliest scheduled work; ties go to the first in this fixed order (determinism).
  pick earliest() const {
    pick p;
    const auto consider = [&](task w, std::int64_t due, int i) {
      if (due < p.due) p = {w, due, i};
    };
    consider(task::ctl_status, cl_.ctl.next_status, 0);
    consider(task::leader_change, cl_.ctl.next_leader_change, 0);
    consider(task::failure, cl_.next_failure, 0);
    consider(task::flap, flap_next_, 0);
    for (const auto& s : cl_.stores) {
      consider(task::heartbeat, s.next_heartbeat, s.id);
      consider(task::gauges, s.next_gauges, s.id);
      consider(task::reclaim, s.next_reclaim, s.id);
    }
    for (const auto& c : cl_.containers) consider(task::lifecycle, c.due, c.id);
    return p;
  }

  bool run_due(std::int64_t t) {
    const pick p = earliest();
    if (p.due > t) return false;
    auto& s = cl_.stores[static_cast<std::size_t>(p.index)];
    switch (p.what) {
      case task::ctl_status:
        controller_status(t);
        break;
      case task::leader_change:
        leader_change(t);
        break;
      case task::failure:
        container_failure(t);
        break;
      case task::flap:
        flap(t);
        break;
      case task::heartbeat:
        heartbeat(s, t);
        break;
      case task::gauges:
        gauges(s, t);
        break;
      case task::reclaim:
        reclaim(s, t);
        break;
      case task::lifecycle:
        lifecycle(cl_.containers[static_cast<std::size_t>(p.index)], t);
        break;
    }
    return true;
  }

  // --- controller -------------------------------------------------------------------------

  void controller_status(std::int64_t t) {
    auto& ctl = cl_.ctl;
    rec_.state("controller/leader", ctl.names[ctl.leader]);
    int running = 0;
    for (const auto& s : cl_.stores) running += cl_.running_on(s.id);
    rec_.gauge("controller.containers.running", running);
    ctl.next_status = t + 2000;
  }

  void leader_change(std::int64_t t) {
    auto& ctl = cl_.ctl;
    const int old = ctl.leader;
    ctl.leader = static_cast<int>((old + rng_.between(1, controller_count - 1)) % controller_count);
    ++ctl.epoch;
    rec_.notify(sev::warning, "controller leader change",
                {{"old", ctl.names[old]}, {"new", ctl.names[ctl.leader]}, {"epoch", ctl.epoch}});
    rec_.state("controller/leader", ctl.names[ctl.leader]);
    ctl.next_leader_change = t + 1000 + static_cast<std::int64_t>(rng_.exponential(90'000));
  }

  // --- segment containers -----------------------------------------------------------------

  bool is_flap_target(const container& c) const noexcept {
    return fault_.is(scenario::container_flap) && c.id == flap_container;
  }

  // A random running container goes OFFLINE (or, one time in ten, FAILED) and is restarted
  // later by its lifecycle; see mean_ms_between_failures.
  void container_failure(std::int64_t t) {
    cl_.next_failure =
        t + 1 + static_cast<std::int64_t>(rng_.exponential(mean_ms_between_failures));
    auto& c = cl_.containers[static_cast<std::size_t>(rng_.between(0, container_count - 1))];
    const bool hard = rng_.chance(0.1);
    auto& s = cl_.host(c);
    if (c.state != container_state::running || s.silent || is_flap_target(c)) return;
    c.down_since = t;
    if (hard) {
      static constexpr const char* errors[] = {"checksum mismatch in segment attribute index",
                                               "unrecoverable journal gap"};
      c.reason = errors[rng_.between(0, 1)];
      c.state = container_state::failed;
      rec_.state(c.key, to_string(c.state));
      rec_.notify(sev::error, "container failed",
                  {{"container", c.id}, {"store", s.name}, {"error", c.reason}});
      c.due = t + rng_.between(2000, 5000);
    } else {
      static constexpr const char* reasons[] = {"segment store session expired",
                                                "journal ledger fenced", "out of memory"};
      c.reason = reasons[rng_.between(0, 2)];
      c.state = container_state::offline;
      rec_.state(c.key, to_string(c.state));
      rec_.notify(sev::warning, "container offline",
                  {{"container", c.id}, {"store", s.name}, {"reason", c.reason}});
      c.due = t + rng_.between(300, 1500);
    }
  }

  void lifecycle(container& c, std::int64_t t) {
    auto& s = cl_.host(c);
    if (s.silent) {  // a silent store's containers are not heard of until it reconnects
      c.due = t + 250;
      return;
    }
    switch (c.state) {
      case container_state::offline:
      case container_state::failed:
        if (c.state == container_state::failed)
          rec_.notify(sev::notice, "container reassigned",
                      {{"container", c.id}, {"store", s.name}, {"after", c.reason}});
        ++c.restarts;
        c.state = container_state::starting;
        c.recovery_start = t;
        rec_.state(c.key, to_string(c.state));
        c.due = t + rng_.between(20, 120);
        break;
      case container_state::starting:
        c.state = container_state::recovering;
        rec_.state(c.key, to_string(c.state));
        c.due = t + rng_.between(100, 600);  // replaying the journal
        break;
      case container_state::recovering:
        become_running(c, s, t);
        break;
      case container_state::running:
        c.due = never;
        break;
    }
  }

  void become_running(container& c, segment_store& s, std::int64_t t) {
    c.state = container_state::running;
    c.due = never;
    rec_.state(c.key, to_string(c.state));
    const std::int64_t recovery_ms = t - c.recovery_start;
    if (c.flapping) {
      rec_.notify(sev::warning, "container restarted",
                  {{"container", c.id},
                   {"store", s.name},
                   {"reason", c.reason},
                   {"downtime_ms", recovery_ms}});
    } else if (c.down_since >= 0) {
      rec_.notify(sev::warning, "container restarted",
                  {{"container", c.id},
                   {"store", s.name},
                   {"reason", c.reason},
                   {"downtime_ms", t - c.down_since}});
    } else {
      rec_.notify(sev::info, "container started",
                  {{"container", c.id}, {"store", s.name}, {"recovery_ms", recovery_ms}});
    }
    rec_.record(ContainerRecovery{c.id, c.store, recovery_ms, rng_.between(50, 400), c.restarts});
    c.down_since = -1;
    c.flapping = false;
  }

  // container-flap: the container is fenced and recovers again and again.
  void flap(std::int64_t t) {
    auto& c = cl_.containers[flap_container];
    if (!fault_.active(scenario::container_flap, t)) {
      flap_next_ = never;
      return;
    }
    flap_next_ = t + rng_.between(80, 160) * flap_scale_;
    if (c.state != container_state::running) return;
    c.state = container_state::recovering;
    c.flapping = true;
    c.reason = "ownership fenced by another segment store";
    c.recovery_start = t;
    ++c.restarts;
    rec_.state(c.key, to_string(c.state));
    c.due = t + rng_.between(20, 60) * flap_scale_;
  }

  // --- segment stores, caches, disks ------------------------------------------------------

  // The status "UP" repeats, so it cannot tell a live store from a table line; the heartbeat
  // counter changes at every beat: a counter where the tier records metrics (its periodic
  // snapshot repeats the last count once the store is gone), a state on the tiny tier.
  void heartbeat(segment_store& s, std::int64_t t) {
    s.next_heartbeat = t + 1000;
    if (s.silent) return;
    ++s.beats;
    if constexpr (Rec::recorded[static_cast<std::size_t>(call_kind::metric)])
      rec_.count(s.heartbeat);
    else
      rec_.state(s.heartbeat, s.beats);
    rec_.state(s.key, "UP");
    rec_.gauge(s.running_metric, cl_.running_on(s.id));
    rec_.record(DiskHealth{s.dsk.dev, s.id, s.dsk.used, disk_capacity, round2(s.dsk.used_pct()),
                           to_string(s.dsk.level)});
  }

  void gauges(segment_store& s, std::int64_t t) {
    s.next_gauges = t + 250;
    // The cache and its hit ratio wander whether or not anyone hears of it.
    s.cache_bytes = std::clamp<std::int64_t>(
        s.cache_bytes + static_cast<std::int64_t>(rng_.normal() * (64 << 20)) + (8 << 20),
        1LL << 30, cache_capacity);
    s.hit_ratio =
        std::clamp(s.hit_ratio + 0.05 * (0.86 - s.hit_ratio) + 0.02 * rng_.normal(), 0.30, 0.995);
    if (fault_.is(scenario::disk_fill) && s.id == fill_store_id && t >= fault_.onset_ms) {
      const double f = std::min(1.0, static_cast<double>(t - fault_.onset_ms) /
                                         static_cast<double>(fault_.end_ms - fault_.onset_ms));
      s.dsk.used = fill_from_ +
                   static_cast<std::int64_t>(f * static_cast<double>(disk_capacity - fill_from_));
    }
    if (s.silent) return;
    rec_.gauge(s.cache_bytes_metric, s.cache_bytes);
    rec_.gauge(s.hit_ratio_metric, std::round(s.hit_ratio * 1000) / 1000);
    rec_.gauge(s.dsk.used_metric, s.dsk.used);
    rec_.gauge(s.dsk.pct_metric, round2(s.dsk.used_pct()));
    check_disk_level(s);
  }

  // Levels with hysteresis, so that a disk hovering at a threshold does not chatter.
  void check_disk_level(segment_store& s) {
    auto& d = s.dsk;
    const double pct = d.used_pct();
    disk_level next = d.level;
    if (pct >= 98)
      next = disk_level::full;
    else if (pct >= 85 && d.level == disk_level::ok)
      next = disk_level::nearly_full;
    else if (pct < 95 && d.level == disk_level::full)
      next = pct < 80 ? disk_level::ok : disk_level::nearly_full;
    else if (pct < 80)
      next = disk_level::ok;
    if (next == d.level) return;
    const disk_level before = d.level;
    d.level = next;
    rec_.state(d.key, to_string(next));
    const std::initializer_list<introspect::field_view> attrs = {
        {"disk", d.dev},
        {"store", s.name},
        {"used_pct", round2(pct)},
        {"free_bytes", disk_capacity - d.used}};
    if (next == disk_level::full)
      rec_.notify(sev::critical, "disk full", attrs);
    else if (next == disk_level::nearly_full && before == disk_level::ok)
      rec_.notify(sev::warning, "disk nearly full", attrs);
    else if (next == disk_level::nearly_full)
      rec_.notify(sev::notice, "disk no longer full", attrs);
    else
      rec_.notify(sev::info, "disk usage back to normal", attrs);
  }

  // Retention and compaction give back about what was written since the last pass, so a
  // disk saw-tooths by about 10% of its capacity around its starting level.
  void reclaim(segment_store& s, std::int64_t t) {
    s.next_reclaim = t + rng_.between(20'000, 30'000);
    const double give_back = rng_.uniform(0.8, 1.2);
    if (s.silent) return;
    if (fault_.is(scenario::disk_fill) && s.id == fill_store_id && t >= fault_.onset_ms) return;
    auto& d = s.dsk;
    auto freed =
        static_cast<std::int64_t>(give_back * static_cast<double>(d.written_since_reclaim));
    if (d.used_pct() > 70) freed += disk_capacity / 20;
    freed = std::min(freed, d.used - disk_capacity * 35 / 100);
    d.written_since_reclaim = 0;
    if (freed <= 0) return;
    d.used -= freed;
    rec_.notify(sev::info, "disk space reclaimed",
                {{"disk", d.dev},
                 {"store", s.name},
                 {"freed_bytes", freed},
                 {"used_pct", round2(d.used_pct())}});
  }

  // heartbeat-loss ends: the store's session comes back and it reports again at once.
  void reconnect(segment_store& s, std::int64_t t) {
    s.silent = false;
    rec_.state(s.key, "UP");
    rec_.notify(sev::notice, "segment store reconnected",
                {{"store", s.name}, {"silent_ms", t - fault_.onset_ms}});
    s.next_heartbeat = s.next_gauges = t;
  }

  static double round2(double x) noexcept { return std::round(x * 100) / 100; }
  segment_store& fill_store() noexcept { return cl_.stores[fill_store_id]; }
  segment_store& lost_store() noexcept { return cl_.stores[lost_store_id]; }

  static constexpr std::size_t fill_store_id = 1;  // disk sdb
  static constexpr std::size_t lost_store_id = 2;
  static constexpr int flap_container = 3;

  Rec& rec_;
  prng rng_;
  fault_plan fault_;
  std::int64_t flap_scale_;
  cluster cl_;
  bool fault_started_ = false, fault_ended_ = false;
  std::int64_t fill_from_ = 0;
  std::int64_t flap_next_ = never;
};

}  // namespace demo
