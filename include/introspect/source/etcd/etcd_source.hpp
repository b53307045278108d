#pragma once
//! The etcd source: snapshots configured key prefixes through etcd's v3 JSON gateway, each
//! snapshot consistent at one revision, periodically and on demand, and watches the changes in
//! between; its own thread does the network I/O and hands whole records to the collector's
//! thread through a bounded queue.
//!
//! The collector (the engine's writer thread) must never wait on the network, and
//! cpp-httplib's requests block, so the source owns one thread (started only when the etcd
//! source is selected); collect() only takes what that thread has queued.
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
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <introspect/source/backoff.hpp>
#include <introspect/source/collect_report.hpp>
#include <introspect/detail/sigpipe.hpp>
#include <introspect/source/etcd/detail/base64.hpp>
#include <introspect/source/etcd/detail/jitter.hpp>
#include <introspect/source/etcd/detail/utf8.hpp>
#include <introspect/source/etcd/event.hpp>
#include <introspect/source/etcd/gateway.hpp>
#include <introspect/source/etcd/handoff.hpp>
#include <introspect/source/etcd/options.hpp>
#include <introspect/source/etcd/protocol.hpp>
#include <introspect/source/etcd/status.hpp>

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

  explicit etcd_source(etcd_impl::options o)
      : opts_(std::move(o)),
        gateway_(std::make_unique<etcd_impl::gateway>(
            opts_.endpoint, opts_.connect_timeout, opts_.request_timeout,
            etcd_impl::tls_files{opts_.ca_file, opts_.cert_file, opts_.key_file})),
        queue_(opts_.handoff_capacity),
        backoff_(opts_.backoff_initial, opts_.backoff_max),
        next_rev_(opts_.prefixes.size(), 0) {}
  etcd_source(const etcd_source&) = delete;
  etcd_source& operator=(const etcd_source&) = delete;
  ~etcd_source() { stop(); }

  //! Starts the source's thread; after stop() it starts again and resumes the watch after the
  //! last revision seen (a revision compacted meanwhile forces a new snapshot). Never throws.
  void start() noexcept {
    std::lock_guard lock(mu_);
    if (running_) return;
    if (thread_.joinable()) return;  // stop() has not finished joining
    stopping_ = false;
    try {
      running_ = true;
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      running_ = false;
      note_error_locked("config", "cannot start the etcd source's thread");
    }
  }

  //! Stops the thread: the request in flight is broken off, so this returns promptly even
  //! while a watch is held open. Records already queued stay collectable.
  void stop() noexcept {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (!thread_.joinable() || thread_.get_id() == std::this_thread::get_id()) return;
    // An interrupt that lands between two requests is lost, so repeat it until the thread ends.
    for (;;) {
      gateway_->interrupt();
      std::unique_lock lock(mu_);
      if (exited_.wait_for(lock, std::chrono::milliseconds(20), [&] { return !running_; })) break;
    }
    thread_.join();
  }

  //! Asks for a snapshot now (it starts after this call; a watch held open is broken off).
  void snapshot_now() noexcept {
    {
      std::lock_guard lock(mu_);
      demand_ = true;
      if (!watching_) {
        cv_.notify_all();
        return;
      }
    }
    cv_.notify_all();
    gateway_->interrupt();
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
    report.emitted =
        queue_.drain([&](const etcd_impl::event& e) { etcd_impl::deliver(e, emit, scratch_); });
    std::deque<std::pair<std::string, std::string>> errors;
    unsigned failing = 0;
    clock::time_point next = clock::time_point::max();
    {
      std::lock_guard lock(mu_);
      errors.swap(pending_errors_);
      failing = status_.consecutive_failures;
      next = status_.next_attempt;
    }
    for (const auto& [part, cause] : errors)
      on_error(std::string_view{part}, std::string_view{cause});
    if (failing > 0) {
      report.status = collect_status::failed;
      report.failed_parts = 1;
      report.next_attempt = next;
    }
    return report;
  }

  //! A copy of the counters and health.
  etcd_impl::status status() const {
    std::lock_guard lock(mu_);
    return status_;
  }
  const etcd_impl::options& options() const noexcept { return opts_; }

 private:
  enum class outcome { ok, failed, compacted, stopped };

  void run() noexcept {
    // Every socket write of this thread is ours; a guard per request covers the rest.
    introspect::detail::block_sigpipe_in_this_thread();
    while (!stopping()) {
      std::chrono::milliseconds wait{0};
      try {
        wait = step();
      } catch (...) {
        wait = opts_.backoff_initial;  // allocation failure: keep running
      }
      if (wait.count() > 0) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, wait, [&] { return stopping_ || demand_; });
      }
    }
    std::lock_guard lock(mu_);
    running_ = false;
    exited_.notify_all();
  }

  // One unit of work; returns how long to wait before the next.
  std::chrono::milliseconds step() {
    const auto now = clock::now();
    if (!gateway_->setup_error().empty()) return fail("config", gateway_->setup_error());
    if (opts_.prefixes.empty()) return fail("config", "no key prefixes configured");
    if (!opts_.username.empty() && !gateway_->tls() && !opts_.allow_password_over_http)
      return fail("config", "refusing to send the etcd password over plain http to " +
                                opts_.endpoint +
                                ": use an https:// endpoint or set allow_password_over_http");
    if (!opts_.username.empty() && gateway_->token().empty()) {
      if (auto cause = authenticate()) return fail("auth", *cause);
    }
    const bool periodic =
        opts_.snapshot_interval.count() > 0 && now >= last_snapshot_ + opts_.snapshot_interval;
    if (need_snapshot_ || take_demand() || periodic) {
      std::string cause;
      switch (snapshot(cause)) {
        case outcome::stopped:
          return std::chrono::milliseconds{0};
        case outcome::failed:
          return fail("snapshot", cause);
        case outcome::compacted:
          compacted(cause);
          return std::chrono::milliseconds{0};
        case outcome::ok:
          break;
      }
      need_snapshot_ = false;
      last_snapshot_ = now;
      succeeded();
      return std::chrono::milliseconds{0};
    }
    const auto due = opts_.snapshot_interval.count() > 0
                         ? std::chrono::ceil<std::chrono::milliseconds>(
                               last_snapshot_ + opts_.snapshot_interval - now)
                         : std::chrono::milliseconds{std::chrono::hours{1}};
    if (!opts_.watch) return std::max(due, std::chrono::milliseconds{1});
    std::string cause;
    const auto started = clock::now();
    const auto o = watch(now + std::min(due, opts_.watch_window), cause);
    if (o == outcome::failed) return fail("watch", cause);
    if (o == outcome::compacted) {
      compacted(cause);
      return std::chrono::milliseconds{0};
    }
    succeeded();
    // A server that ends every watch at once must not make the source spin.
    if (o == outcome::ok && clock::now() - started < std::chrono::milliseconds{50} && !demanded())
      return std::chrono::milliseconds{50};
    return std::chrono::milliseconds{0};
  }

  // --- snapshot ---

  outcome snapshot(std::string& cause) {
    const auto id = ++snapshot_seq_;
    std::int64_t rev = 0;
    std::uint64_t total_keys = 0;
    std::vector<etcd_impl::event> batch;
    etcd_impl::range_page page;
    for (std::size_t i = 0; i < opts_.prefixes.size(); ++i) {
      const auto& prefix = opts_.prefixes[i];
      const std::string end = etcd_impl::prefix_range_end(prefix);
      std::string from = prefix.empty() ? std::string(1, '\0') : prefix;
      std::int64_t keys = 0, bytes = 0;
      bool first = true;
      for (;;) {
        auto res = gateway_->post("/v3/kv/range",
                                  etcd_impl::range_request(from, end, opts_.page_size, rev));
        if (auto c = failure(res, "range")) {
          cause = *c;
          const bool compact = cause.find("compacted") != std::string::npos;
          marker(batch, id, "abort", prefix, rev, keys, bytes, cause);
          push(batch);
          return compact ? outcome::compacted : outcome::failed;
        }
        if (auto c = parser_.range(res.body, page)) {
          cause = "range: " + *c;
          marker(batch, id, "abort", prefix, rev, keys, bytes, cause);
          push(batch);
          return outcome::failed;
        }
        if (rev == 0) rev = page.revision;  // every later page and prefix reads this revision
        if (first) {
          marker(batch, id, "begin", prefix, rev, 0, 0, {});
          first = false;
        }
        const auto ts = opts_.clock();
        for (auto& kv : page.kvs) {
          ++keys;
          bytes += static_cast<std::int64_t>(kv.key.size() + kv.value.size());
          batch.push_back(key_record(ts, kv, rev, id, "snapshot"));
        }
        if (!push(batch)) return outcome::stopped;
        if (!page.more || page.kvs.empty()) break;
        from = page.kvs.back().key;
        from.push_back('\0');  // the next key after the last one read
      }
      marker(batch, id, "end", prefix, rev, keys, bytes, {});
      if (!push(batch)) return outcome::stopped;
      total_keys += static_cast<std::uint64_t>(keys);
    }
    std::fill(next_rev_.begin(), next_rev_.end(), rev + 1);
    std::lock_guard lock(mu_);
    ++status_.snapshots;
    status_.snapshot_id = id;
    status_.snapshot_revision = rev;
    status_.snapshot_keys = total_keys;
    status_.watch_revision = rev;
    return outcome::ok;
  }

  void marker(std::vector<etcd_impl::event>& out, std::uint64_t id, std::string_view op,
              const std::string& prefix, std::int64_t rev, std::int64_t keys, std::int64_t bytes,
              const std::string& cause) {
    etcd_impl::event e;
    e.kind = record_kind::snapshot;
    e.ts_ns = opts_.clock();
    e.name = std::string(etcd_impl::snapshot_marker);
    e.val = std::string(op);
    e.fields = {{"snapshot_id", static_cast<std::int64_t>(id)},
                {"op", std::string(op)},
                {"prefix", prefix},
                {"revision", rev}};
    if (!etcd_impl::detail::valid_utf8(prefix))
      e.fields.push_back({"prefix_b64", etcd_impl::detail::base64_encode(prefix)});
    if (op != "begin") {
      e.fields.push_back({"keys", keys});
      e.fields.push_back({"bytes", bytes});
    }
    if (!cause.empty()) e.fields.push_back({"cause", cause});
    out.push_back(std::move(e));
  }

  // One key's record: `op` is "snapshot", "put" or "delete"; `rev` the revision it describes.
  static etcd_impl::event key_record(std::int64_t ts, const etcd_impl::key_value& kv,
                                     std::int64_t rev, std::uint64_t id, std::string_view op) {
    etcd_impl::event e;
    e.kind = record_kind::snapshot;
    e.ts_ns = ts;
    e.name = kv.key;
    const bool deleted = op == "delete";
    if (!deleted) e.val = kv.value;
    e.fields.reserve(9);
    e.fields.push_back({"revision", rev});
    if (!deleted) {
      e.fields.push_back({"create_revision", kv.create_revision});
      e.fields.push_back({"mod_revision", kv.mod_revision});
      e.fields.push_back({"version", kv.version});
      e.fields.push_back({"lease", kv.lease});
    } else {
      e.fields.push_back({"mod_revision", kv.mod_revision});
    }
    if (!etcd_impl::detail::valid_utf8(kv.key))
      e.fields.push_back({"key_b64", etcd_impl::detail::base64_encode(kv.key)});
    if (!deleted && !etcd_impl::detail::valid_utf8(kv.value))
      e.fields.push_back({"value_b64", etcd_impl::detail::base64_encode(kv.value)});
    e.fields.push_back({"snapshot_id", static_cast<std::int64_t>(id)});
    e.fields.push_back({"op", std::string(op)});
    return e;
  }

  // --- watch ---

  outcome watch(clock::time_point deadline, std::string& cause) {
    std::vector<etcd_impl::watch_range> ranges;
    for (std::size_t i = 0; i < opts_.prefixes.size(); ++i) {
      const auto& p = opts_.prefixes[i];
      ranges.push_back(
          {p.empty() ? std::string(1, '\0') : p, etcd_impl::prefix_range_end(p), next_rev_[i]});
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_ || demand_) return outcome::ok;
      watching_ = true;
    }
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      id = status_.snapshot_id;
    }
    std::vector<std::int64_t> ids;  // watch_id of each range, in the order they were created
    std::string buf;
    bool compact = false;
    etcd_impl::watch_message msg;
    std::vector<etcd_impl::event> batch;
    const etcd_impl::gateway::receiver rx = [&](std::string_view chunk) {
      buf.append(chunk);
      std::size_t start = 0;
      for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n', start)) {
        const std::string_view line(buf.data() + start, nl - start);
        start = nl + 1;
        if (line.find_first_not_of(" \r\t") == std::string_view::npos) continue;
        if (auto c = parser_.watch(line, msg)) {
          cause = "watch: " + *c;
          return false;
        }
        if (msg.created) ids.push_back(msg.watch_id);
        if (msg.canceled) {
          if (msg.compact_revision > 0) {
            compact = true;
            cause = "watch start revision compacted (compact revision " +
                    std::to_string(msg.compact_revision) + ")";
          } else {
            cause = "watch canceled by the server" +
                    (msg.cancel_reason.empty() ? std::string{} : ": " + msg.cancel_reason);
          }
          return false;
        }
        const auto it = std::find(ids.begin(), ids.end(), msg.watch_id);
        const auto k = static_cast<std::size_t>(it - ids.begin());
        const auto ts = opts_.clock();
        std::int64_t last_rev = 0;
        for (const auto& ev : msg.events) {
          const auto rev = ev.kv.mod_revision;
          batch.push_back(key_record(ts, ev.kv, rev, id, ev.is_delete ? "delete" : "put"));
          last_rev = std::max(last_rev, rev);
        }
        if (!msg.events.empty()) {
          // The resume point moves only once the changes are queued: a stop() while the queue
          // is full must not skip them at the next start().
          if (!push(batch)) return false;
          if (k < next_rev_.size()) next_rev_[k] = std::max(next_rev_[k], last_rev + 1);
          std::lock_guard lock(mu_);
          status_.watch_events += msg.events.size();
        }
      }
      buf.erase(0, start);
      return clock::now() < deadline && !stopping() && !demanded();
    };
    const auto window =
        std::max(std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()),
                 std::chrono::milliseconds{10});
    gateway_->set_read_timeout(window);
    auto res = gateway_->post("/v3/watch", etcd_impl::watch_request(ranges), &rx);
    gateway_->set_read_timeout(opts_.request_timeout);
    // A message without its newline (an error body) is still a message.
    if (cause.empty() && !compact && buf.find_first_not_of(" \r\n\t") != std::string::npos) {
      if (auto e = parser_.error(buf)) cause = "watch: " + *e;
    }
    {
      std::lock_guard lock(mu_);
      watching_ = false;
      std::int64_t lowest = 0;
      for (auto r : next_rev_) lowest = lowest == 0 ? r : std::min(lowest, r);
      if (lowest > 0) status_.watch_revision = lowest - 1;
    }
    if (compact) return outcome::compacted;
    if (!cause.empty()) return outcome::failed;
    if (res.aborted) return outcome::ok;
    if (res.responded && res.status != 200) {
      cause = "watch: HTTP status " + std::to_string(res.status);
      return outcome::failed;
    }
    if (!res.error.empty()) {
      // An established watch that went quiet ends by the read timeout; so does one broken off
      // by stop() or snapshot_now(). Anything else is a failure.
      if (ids.size() == ranges.size() || stopping() || demanded()) return outcome::ok;
      cause = "watch: " + describe(res.error);
      return outcome::failed;
    }
    return outcome::ok;
  }

  // --- requests ---

  std::optional<std::string> authenticate() {
    auto res = gateway_->post("/v3/auth/authenticate",
                              etcd_impl::authenticate_request(opts_.username, opts_.password));
    if (auto c = failure(res, "authenticate")) return c;
    std::string token;
    if (auto c = parser_.token(res.body, token)) return "authenticate: " + *c;
    gateway_->set_token(std::move(token));
    return std::nullopt;
  }

  // The cause of a failed non-streaming request, or nullopt.
  std::optional<std::string> failure(const etcd_impl::http_result& res, std::string_view what) {
    // The gateway ends an error body with an HTTP trailer that cpp-httplib 0.11 reports as a
    // Read error: the status and the body (the server's message) are what matter then.
    if (res.responded && res.status != 200) {
      std::string c = std::string(what) + ": HTTP status " + std::to_string(res.status);
      if (auto e = parser_.error(res.body)) c += ": " + *e;
      return c;
    }
    if (!res.error.empty()) return std::string(what) + ": " + describe(res.error);
    if (!res.responded) return std::string(what) + ": no response";
    if (auto e = parser_.error(res.body)) return std::string(what) + ": " + *e;
    return std::nullopt;
  }

  std::string describe(const std::string& transport_error) const {
    return transport_error + " (etcd at " + opts_.endpoint + ")";
  }

  // --- bookkeeping ---

  std::chrono::milliseconds fail(std::string_view part, const std::string& cause) {
    const auto now = clock::now();
    // A rejected or expired token is fetched again at the next attempt.
    if (cause.find("auth") != std::string::npos || cause.find("user name") != std::string::npos ||
        cause.find("permission denied") != std::string::npos ||
        cause.find("401") != std::string::npos)
      gateway_->set_token({});
    backoff_.failed(now);
    const auto delay = etcd_impl::detail::jittered(
        std::chrono::ceil<std::chrono::milliseconds>(backoff_.delay()), opts_.backoff_jitter, rng_);
    unsigned failures = 0;
    {
      std::lock_guard lock(mu_);
      note_error_locked(part, cause);
      status_.consecutive_failures = failures = backoff_.failures();
      status_.next_attempt = now + delay;
    }
    std::vector<etcd_impl::event> batch;
    etcd_impl::event e;
    e.kind = record_kind::notification;
    e.sev = severity::warning;
    e.ts_ns = opts_.clock();
    e.name = "etcd: " + std::string(part) + " failed: " + cause;
    e.fields = {{"part", std::string(part)},
                {"cause", cause},
                {"endpoint", opts_.endpoint},
                {"failures", static_cast<std::int64_t>(failures)},
                {"retry_in_ms", static_cast<std::int64_t>(delay.count())}};
    batch.push_back(std::move(e));
    push(batch);
    return delay;
  }

  void note_error_locked(std::string_view part, const std::string& cause) {
    ++status_.errors;
    status_.last_error = cause;
    status_.last_error_part = std::string(part);
    if (pending_errors_.size() >= 64) pending_errors_.pop_front();  // bounded if never collected
    pending_errors_.emplace_back(std::string(part), cause);
  }

  void succeeded() {
    if (backoff_.failures() == 0) return;
    backoff_.succeeded();
    {
      std::lock_guard lock(mu_);
      status_.consecutive_failures = 0;
      status_.next_attempt = clock::time_point::max();
    }
    std::vector<etcd_impl::event> batch;
    etcd_impl::event e;
    e.kind = record_kind::notification;
    e.sev = severity::info;
    e.ts_ns = opts_.clock();
    e.name = "etcd: recovered";
    e.fields = {{"endpoint", opts_.endpoint}};
    batch.push_back(std::move(e));
    push(batch);
  }

  void compacted(const std::string& cause) {
    need_snapshot_ = true;
    {
      std::lock_guard lock(mu_);
      ++status_.compactions;
    }
    std::vector<etcd_impl::event> batch;
    etcd_impl::event e;
    e.kind = record_kind::notification;
    e.sev = severity::notice;
    e.ts_ns = opts_.clock();
    e.name = "etcd: revision compacted, taking a new snapshot";
    e.fields = {{"cause", cause}, {"endpoint", opts_.endpoint}};
    batch.push_back(std::move(e));
    push(batch);
  }

  bool push(std::vector<etcd_impl::event>& batch) {
    return queue_.push(batch, [this] { return stopping(); });
  }
  bool stopping() const {
    std::lock_guard lock(mu_);
    return stopping_;
  }
  bool demanded() const {
    std::lock_guard lock(mu_);
    return demand_;
  }
  bool take_demand() {
    std::lock_guard lock(mu_);
    return std::exchange(demand_, false);
  }

  etcd_impl::options opts_;
  std::unique_ptr<etcd_impl::gateway> gateway_;  // stable address: interrupted from other threads
  etcd_impl::handoff queue_;
  // The source's thread only.
  backoff backoff_;
  etcd_impl::response_parser parser_;
  std::vector<std::int64_t> next_rev_;  // per prefix: the watch resumes at this revision
  bool need_snapshot_ = true;
  clock::time_point last_snapshot_{};
  std::uint64_t snapshot_seq_ = 0;
  std::uint64_t rng_ = reinterpret_cast<std::uintptr_t>(this);
  // Shared, under mu_.
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable exited_;
  bool stopping_ = false;
  bool running_ = false;
  bool demand_ = false;
  bool watching_ = false;
  etcd_impl::status status_;
  std::deque<std::pair<std::string, std::string>> pending_errors_;
  // The collector's side only.
  std::vector<field_view> scratch_;
  std::thread thread_;
};

}  // namespace introspect::inline v1::source
