#pragma once
//! jetstream::inflight_window: one stream's records between "read from the store" and "known to
//! be in JetStream", as a pure state machine over (offset, sequence, state). No locks, no I/O, no
//! clock: the forwarder guards each window with its mutex (the ack handler runs on a libnats
//! thread) and feeds it the events; tests/jetstream/window_test.cpp drives it without a server.
//!
//! Entries are kept in offset order (records are published in the order the store cursor reads
//! them). An acknowledgment may arrive in any order; the *acked offset* advances only over the
//! contiguous acknowledged prefix, so everything below it is in JetStream whatever happened after.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>

namespace introspect::inline v1::jetstream {

//! One stream's published, not yet committed records (see the file comment).
class inflight_window {
 public:
  using offset_t = std::uint64_t;
  //! Where an entry stands: published and waiting, acknowledged (with its sequence), or failed
  //! (negative ack, publish error, taken back from the library): resent by the next resync.
  enum class state : std::uint8_t { pending, acked, failed };
  //! One record: its store offset, the offset of the frame after it, its JetStream sequence once
  //! acknowledged, and when it was published (caller's clock, for the ack timeout).
  struct entry {
    offset_t offset = 0, next = 0;
    std::uint64_t seq = 0;
    state st = state::pending;
    std::int64_t sent_ns = 0;
  };

  //! Starts from a persisted cursor: everything below `acked_offset` is in JetStream, the last
  //! of it at `acked_seq` (0: unknown).
  void restore(offset_t acked_offset, std::uint64_t acked_seq) noexcept {
    acked_offset_ = acked_offset;
    acked_seq_ = acked_seq;
  }

  //! The record at `offset` (its frame ends at `next`) is handed to the library at `now_ns`.
  //! Registered before the publish call, since its acknowledgment may arrive before that returns.
  //! Returns true when it is a resend (this window published that offset before).
  bool publish(offset_t offset, offset_t next, std::int64_t now_ns) {
    q_.push_back({offset, next, 0, state::pending, now_ns});
    ++pending_;
    const bool resend = offset < high_water_;
    high_water_ = std::max(high_water_, next);
    // Monotone: re-reading what JetStream already holds after a resync must not make the
    // reported store end (and so the lag) go backwards.
    store_end_ = std::max(store_end_, next);
    return resend;
  }
  //! A resync found the record at `offset` already in JetStream at `seq`: acknowledged as is.
  void already_present(offset_t offset, offset_t next, std::uint64_t seq) {
    q_.push_back({offset, next, seq, state::acked, 0});
    store_end_ = std::max(store_end_, next);
  }
  //! The publish call for the newest entry failed before the library took the message.
  //! Returns true when that entry was pending (it is failed now).
  bool publish_failed(offset_t offset) noexcept {
    if (q_.empty()) return false;
    auto& e = q_.back();
    if (e.offset != offset || e.st != state::pending) return false;
    e.st = state::failed;
    --pending_;
    return true;
  }
  //! A positive acknowledgment. Returns true when it acknowledged a pending entry; a duplicate,
  //! late (after a resync) or unknown one changes nothing.
  bool ack(offset_t offset, std::uint64_t seq) noexcept {
    return settle(offset, state::acked, seq);
  }
  //! A negative acknowledgment; true when it failed a pending entry.
  bool nack(offset_t offset) noexcept { return settle(offset, state::failed, 0); }

  //! Advances the acked offset over the contiguous acknowledged prefix; returns the entries
  //! committed. A failed or pending entry stops it: what follows waits for the resync.
  std::size_t commit() {
    std::size_t n = 0;
    while (!q_.empty() && q_.front().st == state::acked) {
      acked_offset_ = q_.front().next;
      if (q_.front().seq) acked_seq_ = q_.front().seq;
      q_.pop_front();
      ++n;
    }
    return n;
  }

  //! Every pending entry becomes failed (the library's pending list was taken back, or the
  //! connection is gone); returns how many.
  std::size_t fail_pending() noexcept {
    std::size_t n = 0;
    for (auto& e : q_)
      if (e.st == state::pending) e.st = state::failed, ++n;
    pending_ -= n;
    return n;
  }

  //! Acknowledged entries not yet committed (offset -> sequence): JetStream holds them, so a
  //! resync must not send them again.
  std::unordered_map<offset_t, std::uint64_t> acked_entries() const {
    std::unordered_map<offset_t, std::uint64_t> out;
    for (auto& e : q_)
      if (e.st == state::acked) out[e.offset] = e.seq;
    return out;
  }

  //! After a resync: the store cursor restarts at `from` and the window forgets its entries
  //! (the resync found which of them JetStream holds). Returns how many were pending. The acked
  //! sequence stays: it remains the hint where JetStream's tail starts.
  std::size_t reposition(offset_t from) {
    const auto n = pending_;
    q_.clear();
    pending_ = 0;
    acked_offset_ = from;
    return n;
  }

  //! When the oldest pending entry was published, if any (the ack timeout watches it).
  std::optional<std::int64_t> oldest_pending_ns() const noexcept {
    for (auto& e : q_)
      if (e.st == state::pending) return e.sent_ns;
    return std::nullopt;
  }

  //! Published and not yet acknowledged (the max_pending bound counts these).
  std::size_t pending() const noexcept { return pending_; }
  //! Entries not yet committed, whatever their state.
  std::size_t size() const noexcept { return q_.size(); }
  //! One past the last record of the contiguous acknowledged prefix.
  offset_t acked_offset() const noexcept { return acked_offset_; }
  //! JetStream sequence of the last committed record that has one.
  std::uint64_t acked_seq() const noexcept { return acked_seq_; }
  //! End of the furthest record published or found present (never goes backwards).
  offset_t store_end() const noexcept { return store_end_; }
  //! Bytes of the store seen but not yet acknowledged.
  std::uint64_t lag_bytes() const noexcept {
    return store_end_ > acked_offset_ ? store_end_ - acked_offset_ : 0;
  }
  //! Every record seen is committed: nothing in flight, nothing failed, no gap.
  bool drained() const noexcept { return q_.empty() && acked_offset_ >= store_end_; }

 private:
  bool settle(offset_t offset, state to, std::uint64_t seq) noexcept {
    auto e = std::lower_bound(q_.begin(), q_.end(), offset,
                              [](const entry& x, offset_t o) { return x.offset < o; });
    if (e == q_.end() || e->offset != offset || e->st != state::pending) return false;
    e->st = to;
    if (to == state::acked) e->seq = seq;
    --pending_;
    return true;
  }

  std::deque<entry> q_;
  std::size_t pending_ = 0;
  offset_t acked_offset_ = 0, high_water_ = 0, store_end_ = 0;
  std::uint64_t acked_seq_ = 0;
};

}  // namespace introspect::inline v1::jetstream
