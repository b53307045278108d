#pragma once
//! The etcd source's driver (run by source::threaded_source): each step authenticates, takes a
//! snapshot of every prefix at one revision, or watches the changes after it for one window.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <introspect/source/backoff.hpp>
#include <introspect/source/detail/jitter.hpp>
#include <introspect/source/etcd/event.hpp>
#include <introspect/source/etcd/gateway.hpp>
#include <introspect/source/etcd/options.hpp>
#include <introspect/source/etcd/protocol.hpp>
#include <introspect/source/etcd/records.hpp>
#include <introspect/source/etcd/status.hpp>
#include <introspect/source/threaded_source.hpp>

namespace introspect::inline v1::etcd {

//! Snapshots and watches on the source's thread; status() and snapshot_now() from any thread.
class driver {
  using clock = std::chrono::steady_clock;

 public:
  explicit driver(options o)
      : opts_(std::move(o)),
        gateway_(std::make_unique<gateway>(
            opts_.endpoint, opts_.connect_timeout, opts_.request_timeout,
            tls_files{opts_.ca_file, opts_.cert_file, opts_.key_file}, opts_.tcp_nodelay)),
        backoff_(opts_.backoff_initial, opts_.backoff_max),
        next_rev_(opts_.prefixes.size(), 0) {}
  driver(const driver&) = delete;
  driver& operator=(const driver&) = delete;

  //! One unit of work; returns how long to wait before the next.
  std::chrono::milliseconds step(source::record_outbox& out) {
    out_ = &out;
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

  //! Breaks off the request in flight (any thread).
  void interrupt() noexcept { gateway_->interrupt(); }

  //! Asks for a snapshot at the next step; a watch held open is broken off. Any thread.
  void snapshot_now() noexcept {
    bool watching = false;
    {
      std::lock_guard lock(mu_);
      demand_ = true;
      watching = watching_;
    }
    if (watching) gateway_->interrupt();
  }

  //! A copy of the counters and health (any thread).
  etcd::status status() const {
    std::lock_guard lock(mu_);
    return status_;
  }
  const options& opts() const noexcept { return opts_; }

 private:
  enum class outcome { ok, failed, compacted, stopped };

  outcome snapshot(std::string& cause) {
    const auto id = ++snapshot_seq_;
    std::int64_t rev = 0;
    std::uint64_t total_keys = 0;
    std::vector<event> batch;
    range_page page;
    for (const auto& prefix : opts_.prefixes) {
      const std::string end = prefix_range_end(prefix);
      std::string from = prefix.empty() ? std::string(1, '\0') : prefix;
      std::int64_t keys = 0, bytes = 0;
      bool first = true;
      for (;;) {
        auto res = gateway_->post("/v3/kv/range", range_request(from, end, opts_.page_size, rev));
        std::optional<std::string> c = failure(res, "range");
        if (!c)
          if (auto p = parser_.range(res.body, page)) c = "range: " + *p;
        if (c) {
          cause = *c;
          const bool compact = cause.find("compacted") != std::string::npos;
          batch.push_back(
              marker_record(opts_.clock(), id, "abort", prefix, rev, keys, bytes, cause));
          push(batch);
          return compact ? outcome::compacted : outcome::failed;
        }
        if (rev == 0) rev = page.revision;  // every later page and prefix reads this revision
        if (first) {
          batch.push_back(marker_record(opts_.clock(), id, "begin", prefix, rev, 0, 0, {}));
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
      batch.push_back(marker_record(opts_.clock(), id, "end", prefix, rev, keys, bytes, {}));
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

  outcome watch(clock::time_point deadline, std::string& cause) {
    std::vector<watch_range> ranges;
    for (std::size_t i = 0; i < opts_.prefixes.size(); ++i) {
      const auto& p = opts_.prefixes[i];
      ranges.push_back({p.empty() ? std::string(1, '\0') : p, prefix_range_end(p), next_rev_[i]});
    }
    std::uint64_t id = 0;
    {
      std::lock_guard lock(mu_);
      if (demand_ || out_->stopping()) return outcome::ok;
      watching_ = true;
      id = status_.snapshot_id;
    }
    std::vector<std::int64_t> ids;  // watch_id of each range, in the order they were created
    std::string buf;
    bool compact = false;
    watch_message msg;
    std::vector<event> batch;
    const gateway::receiver rx = [&](std::string_view chunk) {
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
          compact = msg.compact_revision > 0;
          cause = compact
                      ? "watch start revision compacted (compact revision " +
                            std::to_string(msg.compact_revision) + ")"
                      : "watch canceled by the server" +
                            (msg.cancel_reason.empty() ? std::string{} : ": " + msg.cancel_reason);
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
      return clock::now() < deadline && !out_->stopping() && !demanded();
    };
    const auto window =
        std::max(std::chrono::ceil<std::chrono::milliseconds>(deadline - clock::now()),
                 std::chrono::milliseconds{10});
    gateway_->set_read_timeout(window);
    auto res = gateway_->post("/v3/watch", watch_request(ranges), &rx);
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
      if (ids.size() == ranges.size() || out_->stopping() || demanded()) return outcome::ok;
      cause = "watch: " + describe(res.error);
      return outcome::failed;
    }
    return outcome::ok;
  }

  std::optional<std::string> authenticate() {
    auto res = gateway_->post("/v3/auth/authenticate",
                              authenticate_request(opts_.username, opts_.password));
    if (auto c = failure(res, "authenticate")) return c;
    std::string token;
    if (auto c = parser_.token(res.body, token)) return "authenticate: " + *c;
    gateway_->set_token(std::move(token));
    return std::nullopt;
  }

  // The cause of a failed non-streaming request, or nullopt.
  std::optional<std::string> failure(const http_result& res, std::string_view what) {
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

  std::chrono::milliseconds fail(std::string_view part, const std::string& cause) {
    const auto now = clock::now();
    // A rejected or expired token is fetched again at the next attempt.
    if (cause.find("auth") != std::string::npos || cause.find("user name") != std::string::npos ||
        cause.find("permission denied") != std::string::npos ||
        cause.find("401") != std::string::npos)
      gateway_->set_token({});
    backoff_.failed(now);
    const auto delay = source::detail::jittered(
        std::chrono::ceil<std::chrono::milliseconds>(backoff_.delay()), opts_.backoff_jitter, rng_);
    const auto failures = backoff_.failures();
    {
      std::lock_guard lock(mu_);
      ++status_.errors;
      status_.last_error = cause;
      status_.last_error_part = std::string(part);
      status_.consecutive_failures = failures;
      status_.next_attempt = now + delay;
    }
    out_->error(part, cause);
    std::vector<event> batch;
    batch.push_back(notice_record(opts_.clock(), severity::warning,
                                  "etcd: " + std::string(part) + " failed: " + cause,
                                  {{"part", std::string(part)},
                                   {"cause", cause},
                                   {"endpoint", opts_.endpoint},
                                   {"failures", static_cast<std::int64_t>(failures)},
                                   {"retry_in_ms", static_cast<std::int64_t>(delay.count())}}));
    push(batch);
    return delay;
  }

  void succeeded() {
    if (backoff_.failures() == 0) return;
    backoff_.succeeded();
    {
      std::lock_guard lock(mu_);
      status_.consecutive_failures = 0;
      status_.next_attempt = clock::time_point::max();
    }
    std::vector<event> batch;
    batch.push_back(notice_record(opts_.clock(), severity::info, "etcd: recovered",
                                  {{"endpoint", opts_.endpoint}}));
    push(batch);
  }

  void compacted(const std::string& cause) {
    need_snapshot_ = true;
    {
      std::lock_guard lock(mu_);
      ++status_.compactions;
    }
    std::vector<event> batch;
    batch.push_back(notice_record(opts_.clock(), severity::notice,
                                  "etcd: revision compacted, taking a new snapshot",
                                  {{"cause", cause}, {"endpoint", opts_.endpoint}}));
    push(batch);
  }

  bool push(std::vector<event>& batch) { return out_->push(batch); }
  bool demanded() const {
    std::lock_guard lock(mu_);
    return demand_;
  }
  bool take_demand() {
    std::lock_guard lock(mu_);
    return std::exchange(demand_, false);
  }

  options opts_;
  std::unique_ptr<gateway> gateway_;  // stable address: interrupted from other threads
  // The source's thread only.
  source::record_outbox* out_ = nullptr;
  source::backoff backoff_;
  response_parser parser_;
  std::vector<std::int64_t> next_rev_;  // per prefix: the watch resumes at this revision
  bool need_snapshot_ = true;
  clock::time_point last_snapshot_{};
  std::uint64_t snapshot_seq_ = 0;
  source::detail::jitter_rng rng_{reinterpret_cast<std::uintptr_t>(this)};
  // Shared, under mu_.
  mutable std::mutex mu_;
  bool demand_ = false;
  bool watching_ = false;
  etcd::status status_;
};

}  // namespace introspect::inline v1::etcd
