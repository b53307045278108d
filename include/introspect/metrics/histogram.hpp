#pragma once
// A histogram with sharded atomic log-linear buckets.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <limits>

#include "introspect/metrics/detail/log_linear.hpp"
#include "introspect/metrics/detail/thread_slot.hpp"
#include "introspect/metrics/histogram_snapshot.hpp"

namespace introspect::inline v1::metrics {

namespace detail {
// A histogram shard is ~8 KiB, so histograms use fewer shards than counters: the first
// histogram_exclusive thread slots own a shard each, every other thread shares the rest.
inline constexpr unsigned histogram_exclusive = exclusive_slots < 4 ? exclusive_slots : 4;
inline constexpr unsigned histogram_shared = 2;
inline constexpr unsigned histogram_shards = histogram_exclusive + histogram_shared;
}  // namespace detail

//! A distribution of integer observations (latencies, sizes) with ~3% relative error.
//!
//! @code
//! auto& latency = registry.histogram("bookkeeper.write.latency_us");
//! latency.observe(87);
//! auto p99 = latency.snapshot().quantile(0.99);
//! @endcode
class histogram {
 public:
  histogram() noexcept = default;
  histogram(const histogram&) = delete;
  histogram& operator=(const histogram&) = delete;

  //! Records one observation; negatives are bucketed as 0 (see histogram_snapshot).
  [[gnu::always_inline]] void observe(std::int64_t v) noexcept {
    const unsigned s = detail::thread_slot();
    const bool exclusive = s < detail::histogram_exclusive;
    shard& sh = shards_[exclusive ? s : detail::histogram_exclusive + s % detail::histogram_shared];
    const auto u = v < 0 ? std::uint64_t{0} : static_cast<std::uint64_t>(v);
    detail::cell_add(sh.buckets[detail::bucket_index(u)], std::uint64_t{1}, exclusive);
    // Sum wraps in unsigned arithmetic: no signed-overflow UB on absurd inputs.
    detail::cell_add(sh.sum, static_cast<std::uint64_t>(v), exclusive);
    // Extremes change rarely once warmed up, so a load-compare skips the store almost always.
    if (v < sh.min.load(std::memory_order_relaxed)) [[unlikely]]
      store_extreme(sh.min, v, exclusive, [](auto a, auto b) { return a < b; });
    if (v > sh.max.load(std::memory_order_relaxed)) [[unlikely]]
      store_extreme(sh.max, v, exclusive, [](auto a, auto b) { return a > b; });
  }

  //! Sums every shard into a snapshot; concurrent observations may be partly included.
  [[nodiscard]] histogram_snapshot snapshot() const noexcept {
    histogram_snapshot out;
    snapshot_into(out);
    return out;
  }

  //! Like snapshot(), into caller-provided storage (a snapshot is ~8 KiB).
  void snapshot_into(histogram_snapshot& out) const noexcept {
    out = histogram_snapshot{};
    std::uint64_t sum = 0;
    for (const auto& sh : shards_) {
      for (unsigned i = 0; i < detail::bucket_count; ++i) {
        const auto n = sh.buckets[i].load(std::memory_order_relaxed);
        out.buckets[i] += n;
        out.count += n;
      }
      sum += sh.sum.load(std::memory_order_relaxed);
      out.min = std::min(out.min, sh.min.load(std::memory_order_relaxed));
      out.max = std::max(out.max, sh.max.load(std::memory_order_relaxed));
    }
    out.sum = static_cast<std::int64_t>(sum);
  }

 private:
  struct alignas(detail::cache_line) shard {
    std::array<std::atomic<std::uint64_t>, detail::bucket_count> buckets{};
    std::atomic<std::uint64_t> sum{0};
    std::atomic<std::int64_t> min{std::numeric_limits<std::int64_t>::max()};
    std::atomic<std::int64_t> max{std::numeric_limits<std::int64_t>::min()};
  };

  template <class Better>
  static void store_extreme(std::atomic<std::int64_t>& cell, std::int64_t v, bool exclusive,
                            Better better) noexcept {
    if (exclusive) {
      cell.store(v, std::memory_order_relaxed);
      return;
    }
    auto cur = cell.load(std::memory_order_relaxed);
    while (better(v, cur) && !cell.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
    }
  }

  std::array<shard, detail::histogram_shards> shards_{};
};

}  // namespace introspect::inline v1::metrics
