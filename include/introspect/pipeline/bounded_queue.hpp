#pragma once
// A bounded MPMC ring (Dmitry Vyukov's design: one sequence number per slot) that never blocks a
// producer, never allocates after construction, and applies a drop policy when full.
// https://www.1024cores.net/home/lock-free-algorithms/queues/bounded-mpmc-queue

#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <type_traits>
#include <utility>

#include "introspect/pipeline/detail/futex.hpp"
#include "introspect/pipeline/drop_policy.hpp"

namespace introspect::inline v1::pipeline {

//! A fixed-capacity multi-producer multi-consumer queue whose producers are lock-free.
//!
//! Items live in place in the ring (no per-item allocation); consumers read them in place through
//! drain(). A consumer may sleep in wait() without ever making a producer block: a producer only
//! reads a word the sleeping consumer wrote, and issues a futex wake only when its push reaches
//! the fill mark the consumer asked for (wait(timeout, mark); by default the first push).
//!
//! @code
//! pipeline::bounded_queue<event, pipeline::drop_oldest> q(4096);
//! q.push(e);                                        // any thread, never blocks
//! q.drain([&](event& e) { write(e); }, 256);        // consumer
//! q.wait(std::chrono::milliseconds(100));           // consumer: sleep until work or timeout
//! @endcode
template <class T, class DropPolicy = drop_newest>
class bounded_queue {
  static_assert(is_drop_policy_v<DropPolicy>,
                "bounded_queue<T, P>: P must be pipeline::drop_newest or pipeline::drop_oldest");
  static_assert(std::is_default_constructible_v<T>,
                "bounded_queue<T>: T must be default-constructible (slots are built up front)");

 public:
  using value_type = T;
  using drop_policy = DropPolicy;

  //! A ring of `capacity` slots, rounded up to a power of two (at least 2). Allocates once.
  explicit bounded_queue(std::size_t capacity)
      : owner_(std::make_unique<cell[]>(slots_for(capacity))),
        prod_{owner_.get(), slots_for(capacity) - 1},
        cons_(prod_) {
    for (std::size_t i = 0; i <= prod_.mask; ++i)
      prod_.cells[i].seq.store(i, std::memory_order_relaxed);
  }
  bounded_queue(const bounded_queue&) = delete;
  bounded_queue& operator=(const bounded_queue&) = delete;

  //! Number of slots.
  [[nodiscard]] std::size_t capacity() const noexcept { return prod_.mask + 1; }

  //! Bytes between two slots: a whole number of cache lines once an item needs one, so that the
  //! producer writing one slot never shares a line with the consumer reading its neighbour.
  static constexpr std::size_t slot_stride() noexcept { return sizeof(cell); }

  //! Enqueues a copy of `v`, applying the drop policy when full.
  push_result push(const T& v) noexcept(std::is_nothrow_copy_assignable_v<T>) {
    return push_with([&](T& slot) { slot = v; });
  }
  //! Enqueues `v` by move, applying the drop policy when full.
  push_result push(T&& v) noexcept(std::is_nothrow_move_assignable_v<T>) {
    return push_with([&](T& slot) { slot = std::move(v); });
  }

  //! Claims a slot and lets `fill(T&)` write the item in place (no temporary copy); `fill` runs
  //! only when a slot was claimed and must not throw. Never blocks.
  template <class Fill>
  push_result push_with(Fill&& fill) noexcept {
    if (try_push(fill)) return push_result::pushed;
    if constexpr (std::is_same_v<DropPolicy, drop_oldest>) {
      // Evict, then retry; other producers may take the freed slot, so give up after a few rounds
      // rather than spin: a producer must return promptly.
      auto discard = [](T&) noexcept {};
      bool evicted = false;
      for (int attempt = 0; attempt < 4; ++attempt) {
        // Evict only when the ring is full of items. If it is not, the slot we need is still held
        // by a consumer reading it in place (a slow sink): evicting would empty the queue without
        // making room, so the new item is dropped instead.
        const auto enq = enqueue_pos_.load(std::memory_order_relaxed);
        const auto deq = dequeue_pos_.load(std::memory_order_relaxed);
        if (enq - deq >= capacity() && pop_with(discard)) {
          drops_.add(drop_cause::queue_full);
          evicted = true;
        }
        if (try_push(fill)) return evicted ? push_result::evicted : push_result::pushed;
      }
    }
    drops_.add(drop_cause::queue_full);
    return push_result::dropped;
  }

  //! Dequeues one item into `out`; false when the queue looks empty.
  bool try_pop(T& out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    auto take = [&](T& slot) { out = std::move(slot); };
    return pop_with(take);
  }

  //! Consumes up to `max` items in FIFO order, calling `fn(T&)` on each in place. Returns the
  //! number consumed. A slow `fn` only makes producers drop; it never blocks them.
  template <class Fn>
  std::size_t drain(Fn&& fn, std::size_t max = std::numeric_limits<std::size_t>::max()) {
    std::size_t n = 0;
    while (n < max && pop_with(fn)) ++n;
    return n;
  }

  //! Like drain() (until the queue looks empty), but claims runs of up to `run` published items
  //! with one compare-and-swap each (drain() makes one per item: a locked instruction that also
  //! waits for the item's cache miss) and fetches ahead within the run. Each slot is handed
  //! back to the producers as soon as `fn` returns from it. If `fn` throws, the item it threw on
  //! is spent (as in drain()) and the rest of the run is queued again, or, if an evicting
  //! producer took items past the run meanwhile, counted as dropped (queue_full). Meant for one
  //! consumer; drop_oldest producers evicting only make a claim retry.
  template <class Fn>
  std::size_t drain_runs(Fn&& fn, std::size_t run = 64) {
    if (run == 0) run = 1;
    std::size_t total = 0;
    for (;;) {
      std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
      std::size_t n = 0;
      while (n < run &&
             cons_.cells[(pos + n) & cons_.mask].seq.load(std::memory_order_acquire) == pos + n + 1)
        ++n;
      if (n == 0) return total;
      if (!dequeue_pos_.compare_exchange_strong(pos, pos + n, std::memory_order_relaxed))
        continue;  // a producer evicted the oldest meanwhile: count again from the new head
      std::size_t i = 0;
      try {
        for (; i < n; ++i) {
          if (i + 2 < n) {
            const auto* ahead =
                reinterpret_cast<const char*>(&cons_.cells[(pos + i + 2) & cons_.mask]);
            __builtin_prefetch(ahead);
            __builtin_prefetch(ahead + 64);
          }
          cell& c = cons_.cells[(pos + i) & cons_.mask];
          fn(c.data);
          c.seq.store(pos + i + cons_.mask + 1, std::memory_order_release);
        }
      } catch (...) {
        give_back(pos, i, n);
        throw;
      }
      total += n;
      if (n < run) return total;
    }
  }

  //! Consumer side: returns at once if items are queued, else sleeps until a producer pushes,
  //! notify() is called, or `timeout` passes. Returns whether items appear to be queued.
  bool wait(std::chrono::nanoseconds timeout) noexcept { return wait(timeout, 1); }

  //! Consumer side: sleeps until `mark` items are queued (the producer whose push reaches the
  //! mark wakes it; the pushes before it make no system call), notify() is called, or `timeout`
  //! passes; returns at once if `mark` items are already queued. A consumer that drains at its
  //! own tick passes a mark well below capacity(), so that a flood wakes it before items drop.
  //! Returns whether items appear to be queued.
  bool wait(std::chrono::nanoseconds timeout, std::size_t mark) noexcept {
    if (mark == 0) mark = 1;
    // A notify() since the last wait() (e.g. a flush() request made while the consumer was
    // busy draining) must not be lost: the consumer returns to look at what it was told.
    if (kicked_.exchange(0, std::memory_order_acq_rel) != 0) return !empty();
    if (size() >= mark) return true;
    // Announce the sleep and the mark, then re-check. seq_cst on both sides (here and in
    // try_push's CAS and mark load) forms a Dekker pair: either the producer that claims the
    // mark's position sees it, or we see that position claimed and do not sleep.
    sleeping_.store(1, std::memory_order_seq_cst);
    const auto wake = dequeue_pos_.load(std::memory_order_relaxed) + mark;
    wake_pos_.store(wake, std::memory_order_seq_cst);
    // The same Dekker pair with notify(): it stores kicked_ then reads sleeping_; we store
    // sleeping_ then read kicked_, so one of us sees the other.
    if (enqueue_pos_.load(std::memory_order_seq_cst) >= wake ||
        kicked_.exchange(0, std::memory_order_seq_cst) != 0) {
      wake_pos_.store(never, std::memory_order_relaxed);
      sleeping_.store(0, std::memory_order_relaxed);
      return !empty();
    }
    detail::futex_wait(sleeping_, 1, timeout);
    wake_pos_.store(never, std::memory_order_relaxed);
    sleeping_.store(0, std::memory_order_relaxed);
    // Woken (by anyone) the consumer looks at everything anyway: a notify() seen here is spent.
    kicked_.store(0, std::memory_order_relaxed);
    return !empty();
  }

  //! Wakes a consumer sleeping in wait() (e.g. to shut down).
  void notify() noexcept {
    kicked_.store(1, std::memory_order_seq_cst);
    if (sleeping_.exchange(0, std::memory_order_seq_cst) != 0) detail::futex_wake_all(sleeping_);
  }

  //! True when no item is claimable right now (approximate under concurrency).
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

  //! Items enqueued and not yet dequeued (approximate under concurrency).
  [[nodiscard]] std::size_t size() const noexcept {
    const auto deq = dequeue_pos_.load(std::memory_order_acquire);
    const auto enq = enqueue_pos_.load(std::memory_order_acquire);
    return enq > deq ? enq - deq : 0;
  }

  //! Items ever enqueued (evicted ones included): the count of successful pushes.
  [[nodiscard]] std::size_t pushed() const noexcept {
    return enqueue_pos_.load(std::memory_order_relaxed);
  }

  //! Items lost so far, by cause.
  [[nodiscard]] const drop_counters& drops() const noexcept { return drops_; }
  //! Counts an item lost before reaching the queue (e.g. oversize) with the queue's drops.
  void count_drop(drop_cause c, std::uint64_t n = 1) noexcept { drops_.add(c, n); }

 private:
  struct cell_fields {
    std::atomic<std::size_t> seq{0};
    T data{};
  };
  // A slot of a line or more is padded to whole lines (and the ring aligned to a line): with
  // 408-byte slots, one line held the end of one slot and the start of the next, which the
  // producer wrote while the consumer read the other. Smaller items stay packed.
  static constexpr std::size_t line = 64;
  struct alignas(sizeof(cell_fields) >= line ? line : alignof(cell_fields)) cell : cell_fields {};
  // What the next push most likely writes: the slot's sequence word, the item's header and the
  // start of its payload (two lines), or the whole slot when it is smaller.
  static constexpr std::size_t prefetch_bytes = sizeof(cell) < 2 * line ? sizeof(cell) : 2 * line;

  // The ring as each side reads it: the same two values twice, so that neither side reads the
  // line the other writes for its own index (a line both read and one writes moves between the
  // cores at every write).
  struct ring_view {
    cell* cells;
    std::size_t mask;
  };

  static std::size_t slots_for(std::size_t capacity) noexcept {
    return std::bit_ceil(capacity < 2 ? std::size_t{2} : capacity);
  }

  template <class Fill>
  bool try_push(Fill& fill) noexcept {
    std::size_t pos = enqueue_pos_.load(std::memory_order_relaxed);
    cell* c = nullptr;
    for (;;) {
      c = &prod_.cells[pos & prod_.mask];
      const std::size_t seq = c->seq.load(std::memory_order_acquire);
      const auto dif = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos);
      if (dif == 0) {
        // seq_cst costs nothing more than relaxed for a CAS on x86; it is half of wait()'s pair.
        if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_seq_cst,
                                               std::memory_order_relaxed))
          break;
      } else if (dif < 0) {
        return false;  // full (or the slot a lap behind is still being read by a consumer)
      } else {
        pos = enqueue_pos_.load(std::memory_order_relaxed);
      }
    }
    fill(c->data);
    c->seq.store(pos + 1, std::memory_order_release);
    // The next push's slot was last written a lap ago and read by the consumer since: fetch it
    // for writing now, while this call is warm, so that the next call (often after the product
    // slept) finds its first lines in this core's cache instead of waiting on them.
    const auto* next = reinterpret_cast<const char*>(&prod_.cells[(pos + 1) & prod_.mask]);
    for (std::size_t off = 0; off < prefetch_bytes; off += 64) __builtin_prefetch(next + off, 1);
    // One load of a line only the sleeping consumer writes: the push that reaches its mark
    // wakes it, every other push makes no system call and writes nothing shared.
    if (pos + 1 >= wake_pos_.load(std::memory_order_seq_cst)) [[unlikely]]
      notify();
    return true;
  }

  // drain_runs()'s `fn` threw on item i of the run [pos, pos + n) it claimed: the item is spent
  // and its slot handed back; the items after it (their slots still hold them, published) are
  // queued again by moving the head back, unless someone took items past the run meanwhile
  // (the head moved on), in which case they are handed back unread and counted as lost.
  void give_back(std::size_t pos, std::size_t i, std::size_t n) noexcept {
    cons_.cells[(pos + i) & cons_.mask].seq.store(pos + i + cons_.mask + 1,
                                                  std::memory_order_release);
    std::size_t head = pos + n;
    if (i + 1 == n ||
        dequeue_pos_.compare_exchange_strong(head, pos + i + 1, std::memory_order_relaxed))
      return;
    for (std::size_t j = i + 1; j < n; ++j)
      cons_.cells[(pos + j) & cons_.mask].seq.store(pos + j + cons_.mask + 1,
                                                    std::memory_order_release);
    drops_.add(drop_cause::queue_full, n - i - 1);
  }

  template <class Fn>
  bool pop_with(Fn& fn) {
    std::size_t pos = dequeue_pos_.load(std::memory_order_relaxed);
    cell* c = nullptr;
    for (;;) {
      c = &cons_.cells[pos & cons_.mask];
      const std::size_t seq = c->seq.load(std::memory_order_acquire);
      const auto dif = static_cast<std::intptr_t>(seq) - static_cast<std::intptr_t>(pos + 1);
      if (dif == 0) {
        if (dequeue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (dif < 0) {
        return false;  // empty (or the next item is claimed but not yet published)
      } else {
        pos = dequeue_pos_.load(std::memory_order_relaxed);
      }
    }
    // Hand the slot back even if fn throws, or the ring would jam at this position.
    struct release_slot {
      cell* c;
      std::size_t next;
      ~release_slot() { c->seq.store(next, std::memory_order_release); }
    } guard{c, pos + cons_.mask + 1};
    // The next item was written by another core: start fetching it while fn reads this one.
    const auto* next = reinterpret_cast<const char*>(&cons_.cells[(pos + 1) & cons_.mask]);
    __builtin_prefetch(next);
    __builtin_prefetch(next + 64);
    fn(c->data);
    return true;
  }

  std::unique_ptr<cell[]> owner_;
  // Producer and consumer indices on their own cache lines, each beside its side's copy of the
  // ring: a push reads and writes the producer's line only (and reads wake_pos_).
  alignas(64) std::atomic<std::size_t> enqueue_pos_{0};
  ring_view prod_;
  alignas(64) std::atomic<std::size_t> dequeue_pos_{0};
  ring_view cons_;
  static constexpr std::size_t never = std::numeric_limits<std::size_t>::max();
  // Written by the consumer twice per sleep, read by every push: alone on its line, so that the
  // words a notify() writes (sleeping_, kicked_) do not take it from the producers' caches.
  alignas(64) std::atomic<std::size_t> wake_pos_{never};  // the push that wakes the consumer
  alignas(64) std::atomic<std::uint32_t> sleeping_{0};
  std::atomic<std::uint32_t> kicked_{0};  // a notify() the consumer has not looked at yet
  alignas(64) drop_counters drops_;
};

}  // namespace introspect::inline v1::pipeline
