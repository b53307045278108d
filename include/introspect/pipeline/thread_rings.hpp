#pragma once
// The staging rings of one consumer (one threaded engine): each recording thread gets a ring of
// its own the first time it records (one allocation per thread, policy per_thread_rings), at
// most `max_threads` of them at a time; a thread past the cap, or whose ring could not be
// allocated, records through the shared event queue instead. The consumer drains every ring and
// the shared queue merged by timestamp, frees the ring of a thread that exited once it has read
// it to the end, and lets go of the rest when it is destroyed (the thread then frees its ring).

#include <algorithm>
#include <atomic>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

#include "introspect/pipeline/drop_policy.hpp"
#include "introspect/pipeline/thread_ring.hpp"

namespace introspect::inline v1::pipeline {

namespace detail {

// A thread's rings, one per consumer it records to (at most 4 consumers keep a ring; a fifth
// records through its queue). Trivially destructible, so the product's call reads it with no
// guard; thread_exit below closes the rings when the thread ends.
struct ring_entry {
  std::uint64_t owner = 0;  // the consumer's id (ids are never reused)
  thread_ring* ring = nullptr;
};
inline constexpr std::size_t rings_per_thread = 4;
inline thread_local constinit ring_entry thread_rings_of[rings_per_thread] = {};
// Set when the thread's exit hook ran: a record made after it (another thread_local's
// destructor) goes through the queue rather than a ring nobody would close.
inline thread_local constinit bool thread_ended = false;

struct thread_exit {
  bool armed = false;
  ~thread_exit() {
    thread_ended = true;
    for (auto& e : thread_rings_of) {
      if (!e.ring) continue;
      e.ring->close();
      thread_ring::release(e.ring);
      e = {};
    }
  }
};
// A function-local thread_local, not a namespace-scope one: a namespace-scope thread_local with
// a destructor makes every program that includes this header carry its TLS init function and
// guard, even one that records nothing (zero_cost_program_size_matches_no_introspect).
inline thread_exit& thread_exit_hook() noexcept {
  static thread_local thread_exit hook;
  return hook;
}

// The queue of a consumer without one (thread_rings::discard_all).
struct no_queue {
  template <class Fn>
  std::size_t drain_runs(Fn&&) {
    return 0;
  }
};

inline std::uint64_t next_ring_owner() noexcept {
  static std::atomic<std::uint64_t> id{0};
  return id.fetch_add(1, std::memory_order_relaxed) + 1;
}

}  // namespace detail

//! The per-thread staging rings of one consumer; see the file's comment.
class thread_rings {
 public:
  //! At most `max_threads` rings of `ring_bytes` each, records of at most `max_payload` bytes.
  thread_rings(std::size_t max_threads, std::size_t ring_bytes, std::size_t max_payload)
      : max_threads_(max_threads), ring_bytes_(ring_bytes), max_payload_(max_payload) {}
  thread_rings(const thread_rings&) = delete;
  thread_rings& operator=(const thread_rings&) = delete;
  //! Lets go of every ring (a ring whose thread still runs is freed by that thread).
  ~thread_rings() {
    for (auto* r : all_) {
      r->orphan();
      thread_ring::release(r);
    }
  }

  //! This consumer's id (never reused).
  [[nodiscard]] std::uint64_t id() const noexcept { return id_; }

  //! The calling thread's ring, or nullptr: record through the shared queue.
  [[gnu::always_inline]] thread_ring* mine() noexcept {
    auto& e = detail::thread_rings_of[0];
    if (e.owner == id_) [[likely]]
      return e.ring;
    return find_or_add();
  }

  //! Records published to rings so far, by threads that still have one or had one.
  [[nodiscard]] std::uint64_t pushed() const {
    std::lock_guard lock(mu_);
    std::uint64_t n = retired_pushed_;
    for (const auto* r : all_) n += r->pushed();
    return n;
  }
  //! Rings held now.
  [[nodiscard]] std::size_t size() const {
    std::lock_guard lock(mu_);
    return all_.size();
  }

  //! Consumer: reads every ring (as published when called) and `q` (until it looks empty),
  //! handing each record to `fn` in timestamp order across rings and queue (each ring and the
  //! queue stay in their own order: a ring's records in its thread's order; ties keep the ring
  //! first, whose record was published before the queue's was claimed). Frees the rings of
  //! exited threads it read to the end. Returns the number of records.
  template <class Queue, class Fn>
  std::size_t drain_merged(Queue& q, Fn&& fn) {
    if (added_.exchange(false, std::memory_order_acquire)) {
      std::lock_guard lock(mu_);
      for (std::size_t i = cursors_.size(); i < all_.size(); ++i) cursors_.push_back({all_[i]});
    }
    // Whether a ring is closed is read before its end: a closed ring's end is then final.
    for (auto& c : cursors_) {
      c.closed = c.ring->closed();
      c.end = c.ring->published();
      c.pos = c.ring->skip(c.ring->read_pos(), c.end);
      if (c.pos != c.end) c.ts = c.ring->record_at(c.pos).ts;
    }
    std::size_t from_rings = 0;
    const std::size_t from_queue = q.drain_runs([&](auto& slot) {
      from_rings += rings_up_to(slot.ts, fn);
      fn(slot);
    });
    from_rings += rings_up_to(std::numeric_limits<std::int64_t>::max(), fn);
    retire();
    return from_queue + from_rings;
  }

  //! Consumer: counts (and discards) everything queued in the rings; for a store that never
  //! opened.
  std::uint64_t discard_all() {
    detail::no_queue q;
    return drain_merged(q, [](const auto&) {});
  }

 private:
  struct cursor {
    thread_ring* ring;
    std::size_t pos = 0, end = 0;
    std::int64_t ts = 0;
    bool closed = false;
  };

  // Hands over the rings' records stamped at most `t`, oldest first.
  template <class Fn>
  std::size_t rings_up_to(std::int64_t t, Fn& fn) {
    std::size_t n = 0;
    for (;;) {
      cursor* best = nullptr;
      for (auto& c : cursors_)
        if (c.pos != c.end && c.ts <= t && (!best || c.ts < best->ts)) best = &c;
      if (!best) return n;
      const ring_record rec = best->ring->record_at(best->pos);
      const std::size_t next = best->ring->skip(best->ring->after(best->pos), best->end);
      // The room goes back even if fn throws (the record is spent, as the queue's is).
      struct advance {
        cursor& c;
        std::size_t next;
        ~advance() {
          c.pos = next;
          c.ring->consumed_to(next);
          if (next != c.end) c.ts = c.ring->record_at(next).ts;
        }
      } guard{*best, next};
      fn(rec);
      ++n;
    }
  }

  // Frees the rings whose thread exited and whose records were all read.
  void retire() {
    bool any = false;
    for (const auto& c : cursors_) any |= c.closed && c.pos == c.end;
    if (!any) return;
    std::lock_guard lock(mu_);
    std::erase_if(cursors_, [&](const cursor& c) {
      if (!c.closed || c.pos != c.end) return false;
      retired_pushed_ += c.ring->pushed();
      std::erase(all_, c.ring);
      thread_ring::release(c.ring);
      return true;
    });
  }

  // The first record of this thread to this consumer (or one after a fifth consumer took its
  // place): finds its entry, else gives it a ring if the cap and memory allow. The entry found
  // is moved to the front, where mine() looks.
  [[gnu::noinline]] thread_ring* find_or_add() noexcept {
    auto* es = detail::thread_rings_of;
    std::size_t at = detail::rings_per_thread;
    for (std::size_t i = 1; i < detail::rings_per_thread && at == detail::rings_per_thread; ++i)
      if (es[i].owner == id_) at = i;
    if (at == detail::rings_per_thread) {
      if (detail::thread_ended) return nullptr;
      // A free entry, one whose consumer is gone (its ring let go of here), or one that only
      // remembers another consumer's refusal (that consumer asks again if it is still used).
      for (std::size_t i = 0; i < detail::rings_per_thread && at == detail::rings_per_thread; ++i)
        if (!es[i].ring || es[i].ring->orphaned()) at = i;
      if (at == detail::rings_per_thread) return nullptr;  // 4 consumers hold rings: the queue
      if (es[at].ring) {
        es[at].ring->close();
        thread_ring::release(es[at].ring);
      }
      es[at] = {id_, add()};
    }
    std::swap(es[0], es[at]);
    return es[0].ring;
  }

  // A new ring for the calling thread, or nullptr (the cap is reached, or no memory): the
  // thread then records through the queue for this consumer's lifetime.
  thread_ring* add() noexcept {
    detail::thread_exit_hook().armed = true;  // registers the exit hook's destructor once
    std::lock_guard lock(mu_);
    if (all_.size() >= max_threads_) return nullptr;
    try {
      all_.reserve(all_.size() + 1);
      auto* r = new thread_ring(ring_bytes_, max_payload_);
      all_.push_back(r);
      added_.store(true, std::memory_order_release);
      return r;
    } catch (const std::bad_alloc&) {
      return nullptr;
    }
  }

  const std::uint64_t id_ = detail::next_ring_owner();
  const std::size_t max_threads_, ring_bytes_, max_payload_;
  mutable std::mutex mu_;
  std::vector<thread_ring*> all_;     // every ring held (mu_)
  std::uint64_t retired_pushed_ = 0;  // records of freed rings (mu_)
  std::atomic<bool> added_{false};
  std::vector<cursor> cursors_;  // the consumer's own
};

//! A policy that asks for per-thread rings: their number and size (queue::per_thread_rings).
template <class P>
concept ring_policy = requires {
  { P::max_threads } -> std::convertible_to<std::size_t>;
  { P::ring_bytes } -> std::convertible_to<std::size_t>;
};

//! An engine's rings if its policy asks for them, else nothing: the engine's code is the same
//! either way (with no rings, publish() declines and drain_merged() drains the queue alone).
template <bool On>
class optional_rings {
 public:
  template <class Policy>
  optional_rings(std::type_identity<Policy>, std::size_t) noexcept {}
  template <class Source, class Queue>
  bool publish(const Source&, Queue&, std::atomic<std::uint64_t>&) noexcept {
    return false;
  }
  [[nodiscard]] std::uint64_t pushed() const noexcept { return 0; }
  [[nodiscard]] std::size_t size() const noexcept { return 0; }
  template <class Queue, class Fn>
  std::size_t drain_merged(Queue& q, Fn&& fn) {
    return q.drain_runs(fn);
  }
  std::uint64_t discard_all() noexcept { return 0; }
};

template <>
class optional_rings<true> {
 public:
  //! Rings as `Policy` sizes them, for records of at most `max_payload` bytes.
  template <class Policy>
  optional_rings(std::type_identity<Policy>, std::size_t max_payload)
      : rings_(
            std::make_unique<thread_rings>(Policy::max_threads, Policy::ring_bytes, max_payload)),
        id_(rings_->id()) {}

  //! Puts `src` (a payload source: a record_view, a site_source) in the calling thread's ring;
  //! false when the thread has none (use `q`). A ring past its fill mark wakes `q`'s consumer; a
  //! refused record is counted in `q`'s drops (and in `rejected`, when the ring was full: a
  //! record accepted, then lost).
  template <class Source, class Queue>
  [[gnu::always_inline]] bool publish(const Source& src, Queue& q,
                                      std::atomic<std::uint64_t>& rejected) noexcept {
    thread_ring* ring =
        detail::thread_rings_of[0].owner == id_ ? detail::thread_rings_of[0].ring : rings_->mine();
    if (!ring) [[unlikely]]
      return false;
    const ring_push res = ring->publish(src);
    if (res != ring_push::pushed) [[unlikely]]
      slow(res, q, rejected);
    return true;
  }
  [[nodiscard]] std::uint64_t pushed() const { return rings_->pushed(); }
  [[nodiscard]] std::size_t size() const { return rings_->size(); }
  template <class Queue, class Fn>
  std::size_t drain_merged(Queue& q, Fn&& fn) {
    return rings_->drain_merged(q, fn);
  }
  std::uint64_t discard_all() { return rings_->discard_all(); }

 private:
  template <class Queue>
  [[gnu::noinline]] static void slow(ring_push res, Queue& q,
                                     std::atomic<std::uint64_t>& rejected) noexcept {
    if (res == ring_push::pushed_wake) {
      q.notify();
    } else if (res == ring_push::full) {
      rejected.fetch_add(1, std::memory_order_relaxed);
      q.count_drop(drop_cause::queue_full);
    } else if (res == ring_push::oversize) {
      q.count_drop(drop_cause::oversize);
    }
  }

  std::unique_ptr<thread_rings> rings_;
  std::uint64_t id_;  // rings_->id(), beside the engine's other hot words
};

}  // namespace introspect::inline v1::pipeline
