#pragma once
//! The etcd source: snapshots configured key prefixes through etcd's v3 JSON gateway, each
//! snapshot consistent at one revision, periodically and on demand, and watches the changes in
//! between. It is a source::threaded_source (one thread for all network I/O, a bounded
//! hand-off that blocks the source's thread when full: a snapshot never has a hole) running
//! etcd::driver.
//!
//! @code
//! introspect::etcd::options o;
//! o.endpoint = "http://127.0.0.1:2379";
//! o.prefixes = {"/config/", "/services/"};
//! introspect::source::etcd_source src{o};
//! src.start();
//! // on the collector's thread, at each cadence tick:
//! src.collect([&](const introspect::record_view& r) { engine.emit(r); });
//! @endcode
#include <atomic>
#include <chrono>
#include <string>
#include <string_view>
#include <utility>

#include <introspect/source/collect_report.hpp>
#include <introspect/source/etcd/driver.hpp>
#include <introspect/source/etcd/event.hpp>
#include <introspect/source/etcd/options.hpp>
#include <introspect/source/etcd/status.hpp>
#include <introspect/source/threaded_source.hpp>

namespace introspect::inline v1::source {

// `source::etcd` is the policy tag; the implementation lives in ::introspect::etcd.
namespace etcd_impl = ::introspect::etcd;

//! The etcd source: its own thread snapshots and watches; collect() hands over what it found.
class etcd_source {
 public:
  using clock = std::chrono::steady_clock;
  //! The source's name in records and error reports.
  static constexpr std::string_view name = "etcd";
  //! Threads this source starts (once start() is called).
  static constexpr int threads = 1;

  explicit etcd_source(etcd_impl::options o) : core_(o.handoff_capacity, std::move(o)) {}

  //! Starts the source's thread; after stop() it starts again and resumes the watch after the
  //! last revision seen (a revision compacted meanwhile forces a new snapshot). Never throws.
  void start() noexcept {
    if (!core_.start()) start_error_ = true;
  }
  //! Stops the thread: the request in flight is broken off, so this returns promptly even
  //! while a watch is held open. Records already queued stay collectable.
  void stop() noexcept { core_.stop(); }

  //! Asks for a snapshot now (it starts after this call; a watch held open is broken off).
  void snapshot_now() noexcept {
    core_.driver().snapshot_now();
    core_.wake();
  }

  //! Hands every queued record to `emit(const record_view&)` (source "etcd") on the caller's
  //! thread, without waiting for the network.
  template <class Emit>
  requires std::invocable<Emit&, const record_view&> collect_report collect(Emit&& emit) {
    return collect(emit, ignore_errors{}, clock::now());
  }

  //! As collect(emit), and reports `on_error(part, cause)` once per failure since the last
  //! call (part: "config", "auth", "snapshot" or "watch"). The status is failed while the
  //! source is failing (next_attempt = its retry), ok otherwise.
  template <class Emit, class OnError>
  requires std::invocable<Emit&, const record_view&> collect_report
  collect(Emit&& emit, OnError&& on_error, clock::time_point now = clock::now()) {
    (void)now;  // the source's thread paces its retries; `now` is kept for interface parity
    collect_report report;
    report.emitted = core_.deliver_all(etcd_impl::source_name, emit);
    if (start_error_.exchange(false))
      on_error(std::string_view{"config"},
               std::string_view{"cannot start the etcd source's thread"});
    for (const auto& [part, cause] : core_.take_errors())
      on_error(std::string_view{part}, std::string_view{cause});
    const auto st = core_.driver().status();
    if (st.consecutive_failures > 0) {
      report.status = collect_status::failed;
      report.failed_parts = 1;
      report.next_attempt = st.next_attempt;
    }
    return report;
  }

  //! A copy of the counters and health.
  etcd_impl::status status() const { return core_.driver().status(); }
  const etcd_impl::options& options() const noexcept { return core_.driver().opts(); }

 private:
  threaded_source<etcd_impl::driver, block_when_full> core_;
  std::atomic<bool> start_error_{false};
};

}  // namespace introspect::inline v1::source
