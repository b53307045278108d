#pragma once
//! The Kubernetes source: lists and watches Deployments, StatefulSets, Pods and configured
//! custom resources, and hands the resulting state records and notifications to the
//! collector's thread. Every collection is listed and watched on its own thread with its own
//! connection, so a change is read as soon as the API server sends it. With options::snapshots (the
//! uber tier) every list is also recorded whole as `snapshot` records, periodically and on demand
//! (snapshot_now()), and the watch's changes as `put` / `delete` snapshot records. It is a
//! source::threaded_source (its threads do all network I/O, one lane per collection; a bounded
//! hand-off that drops its oldest records when the collector does not keep up) running
//! kubernetes::driver.
//!
//! @code
//! introspect::source::kubernetes_source src{[] { return introspect::kubernetes::discover(); },
//!                                           {}};
//! src.start();
//! // on the collector's thread, at each cadence tick:
//! src.collect([&](const introspect::record_view& r) { engine.emit(r); });
//! @endcode
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <introspect/source/collect_report.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/discovery.hpp>
#include <introspect/source/kubernetes/driver.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/options.hpp>
#include <introspect/source/threaded_source.hpp>

namespace introspect::inline v1::source {

// `source::kubernetes` is the policy tag; the implementation lives in ::introspect::kubernetes.
namespace k8s = ::introspect::kubernetes;

//! The Kubernetes source: its own threads list and watch; collect() hands over what they found.
class kubernetes_source {
 public:
  using clock = std::chrono::steady_clock;
  //! The source's name in records and error reports.
  static constexpr std::string_view name = "kubernetes";

  kubernetes_source(k8s::connection_provider provider, k8s::options o)
      : core_(o.handoff_capacity, std::move(provider), std::move(o)) {}
  kubernetes_source(k8s::connection c, k8s::options o)
      : kubernetes_source([c = std::move(c)] { return k8s::loaded<k8s::connection>::ok(c); },
                          std::move(o)) {}

  //! Threads this source starts (once start() is called): one per watched collection.
  std::size_t threads() const noexcept { return core_.lanes(); }

  //! Starts the source's threads (once; later calls do nothing). Never throws: a thread that
  //! cannot be created is reported by config_error().
  void start() noexcept {
    if (stopped_.load()) return;
    if (!core_.start()) core_.driver().note_start_failure();
  }
  //! Stops the threads: every request in flight is broken off, so this returns promptly even
  //! while a watch is held open. Events already queued stay collectable.
  void stop() noexcept {
    stopped_.store(true);
    core_.stop();
  }

  //! With options::snapshots: asks for a new snapshot of every collection now (it starts after
  //! this call; a watch held open is broken off). The records arrive through collect(). Before
  //! the first connection it does nothing: the first lists are a snapshot anyway. Any thread.
  void snapshot_now() noexcept {
    core_.driver().snapshot_now();
    core_.wake();
  }

  //! Hands every queued event to `emit(const record_view&)` (source "kubernetes") on the
  //! caller's thread, without waiting for the network.
  template <class Emit>
  requires std::invocable<Emit&, const record_view&> collect_report collect(Emit&& emit) {
    return collect(emit, ignore_errors{}, clock::now());
  }

  //! As collect(emit), and reports `on_error(collection, cause)` once per failure that happened
  //! since the last call. The report's status is ok, partial (some collections failing) or
  //! failed (all failing, or no connection); next_attempt is the earliest retry.
  template <class Emit, class OnError>
  requires std::invocable<Emit&, const record_view&> collect_report
  collect(Emit&& emit, OnError&& on_error, clock::time_point now = clock::now()) {
    (void)now;  // the source's threads pace the retries; `now` is kept for interface parity
    collect_report report;
    report_drops();
    report.emitted = core_.deliver_all(k8s::source_name, emit);
    summarize(report, on_error);
    return report;
  }

  //! The same through the callback interface.
  collect_report collect(const k8s::callbacks& cb) {
    collect_report report;
    report_drops();
    report.emitted = core_.drain([&](const k8s::event& e) { k8s::deliver(e, cb); });
    ignore_errors ignore;
    summarize(report, ignore);
    return report;
  }

  //! Every watched collection's health and counters (empty until the connection is known).
  std::vector<k8s::resource_status> status() const { return core_.driver().health().collections; }
  //! Why no connection could be made yet (empty once one is).
  std::string config_error() const { return core_.driver().config_error(); }
  //! Events dropped because the collector did not take them in time.
  std::uint64_t dropped() const { return core_.dropped(); }

 private:
  template <class OnError>
  void summarize(collect_report& report, OnError& on_error) {
    const auto h = core_.driver().health();
    if (!h.connected) {
      if (h.config_failures > 0) {
        report.status = collect_status::failed;
        report.failed_parts = 1;
        report.next_attempt = h.config_next_attempt;
        if (h.config_failures != reported_config_failures_)
          on_error(std::string_view{"config"}, std::string_view{h.config_error});
        reported_config_failures_ = h.config_failures;
      }
      return;
    }
    const auto& st = h.collections;
    reported_failures_.resize(st.size());
    for (std::size_t i = 0; i < st.size(); ++i) {
      if (st[i].failures == 0) continue;
      ++report.failed_parts;
      report.next_attempt = std::min(report.next_attempt, st[i].next_attempt);
      if (st[i].total_failures != reported_failures_[i])
        on_error(std::string_view{st[i].name}, std::string_view{st[i].last_error});
      reported_failures_[i] = st[i].total_failures;
    }
    report.status = report.failed_parts == 0           ? collect_status::ok
                    : report.failed_parts == st.size() ? collect_status::failed
                                                       : collect_status::partial;
  }

  // Drops are reported on the collector's side, where they are counted in the first place.
  void report_drops() {
    const auto d = core_.dropped();
    if (d == reported_drops_) return;
    const auto ts = core_.driver().opts().clock();
    std::vector<k8s::event> batch;
    k8s::event e;
    e.kind = record_kind::notification;
    e.ts_ns = ts;
    e.sev = severity::warning;
    e.name = "kubernetes: " + std::to_string(d - reported_drops_) +
             " events dropped: the collector did not keep up";
    e.fields = {{"dropped_total", static_cast<std::int64_t>(d)}};
    batch.push_back(std::move(e));
    k8s::detail::state(batch, ts, "_source/handoff", "dropped", static_cast<std::int64_t>(d));
    reported_drops_ = d;
    core_.push_from_outside(batch);
  }

  threaded_source<k8s::driver, drop_oldest> core_;
  std::atomic<bool> stopped_{false};
  // The collector's side only: what was already reported.
  std::uint64_t reported_drops_ = 0;
  unsigned reported_config_failures_ = 0;
  std::vector<std::uint64_t> reported_failures_;
};

}  // namespace introspect::inline v1::source
