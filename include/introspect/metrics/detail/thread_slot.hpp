#pragma once
// Per-thread slot ids: the basis of the sharded metric cells.
//
// A thread that owns an *exclusive* slot is the only writer of that slot's cells in every metric,
// so its update is a relaxed load + relaxed store (no locked read-modify-write: ~0.3 ns instead of
// ~2.5 ns for a `lock xadd` on this machine). Threads beyond the exclusive slots share a few
// *shared* slots and use relaxed fetch_add there. Exclusive slots are recycled at thread exit.

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>

namespace introspect::inline v1::metrics::detail {

//! Size of a destructive-interference unit; cells are padded to it (x86-64, most ARM64).
inline constexpr std::size_t cache_line = 64;
//! Number of slots owned by exactly one live thread (at most 64: they are bits of one word).
inline constexpr unsigned exclusive_slots = 8;
//! Number of slots shared, with atomic read-modify-write, by threads beyond the exclusive ones.
inline constexpr unsigned shared_slots = 4;
//! Total slot ids a thread can be given: [0, exclusive_slots) exclusive, the rest shared.
inline constexpr unsigned slot_count = exclusive_slots + shared_slots;
static_assert(exclusive_slots <= 64 && shared_slots >= 1);

//! Global allocator of slot ids (constant-initialised: usable from static constructors).
struct slot_table {
  std::atomic<std::uint64_t> used{0};
  std::atomic<unsigned> next_shared{0};
};
inline constinit slot_table g_slot_table{};

// Slot id + 1 of this thread, 0 until the first update. Trivial and constant-initialised, so the
// fast path reads it with one TLS-relative load and no TLS wrapper call.
inline constinit thread_local unsigned tl_slot = 0;

//! Returns a thread's exclusive slot to the pool when the thread exits.
struct slot_releaser {
  unsigned slot = slot_count;
  slot_releaser() = default;
  slot_releaser(const slot_releaser&) = delete;
  slot_releaser& operator=(const slot_releaser&) = delete;
  ~slot_releaser() {
    if (slot >= exclusive_slots) return;
    // Updates made later in this thread's teardown (other thread_local destructors) go to a shared
    // slot, so they never race with the next owner of the exclusive one.
    tl_slot = exclusive_slots + 1;
    // release: our last plain stores to the cells happen-before the next owner's loads.
    g_slot_table.used.fetch_and(~(std::uint64_t{1} << slot), std::memory_order_release);
  }
};

//! Slow path of thread_slot(): picks a free exclusive slot, or a shared one when none is left.
[[gnu::noinline, gnu::cold]] inline unsigned acquire_slot() noexcept {
  constexpr std::uint64_t all =
      exclusive_slots == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << exclusive_slots) - 1;
  auto& table = g_slot_table;
  std::uint64_t used = table.used.load(std::memory_order_relaxed);
  unsigned slot = 0;
  for (;;) {
    const std::uint64_t free = ~used & all;
    if (free == 0) {
      slot = exclusive_slots +
             table.next_shared.fetch_add(1, std::memory_order_relaxed) % shared_slots;
      break;
    }
    const auto bit = static_cast<unsigned>(std::countr_zero(free));
    // acquire: pairs with the release in ~slot_releaser of the slot's previous owner.
    if (table.used.compare_exchange_weak(used, used | (std::uint64_t{1} << bit),
                                         std::memory_order_acquire, std::memory_order_relaxed)) {
      slot = bit;
      break;
    }
  }
  tl_slot = slot + 1;
  if (slot < exclusive_slots) {
    // Constructed only here, so the fast path never pays for its TLS init guard.
    static thread_local slot_releaser releaser;
    releaser.slot = slot;
  }
  return slot + 1;
}

//! This thread's slot id in [0, slot_count); assigned on the first call.
[[gnu::always_inline]] inline unsigned thread_slot() noexcept {
  unsigned s = tl_slot;
  if (s == 0) [[unlikely]]
    s = acquire_slot();
  return s - 1;
}

//! Adds `n` to a cell: plain load/store when this thread owns it, fetch_add when it is shared.
template <class T>
[[gnu::always_inline]] inline void cell_add(std::atomic<T>& cell, T n, bool exclusive) noexcept {
  if (exclusive)
    cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  else
    cell.fetch_add(n, std::memory_order_relaxed);
}

}  // namespace introspect::inline v1::metrics::detail
