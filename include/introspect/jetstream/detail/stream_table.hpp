#pragma once
// The forwarder's shared state: its streams (each with its inflight_window), the counters, and
// the waits of the worker and of wait_idle(). One mutex guards it all, because the ack handler
// runs on a libnats thread and stats() on the product's; every lock of the forwarder is here.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <introspect/jetstream/cursor_file.hpp>
#include <introspect/jetstream/inflight_window.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/progress.hpp>
#include <introspect/jetstream/provisioning.hpp>
#include <introspect/jetstream/purger.hpp>
#include <introspect/jetstream/stats.hpp>
#include <introspect/store/reader.hpp>

namespace introspect::inline v1::jetstream::detail {

//! One store stream as the forwarder tracks it.
struct forwarded_stream {
  stream_target target;
  std::string id_prefix;  //!< `<scope>/<stream>/`
  // Worker thread only:
  std::optional<store::cursor> cur;
  store::offset_t read_pos = 0;
  std::unordered_map<store::offset_t, std::uint64_t> present;  //!< offset -> seq, not resent
  purge_cut applied_trunc;  //!< the store truncation point already purged
  // Guarded by the table's mutex:
  bool ready = false;  //!< its JetStream stream exists and the store cursor is positioned
  inflight_window win;
  purge_cut purged;
  stream_stats stats;
};

//! Where a stream's resync starts: the window's acked offset and sequence, and what it knows
//! JetStream holds beyond them.
struct resync_start {
  store::offset_t from = 0;
  std::uint64_t hint_seq = 0;
  std::unordered_map<std::uint64_t, std::uint64_t> present;
};

//! The forwarder's streams, counters and waits, under one mutex (see the file comment).
class stream_table {
 public:
  using clock = std::chrono::steady_clock;

  // ---- streams ---------------------------------------------------------------------------
  //! Adds `name` unless known; its window starts from the persisted cursor, if any.
  void add(const std::string& scope, const std::string& name, const cursor_map& persisted) {
    std::lock_guard lk(mu_);
    if (by_name_.count(name)) return;
    auto s = std::make_unique<forwarded_stream>();
    s->target = {name, subject_of(scope, name), stream_name_of(scope, name)};
    s->id_prefix = scope + '/' + name + '/';
    s->stats.stream = name;
    s->stats.subject = s->target.subject;
    s->stats.js_stream = s->target.js_name;
    if (auto it = persisted.find(name); it != persisted.end()) {
      s->win.restore(it->second.acked_offset, it->second.acked_seq);
      s->purged = s->applied_trunc = {it->second.purged_offset, it->second.purged_ts};
    }
    by_name_[name] = streams_.size();
    streams_.push_back(std::move(s));
  }
  //! The i-th stream (streams are never removed), or nullptr past the end.
  forwarded_stream* at(std::size_t i) {
    std::lock_guard lk(mu_);
    return i < streams_.size() ? streams_[i].get() : nullptr;
  }
  forwarded_stream* find(const std::string& name) {
    std::lock_guard lk(mu_);
    auto it = by_name_.find(name);
    return it == by_name_.end() ? nullptr : streams_[it->second].get();
  }
  bool ready(const forwarded_stream& s) const {
    std::lock_guard lk(mu_);
    return s.ready;
  }
  void set_ready(forwarded_stream& s) {
    std::lock_guard lk(mu_);
    s.ready = true;
  }
  //! After a (re)connect or a resync every stream is positioned again.
  void set_all_unready() {
    std::lock_guard lk(mu_);
    for (auto& s : streams_) s->ready = false;
  }

  // ---- window events ---------------------------------------------------------------------
  //! An acknowledgment (libnats thread): positive with `pa`, else negative.
  void ack(const char* subject, std::optional<std::uint64_t> offset, const jsPubAck* pa) {
    std::lock_guard lk(mu_);
    forwarded_stream* sp = nullptr;
    for (auto& st : streams_)  // a handful of streams: a scan beats hashing a new string
      if (subject && st->target.subject == subject) sp = st.get();
    if (!sp || !offset) return;
    if (pa && sp->win.ack(*offset, pa->Sequence)) {
      --inflight_;
      ++sp->stats.acked;
      ++stats_.acked;
      if (pa->Duplicate) ++stats_.duplicates;
    } else if (!pa && sp->win.nack(*offset)) {
      --inflight_;
    }
  }
  //! Registers a record about to be published (before the call: its ack may come first).
  void publishing(forwarded_stream& s, store::offset_t offset, store::offset_t next,
                  std::int64_t now_ns) {
    std::lock_guard lk(mu_);
    const bool resend = s.win.publish(offset, next, now_ns);
    ++inflight_;
    ++s.stats.published;
    ++stats_.published;
    if (resend) ++s.stats.resent, ++stats_.resent;
  }
  void publish_failed(forwarded_stream& s, store::offset_t offset) {
    std::lock_guard lk(mu_);
    if (s.win.publish_failed(offset)) --inflight_;
  }
  void already_present(forwarded_stream& s, store::offset_t offset, store::offset_t next,
                       std::uint64_t seq) {
    std::lock_guard lk(mu_);
    s.win.already_present(offset, next, seq);
    ++s.stats.already_present;
    ++stats_.already_present;
  }
  //! Advances each stream's acknowledged offset over its contiguous acknowledged prefix.
  void commit() {
    std::lock_guard lk(mu_);
    for (auto& s : streams_) s->win.commit();
  }
  //! Entries the library no longer holds become failed: resent, if JetStream lacks them, by
  //! the next resync.
  void fail_pending() {
    std::lock_guard lk(mu_);
    for (auto& s : streams_) inflight_ -= s->win.fail_pending();
  }
  resync_start resync_point(const forwarded_stream& s) const {
    std::lock_guard lk(mu_);
    return {s.win.acked_offset(), s.win.acked_seq(), s.win.acked_entries()};
  }
  void reposition(forwarded_stream& s, store::offset_t from) {
    std::lock_guard lk(mu_);
    inflight_ -= s.win.reposition(from);
  }
  //! True when a stream's oldest unacknowledged record was published before `limit_ns`.
  bool ack_overdue(std::int64_t limit_ns) const {
    std::lock_guard lk(mu_);
    for (auto& s : streams_)
      if (auto t = s->win.oldest_pending_ns(); t && *t < limit_ns) return true;
    return false;
  }
  void purged(forwarded_stream& s, purge_cut cut) {
    std::lock_guard lk(mu_);
    s.purged.offset = std::max(s.purged.offset, cut.offset);
    s.purged.ts_ns = std::max(s.purged.ts_ns, cut.ts_ns);
    ++stats_.purges;
  }
  //! One more of a counter (connects, disconnects, resyncs, cursor_writes).
  void count(std::uint64_t forwarder_stats::*field) {
    std::lock_guard lk(mu_);
    ++(stats_.*field);
  }

  // ---- waits -----------------------------------------------------------------------------
  void notify() { cv_.notify_all(); }
  //! The worker need not wait for its next poll.
  void wake() {
    {
      std::lock_guard lk(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }
  //! The worker's pause: `d` at most, less when woken or stopped.
  void pause(clock::duration d, const std::atomic<bool>& stop) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, d, [&] { return stop.load() || woken_; });
    woken_ = false;
  }
  //! Waits for a full idle round that began after the call.
  bool wait_idle(std::chrono::milliseconds timeout) {
    std::unique_lock lk(mu_);
    const auto target = idle_gen_ + 2;
    return idle_cv_.wait_for(lk, timeout, [&] { return idle_gen_ >= target; });
  }
  //! Ends a round that reached the store's end: when nothing is in flight or to be resynced,
  //! it is an idle round and wait_idle() callers learn it.
  bool idle_round(const std::atomic<bool>& need_resync) {
    {
      std::lock_guard lk(mu_);
      if (!(inflight_ == 0 && !need_resync.load() && all_ready())) return false;
      ++idle_gen_;
    }
    idle_cv_.notify_all();
    return true;
  }
  //! Before a publish: waits up to `poll` while max_pending are in flight; false if still so.
  template <class Halted>
  bool wait_capacity(std::size_t max_pending, clock::duration poll, Halted halted) {
    std::unique_lock lk(mu_);
    if (inflight_ < max_pending) return true;
    cv_.wait_for(lk, poll, [&] { return inflight_ < max_pending || halted(); });
    return inflight_ < max_pending;
  }
  //! A drain round at stop(): true when everything is acknowledged (the drain is over), else
  //! waits for acks up to `poll` (never past `deadline`) and returns false.
  bool drained_or_wait(bool ok, bool at_end, const std::atomic<bool>& need_resync,
                       clock::time_point deadline, clock::duration poll) {
    std::unique_lock lk(mu_);
    if (ok && at_end && inflight_ == 0 && !need_resync.load() && all_ready()) return true;
    const auto left = deadline - clock::now();
    if (left <= clock::duration::zero()) return true;
    // A failed round retries after a short pause, not in a busy loop.
    cv_.wait_for(lk, std::min<clock::duration>(left, poll), [&] { return ok && inflight_ == 0; });
    return false;
  }

  // ---- snapshots -------------------------------------------------------------------------
  //! Per stream: acknowledged up to, and how far the store reaches (as far as the cursor has
  //! read: the end whenever it is caught up with reading). Worker thread (reads read_pos).
  std::vector<stream_progress> progress() const {
    std::vector<stream_progress> out;
    std::lock_guard lk(mu_);
    for (auto& s : streams_) {
      const auto end = std::max({s->win.store_end(), s->win.acked_offset(), s->read_pos});
      out.push_back({s->target.name, s->win.acked_offset(), end});
    }
    return out;
  }
  //! Each stream's cursor as it is to be persisted, into `m`.
  void cursors(cursor_map& m) const {
    std::lock_guard lk(mu_);
    for (auto& s : streams_)
      m[s->target.name] = {s->win.acked_offset(), s->win.acked_seq(), s->purged.offset,
                           s->purged.ts_ns};
  }
  //! The counters and every stream's progress (errors excepted).
  forwarder_stats stats() const {
    std::lock_guard lk(mu_);
    forwarder_stats s = stats_;
    for (auto& st : streams_) {
      auto x = st->stats;
      x.in_flight = st->win.pending();
      x.acked_offset = st->win.acked_offset();
      x.store_end = st->win.store_end();
      x.lag_bytes = st->win.lag_bytes();
      x.purged_offset = st->purged.offset;
      s.streams.push_back(std::move(x));
    }
    return s;
  }

 private:
  bool all_ready() const {
    for (auto& s : streams_)
      if (!s->ready) return false;
    return true;
  }

  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::vector<std::unique_ptr<forwarded_stream>> streams_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::size_t inflight_ = 0;  // sum of the windows' pending entries (the max_pending bound)
  bool woken_ = false;
  std::uint64_t idle_gen_ = 0;
  forwarder_stats stats_;  // counters; errors live in the forwarder's error_reporter
};

}  // namespace introspect::inline v1::jetstream::detail
