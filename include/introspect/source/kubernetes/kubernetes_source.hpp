#pragma once
//! The Kubernetes source: lists and watches Deployments, StatefulSets, Pods and configured
//! custom resources on its own thread, and hands the resulting state records and
//! notifications to the collector's thread through a bounded queue. With options::snapshots
//! (the uber tier) every list is also recorded whole as `snapshot` records, periodically and on
//! demand (snapshot_now()), and the watch's changes as `put` / `delete` snapshot records.
//!
//! The collector (the engine's writer thread) must never wait on the network, and
//! cpp-httplib's requests block, so the source owns one thread (started only when the
//! kubernetes source is selected); collect() only takes what that thread has queued.
//!
//! @code
//! namespace k8s = introspect::kubernetes;
//! introspect::source::kubernetes_source src{[] { return introspect::kubernetes::discover(); },
//! {}}; src.start();
//! // on the collector's thread, at each cadence tick:
//! src.collect([&](const introspect::record_view& r) { engine.emit(r); });
//! @endcode
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <introspect/source/backoff.hpp>
#include <introspect/source/collect_report.hpp>
#include <introspect/detail/sigpipe.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/detail/jitter.hpp>
#include <introspect/source/kubernetes/discovery.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/handoff.hpp>
#include <introspect/source/kubernetes/options.hpp>
#include <introspect/source/kubernetes/watcher.hpp>

namespace introspect::inline v1::kubernetes {

//! Supplies the connection; called on the source's thread until it succeeds (a missing
//! token or kubeconfig is a failure that is recorded and retried, like a server that is down).
using connection_provider = std::function<loaded<connection>()>;

}  // namespace introspect::inline v1::kubernetes

namespace introspect::inline v1::source {

// `source::kubernetes` is the policy tag; the implementation lives in ::introspect::kubernetes.
namespace k8s = ::introspect::kubernetes;

//! The Kubernetes source: its own thread lists and watches; collect() hands over what it found.
class kubernetes_source {
 public:
  using clock = std::chrono::steady_clock;
  //! The source's name in records and error reports.
  static constexpr std::string_view name = "kubernetes";
  //! Threads this source starts (once start() is called).
  static constexpr int threads = 1;

  kubernetes_source(k8s::connection_provider provider, k8s::options o)
      : provider_(std::move(provider)),
        opts_(std::move(o)),
        queue_(opts_.handoff_capacity),
        config_backoff_(opts_.backoff_initial, opts_.backoff_max) {}
  kubernetes_source(k8s::connection c, k8s::options o)
      : kubernetes_source([c = std::move(c)] { return k8s::loaded<k8s::connection>::ok(c); },
                          std::move(o)) {}
  kubernetes_source(const kubernetes_source&) = delete;
  kubernetes_source& operator=(const kubernetes_source&) = delete;
  ~kubernetes_source() { stop(); }

  //! Starts the source's thread (once; later calls do nothing). Never throws: a thread that
  //! cannot be created is reported by config_error().
  void start() noexcept {
    std::lock_guard lock(mu_);
    if (thread_.joinable() || stopping_) return;
    try {
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      config_error_ = "cannot start the kubernetes source's thread";
    }
  }

  //! Stops the thread: the request in flight is broken off, so this returns promptly even
  //! while a watch is held open. Events already queued stay collectable.
  void stop() noexcept {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      if (watcher_) watcher_->interrupt();
    }
    cv_.notify_all();
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
  }

  //! With options::snapshots: asks for a new snapshot of every collection now (it starts after
  //! this call; a watch held open is broken off). The records arrive through collect(). Before
  //! the first connection it does nothing: the first lists are a snapshot anyway. Any thread.
  void snapshot_now() noexcept {
    {
      std::lock_guard lock(mu_);
      if (watcher_) watcher_->snapshot_now();
      woken_ = true;
    }
    cv_.notify_all();
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
    collect_report report;
    report_drops();
    report.emitted = queue_.drain([&](const k8s::event& e) { k8s::deliver(e, emit); });
    summarize(report, on_error, now);
    return report;
  }

  //! The same through the callback interface.
  collect_report collect(const k8s::callbacks& cb) {
    collect_report report;
    report_drops();
    report.emitted = queue_.drain([&](const k8s::event& e) { k8s::deliver(e, cb); });
    ignore_errors ignore;
    summarize(report, ignore, clock::now());
    return report;
  }

  //! Every watched collection's health and counters (empty until the connection is known).
  std::vector<k8s::resource_status> status() const {
    std::lock_guard lock(mu_);
    return watcher_ ? watcher_->status() : std::vector<k8s::resource_status>{};
  }
  //! Why no connection could be made yet (empty once one is).
  std::string config_error() const {
    std::lock_guard lock(mu_);
    return config_error_;
  }
  //! Events dropped because the collector did not take them in time.
  std::uint64_t dropped() const { return queue_.dropped(); }

 private:
  void run() noexcept {
    // Every socket write of this thread is ours; a guard per request covers the rest.
    introspect::detail::block_sigpipe_in_this_thread();
    std::vector<k8s::event> batch;
    while (!stopping()) {
      std::chrono::milliseconds wait{0};
      try {
        if (!has_watcher())
          wait = connect(batch);
        else
          wait = watcher_->step(batch);
        queue_.push(batch);
      } catch (...) {
        batch.clear();  // allocation failure: drop this batch, keep running
        wait = opts_.backoff_initial;
      }
      if (wait.count() > 0) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, wait, [&] { return stopping_ || woken_; });
        woken_ = false;
      }
    }
  }

  bool stopping() const {
    std::lock_guard lock(mu_);
    return stopping_;
  }
  bool has_watcher() const {
    std::lock_guard lock(mu_);
    return watcher_ != nullptr;
  }

  template <class OnError>
  void summarize(collect_report& report, OnError& on_error, clock::time_point now) {
    std::lock_guard lock(mu_);
    if (!watcher_) {
      if (config_backoff_.failures() > 0) {
        report.status = collect_status::failed;
        report.failed_parts = 1;
        report.next_attempt = config_backoff_.next_attempt();
        if (config_backoff_.failures() != reported_config_failures_)
          on_error(std::string_view{"config"}, std::string_view{config_error_});
        reported_config_failures_ = config_backoff_.failures();
      }
      return;
    }
    const auto st = watcher_->status();
    reported_failures_.resize(st.size());
    for (std::size_t i = 0; i < st.size(); ++i) {
      if (st[i].failures == 0) continue;
      ++report.failed_parts;
      report.next_attempt = std::min(report.next_attempt, st[i].next_attempt);
      if (st[i].total_failures != reported_failures_[i])
        on_error(std::string_view{st[i].name}, std::string_view{st[i].last_error});
      reported_failures_[i] = st[i].total_failures;
    }
    (void)now;  // the source's thread paces the retries; `now` is kept for interface parity
    report.status = report.failed_parts == 0           ? collect_status::ok
                    : report.failed_parts == st.size() ? collect_status::failed
                                                       : collect_status::partial;
  }

  // Resolves the connection; a failure is recorded like any other and retried with backoff.
  std::chrono::milliseconds connect(std::vector<k8s::event>& out) {
    auto c =
        provider_ ? provider_() : k8s::loaded<k8s::connection>::failed("no connection provider");
    const auto ts = opts_.clock();
    if (c) {
      auto w = std::make_unique<k8s::watcher>(*c, opts_);
      w->on_events([this](std::vector<k8s::event>& batch) { queue_.push(batch); });
      if (c->insecure_skip_tls_verify) {
        // Each connection made without verifying the server is on the record.
        k8s::event e;
        e.kind = record_kind::notification;
        e.ts_ns = ts;
        e.sev = severity::warning;
        e.name = "kubernetes: TLS verification is off (insecure-skip-tls-verify) for " + c->server +
                 ": the API server is not authenticated";
        e.attributes = {{"resource", std::string{"config"}}, {"server", c->server}};
        out.push_back(std::move(e));
      }
      std::lock_guard lock(mu_);
      if (config_backoff_.failures() > 0)
        k8s::detail::state(out, ts, "_source/config", "health", std::string{"ok"});
      config_backoff_.succeeded();
      config_error_.clear();
      watcher_ = std::move(w);
      if (stopping_) watcher_->interrupt();
      return std::chrono::milliseconds{0};
    }
    const auto now = clock::now();
    std::lock_guard lock(mu_);
    config_backoff_.failed(now);
    const auto delay =
        k8s::detail::jittered(std::chrono::ceil<std::chrono::milliseconds>(config_backoff_.delay()),
                              opts_.backoff_jitter, rng_);
    const auto failures = static_cast<std::int64_t>(config_backoff_.failures());
    if (failures == 1)
      k8s::detail::state(out, ts, "_source/config", "health", std::string{"failing"});
    k8s::detail::state(out, ts, "_source/config", "failures", failures);
    if (c.error != config_error_) {
      k8s::detail::state(out, ts, "_source/config", "last_error", c.error);
      k8s::event e;
      e.kind = record_kind::notification;
      e.ts_ns = ts;
      e.sev = severity::warning;
      e.name = "kubernetes: no connection: " + c.error;
      e.attributes = {{"resource", std::string{"config"}},
                      {"cause", c.error},
                      {"retry_in_ms", static_cast<std::int64_t>(delay.count())}};
      out.push_back(std::move(e));
      config_error_ = c.error;
    }
    return delay;
  }

  // Drops are reported on the collector's side, where they are counted in the first place.
  void report_drops() {
    const auto d = queue_.dropped();
    if (d == reported_drops_) return;
    std::vector<k8s::event> batch;
    k8s::event e;
    e.kind = record_kind::notification;
    e.ts_ns = opts_.clock();
    e.sev = severity::warning;
    e.name = "kubernetes: " + std::to_string(d - reported_drops_) +
             " events dropped: the collector did not keep up";
    e.attributes = {{"dropped_total", static_cast<std::int64_t>(d)}};
    batch.push_back(std::move(e));
    k8s::detail::state(batch, opts_.clock(), "_source/handoff", "dropped",
                       static_cast<std::int64_t>(d));
    reported_drops_ = d;
    queue_.push(batch);
  }

  k8s::connection_provider provider_;
  k8s::options opts_;
  k8s::handoff queue_;
  backoff config_backoff_;
  k8s::detail::jitter_rng rng_{reinterpret_cast<std::uintptr_t>(this)};
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;  // snapshot_now() cuts the wait between two steps short
  std::unique_ptr<k8s::watcher> watcher_;
  std::string config_error_;
  // The collector's side only: what was already reported.
  std::uint64_t reported_drops_ = 0;
  unsigned reported_config_failures_ = 0;
  std::vector<std::uint64_t> reported_failures_;
  std::thread thread_;
};

}  // namespace introspect::inline v1::source
