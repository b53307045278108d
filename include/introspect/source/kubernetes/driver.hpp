#pragma once
//! The Kubernetes source's driver (run by source::threaded_source, one lane per collection):
//! lane 0 resolves the connection (retried with backoff while there is none) while the other
//! lanes wait for it; then each lane steps its own collection of the watcher (its list and its
//! watch), so a change of one collection is never held back by another's watch.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <introspect/source/backoff.hpp>
#include <introspect/source/detail/jitter.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/options.hpp>
#include <introspect/source/kubernetes/resource_status.hpp>
#include <introspect/source/kubernetes/watcher.hpp>
#include <introspect/source/threaded_source.hpp>

namespace introspect::inline v1::kubernetes {

//! Supplies the connection; called on the source's thread until it succeeds (a missing
//! token or kubeconfig is a failure that is recorded and retried, like a server that is down).
using connection_provider = std::function<loaded<connection>()>;

//! What the collector needs to summarise a collect() call, read under one lock.
struct source_health {
  bool connected = false;
  unsigned config_failures = 0;
  std::chrono::steady_clock::time_point config_next_attempt{};
  std::string config_error;
  std::vector<resource_status> collections;
};

//! Connects, then lists and watches; snapshot_now(), interrupt() and health() from any thread.
class driver {
  using clock = std::chrono::steady_clock;

 public:
  driver(connection_provider provider, options o)
      : provider_(std::move(provider)),
        opts_(std::move(o)),
        lanes_(watcher::collections(opts_).size()),
        config_backoff_(opts_.backoff_initial, opts_.backoff_max) {}
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  //! One lane (and thread) per watched collection.
  std::size_t lanes() const noexcept { return lanes_; }

  //! Lane `lane`'s next action: connecting (lane 0; the others wait for the connection), or
  //! its collection's next due list or watch. Returns the wait until the next.
  std::chrono::milliseconds step(source::record_outbox& out, std::size_t lane) {
    std::vector<event> batch;
    watcher* w = nullptr;
    {
      std::unique_lock lock(mu_);
      if (!watcher_ && lane != 0) {
        connected_.wait_for(lock, std::chrono::seconds(1),
                            [&] { return watcher_ != nullptr || interrupted_; });
        return std::chrono::milliseconds{0};
      }
      w = watcher_.get();
    }
    const auto wait = w ? w->step(lane, batch) : connect(batch, out);
    out.push(batch);
    return wait;
  }

  //! Breaks off every request in flight; every later step returns at once (shutdown).
  void interrupt() noexcept {
    {
      std::lock_guard lock(mu_);
      interrupted_ = true;
      if (watcher_) watcher_->interrupt();
    }
    connected_.notify_all();
  }

  //! With options::snapshots: a new snapshot of every collection at the next step.
  void snapshot_now() noexcept {
    std::lock_guard lock(mu_);
    if (watcher_) watcher_->snapshot_now();
  }

  //! The connection's and every collection's health.
  source_health health() const {
    std::lock_guard lock(mu_);
    source_health h;
    h.connected = watcher_ != nullptr;
    h.config_failures = config_backoff_.failures();
    h.config_next_attempt = config_backoff_.next_attempt();
    h.config_error = config_error_;
    if (watcher_) h.collections = watcher_->status();
    return h;
  }
  //! Why no connection could be made yet (empty once one is).
  std::string config_error() const {
    std::lock_guard lock(mu_);
    return config_error_;
  }
  //! Records that the thread could not be started.
  void note_start_failure() {
    std::lock_guard lock(mu_);
    config_error_ = "cannot start the kubernetes source's thread";
  }
  const options& opts() const noexcept { return opts_; }

 private:
  // Resolves the connection; a failure is recorded like any other and retried with backoff.
  std::chrono::milliseconds connect(std::vector<event>& out, source::record_outbox& box) {
    auto c = provider_ ? provider_() : loaded<connection>::failed("no connection provider");
    const auto ts = opts_.clock();
    if (c) {
      auto w = std::make_unique<watcher>(*c, opts_);
      // A long watch slice hands its events over as they arrive (each lane's, concurrently).
      w->on_events([&box](std::vector<event>& batch) { box.push(batch); });
      if (c->insecure_skip_tls_verify) {
        // Each connection made without verifying the server is on the record.
        event e;
        e.kind = record_kind::notification;
        e.ts_ns = ts;
        e.sev = severity::warning;
        e.name = "kubernetes: TLS verification is off (insecure-skip-tls-verify) for " + c->server +
                 ": the API server is not authenticated";
        e.fields = {{"resource", std::string{"config"}}, {"server", c->server}};
        out.push_back(std::move(e));
      }
      std::lock_guard lock(mu_);
      if (config_backoff_.failures() > 0)
        detail::state(out, ts, "_source/config", "health", std::string{"ok"});
      config_backoff_.succeeded();
      config_error_.clear();
      watcher_ = std::move(w);
      if (interrupted_) watcher_->interrupt();
      connected_.notify_all();  // the other lanes start on their collections
      return std::chrono::milliseconds{0};
    }
    const auto now = clock::now();
    std::lock_guard lock(mu_);
    config_backoff_.failed(now);
    const auto delay = source::detail::jittered(
        std::chrono::ceil<std::chrono::milliseconds>(config_backoff_.delay()), opts_.backoff_jitter,
        rng_);
    const auto failures = static_cast<std::int64_t>(config_backoff_.failures());
    if (failures == 1) detail::state(out, ts, "_source/config", "health", std::string{"failing"});
    detail::state(out, ts, "_source/config", "failures", failures);
    if (c.error != config_error_) {
      detail::state(out, ts, "_source/config", "last_error", c.error);
      event e;
      e.kind = record_kind::notification;
      e.ts_ns = ts;
      e.sev = severity::warning;
      e.name = "kubernetes: no connection: " + c.error;
      e.fields = {{"resource", std::string{"config"}},
                  {"cause", c.error},
                  {"retry_in_ms", static_cast<std::int64_t>(delay.count())}};
      out.push_back(std::move(e));
      config_error_ = c.error;
    }
    return delay;
  }

  connection_provider provider_;
  options opts_;
  source::detail::jitter_rng rng_{reinterpret_cast<std::uintptr_t>(this)};
  std::size_t lanes_;
  mutable std::mutex mu_;
  std::condition_variable connected_;  // lanes other than 0 wait for the connection
  source::backoff config_backoff_;     // under mu_
  bool interrupted_ = false;
  std::unique_ptr<watcher> watcher_;
  std::string config_error_;
};

}  // namespace introspect::inline v1::kubernetes
