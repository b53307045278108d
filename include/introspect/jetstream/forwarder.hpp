#pragma once
//! jetstream::forwarder: on its own thread, tails every stream of one scope of a local stream
//! store and publishes each record to JetStream, exactly once, resuming from a persisted cursor.
//! The store stays the source of truth: the product never waits for the forwarder or the server.
//! It wires the parts and runs the worker's loop: a connection (libnats handles, callbacks, whose
//! events and acks go to detail::ack_listener), one inflight_window per stream (what is
//! acknowledged, in detail::stream_table), a stream_provisioner (streams, limits), the
//! detail::stream_pump (store -> JetStream), a purger with its detail::purge_pass (requests and
//! truncation -> purge), a progress_reporter and an error_reporter.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/cursor_file.hpp>
#include <introspect/jetstream/detail/ack_listener.hpp>
#include <introspect/jetstream/detail/ack_reports.hpp>
#include <introspect/jetstream/detail/purge_pass.hpp>
#include <introspect/jetstream/detail/stream_pump.hpp>
#include <introspect/jetstream/detail/stream_table.hpp>
#include <introspect/jetstream/error_reporter.hpp>
#include <introspect/jetstream/forwarder_options.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/progress_reporter.hpp>
#include <introspect/jetstream/provisioning.hpp>
#include <introspect/jetstream/purger.hpp>
#include <introspect/jetstream/stats.hpp>
#include <introspect/store/files.hpp>
#include <introspect/store/reader.hpp>

namespace introspect::inline v1::jetstream {

//! Forwards one scope of a stream store to JetStream (see docs/jetstream.md).
//! @code
//! jetstream::forwarder_options o;
//! o.url = "nats://127.0.0.1:4222";
//! jetstream::forwarder fw("/var/lib/product/introspect", "node-1", o);
//! fw.start();   // returns at once; connects, creates streams and publishes in the background
//! ...
//! fw.stop();    // bounded: waits at most stop_timeout for acknowledgments, saves the cursors
//! @endcode
class forwarder final {
 public:
  forwarder(std::filesystem::path store_root, std::string scope, forwarder_options o = {})
      : root_(std::move(store_root)),
        scope_(std::move(scope)),
        scope_dir_(root_ / scope_),
        opt_(normalized(std::move(o))),
        reader_(root_),
        errors_(scope_, opt_.on_error, opt_.report_errors),
        prov_({opt_.replicas, opt_.duplicate_window, opt_.limits_for, opt_.discard_new,
               opt_.max_pending, opt_.request_timeout}),
        purger_(opt_.request_timeout),
        progress_(scope_, opt_.replicas, opt_.checkpoint_interval, opt_.progress_interval) {
    store::validate_name(scope_, "scope");
  }
  forwarder(const forwarder&) = delete;
  forwarder& operator=(const forwarder&) = delete;
  ~forwarder() {
    stop();
    conn_.detach();  // late libnats callbacks find no owner from here on
  }

  //! Starts the worker thread (idempotent).
  void start() {
    std::lock_guard lk(life_mu_);
    if (thread_.joinable()) return;
    stop_.store(false);
    thread_ = std::thread([this] { run(); });
  }
  //! Stops the worker: while connected, publishes what the store holds by now and waits for
  //! its acknowledgments (stop_timeout at most in all), persists the cursors, reports its final
  //! progress and closes the connection. Anything not acknowledged is resent by the next run.
  void stop() {
    std::lock_guard lk(life_mu_);
    if (!thread_.joinable()) return;
    stop_.store(true);
    table_.notify();
    thread_.join();
  }
  //! Hints that new records were flushed to the store (the worker also polls).
  void wake() { table_.wake(); }
  //! Waits until every record visible in the store when called is acknowledged by JetStream.
  bool wait_idle(std::chrono::milliseconds timeout) {
    rescan_.store(true);  // streams created since the last scan count too
    wake();
    return table_.wait_idle(timeout);
  }

  //! Purges JetStream messages of `stream` whose store offset is below `offset` (a purge by
  //! sequence: js_PurgeStream with Purge.Sequence = first sequence holding an offset >= it).
  //! Runs on the worker; the future is false when the purge failed (counted in stats()).
  std::future<bool> purge_before(std::string_view stream, std::uint64_t offset) {
    return request_purge(stream, {offset, std::numeric_limits<std::int64_t>::min()});
  }
  //! Same for records older than `ts_ns` (the `Ix` header's time); assumes timestamps rise with
  //! offsets, as one writer's do; an out-of-order straggler older than ts_ns may stay until MaxAge
  //! removes it.
  std::future<bool> purge_before_time(std::string_view stream, std::int64_t ts_ns) {
    return request_purge(stream, {0, ts_ns});
  }

  //! Counters, errors by cause, and per stream the acknowledged offset and the lag.
  forwarder_stats stats() const {
    auto s = table_.stats();
    s.connected = conn_.connected();
    errors_.fill(s);
    return s;
  }
  const std::string& scope() const noexcept { return scope_; }
  //! The closure libnats receives with every callback of this forwarder: tests drive
  //! connection::on_* with it from their own threads (tests/jetstream/callbacks_test.cpp).
  void* callback_closure() const noexcept { return conn_.closure(); }

 private:
  using clock = std::chrono::steady_clock;

  static forwarder_options normalized(forwarder_options o) {
    if (o.max_pending == 0) o.max_pending = 1;
    if (o.batch == 0) o.batch = 1;
    return o;
  }
  std::future<bool> request_purge(std::string_view stream, purge_cut cut) {
    auto f = purger_.enqueue(stream, cut);
    wake();
    return f;
  }
  // ---- worker ----------------------------------------------------------------------------
  void run() {
    std::string why;
    cursors_.load(&why);
    if (!why.empty())
      errors_.fail(error_cause::cursor, why + " (starting from JetStream's own state)");
    auto backoff = opt_.backoff_min;
    auto next_try = clock::now(), next_scan = clock::now();
    auto retry_later = [&] {
      next_try = clock::now() + backoff;
      backoff = std::min(backoff * 2, opt_.backoff_max);
    };
    while (!stop_.load()) {
      if (clock::now() < next_try) {
        pause(std::min<clock::duration>(next_try - clock::now(), opt_.poll_interval));
        continue;
      }
      if (conn_.closed()) drop_connection();
      if (!conn_.is_open() && !open_connection()) {
        retry_later();
        continue;
      }
      if (!conn_.connected()) {
        pause(opt_.poll_interval);
        continue;
      }
      if (rescan_.exchange(false) || clock::now() >= next_scan) {
        scan_streams();
        next_scan = clock::now() + opt_.scan_interval;
      }
      if (need_resync_.exchange(false)) pump_.resync();
      if (!pump_.prepare() || !purges_.run()) {
        retry_later();
        continue;
      }
      const bool at_end = pump();
      table_.commit();
      acks_.check_timeouts(opt_.ack_timeout);
      reports_.checkpoint(false);
      reports_.report_progress();
      if (at_end && table_.idle_round(need_resync_)) backoff = opt_.backoff_min;
      if (at_end) pause(opt_.poll_interval);
    }
    const auto deadline = clock::now() + opt_.stop_timeout;
    drain(deadline);
    shutdown(deadline);
  }
  void pause(clock::duration d) { table_.pause(d, stop_); }

  // stop() was called: the pump loops honour it, except while the last records are drained.
  bool pump() {
    return pump_.pump([this] { return stop_.load() && !draining_.load(); });
  }

  // Publishes what the store holds now (e.g. the engine's last snapshot, written as it stopped)
  // and waits for the acknowledgments, until `deadline`. Without it a product that stops would
  // leave its last records out of JetStream until it runs again, which may be never (issue 19).
  void drain(clock::time_point deadline) {
    if (!conn_.is_open() || !conn_.connected()) return;
    draining_.store(true);
    scan_streams();  // a stream created just before stop() counts too
    while (clock::now() < deadline && conn_.connected()) {
      if (need_resync_.exchange(false)) pump_.resync();
      const bool ok = pump_.prepare();
      const bool at_end = ok && pump();
      table_.commit();
      if (table_.drained_or_wait(ok, at_end, need_resync_, deadline, opt_.poll_interval)) break;
    }
    draining_.store(false);
  }

  bool open_connection() {
    if (auto e =
            conn_.open({opt_.url, opt_.user, opt_.password, opt_.client_name, opt_.connect_timeout,
                        opt_.reconnect_wait, opt_.request_timeout, opt_.max_pending})) {
      errors_.fail(*e);
      return false;
    }
    need_resync_.store(true);  // reconcile every stream with what the server holds
    table_.count(&forwarder_stats::connects);
    table_.set_all_unready();
    scan_streams();
    return true;
  }
  void drop_connection() {
    conn_.drop();
    table_.fail_pending();
    table_.set_all_unready();
  }

  void shutdown(clock::time_point deadline) {
    const auto left = [&] {
      return std::chrono::milliseconds(std::max<std::int64_t>(
          1,
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count()));
    };
    if (conn_.connected()) conn_.complete(left());
    table_.commit();
    reports_.checkpoint(true);
    if (conn_.is_open() && conn_.connected()) reports_.report_stopped(left());
    conn_.close();
    drop_connection();
    purger_.fail_all();
  }

  // New stream directories get a state (their cursor position comes from the cursor file).
  void scan_streams() {
    for (auto& name : reader_.stream_names(scope_)) table_.add(scope_, name, cursors_.persisted());
  }

  std::filesystem::path root_;
  std::string scope_;
  std::filesystem::path scope_dir_;
  forwarder_options opt_;
  store::reader reader_;
  error_reporter errors_;
  stream_provisioner prov_;
  purger purger_;
  progress_reporter progress_;
  mutable detail::stream_table table_;  // streams, windows, counters, waits: every lock
  std::atomic<bool> stop_{false}, need_resync_{false}, rescan_{false};
  std::atomic<bool> draining_{false};  // stop() was called, the last records are published
  // Worker thread only:
  cursor_checkpoint cursors_{scope_dir_, opt_.cursor_name, opt_.checkpoint_interval};
  detail::stream_pump pump_{{conn_, table_, prov_, errors_, reader_, scope_, opt_.batch,
                             opt_.max_pending, opt_.poll_interval, need_resync_}};
  detail::purge_pass purges_{
      {conn_, table_, pump_, purger_, errors_, scope_, scope_dir_, opt_.scan_interval}};
  detail::ack_reports reports_{{conn_, table_, errors_, cursors_, progress_, opt_.request_timeout}};
  detail::ack_listener acks_{table_, need_resync_, errors_};  // libnats threads

  std::mutex life_mu_;
  std::thread thread_;
  connection conn_{acks_};  // last: destroyed first, its callbacks reach every member above
};

}  // namespace introspect::inline v1::jetstream
