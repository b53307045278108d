#pragma once
// Runtime options of the store layer. Compile-time policies elsewhere map onto these.
#include <chrono>
#include <cstdint>
#include <optional>

namespace introspect::inline v1::store {

//! How far an acknowledged append is from stable storage.
enum class durability_level : std::uint8_t {
  none,     //!< user-space buffer; written when full, on flush()/tick()/roll/close; never fsynced
  on_tick,  //!< as none, and every tick() writes and fdatasyncs
  every_n,  //!< write + fdatasync after every N appends to a stream
  per_record,  //!< write + fdatasync before append() returns: an offset means durable
};

//! A durability level with its parameter (N for every_n).
struct durability {
  durability_level level = durability_level::none;
  std::uint32_t n = 1;

  static constexpr durability none() noexcept { return {durability_level::none, 1}; }
  static constexpr durability on_tick() noexcept { return {durability_level::on_tick, 1}; }
  static constexpr durability every(std::uint32_t n) noexcept {
    return {durability_level::every_n, n == 0 ? 1 : n};
  }
  static constexpr durability per_record() noexcept { return {durability_level::per_record, 1}; }
  constexpr bool syncs() const noexcept { return level != durability_level::none; }
  bool operator==(const durability&) const = default;
};

//! How a writer stores a segment once it is sealed (docs/format.md, revision 1.2).
enum class seal_codec : std::uint8_t {
  none,          //!< keep the frame log as written (format 1.0/1.1)
  columns,       //!< columnar blocks (no library needed)
  columns_zstd,  //!< columnar blocks, then zstd (falls back to columns in a build without zstd)
};

//! The default: the densest codec this translation unit is built with (link introspect::zstd
//! to get zstd; a build without it never needs libzstd).
#if defined(INTROSPECT_HAS_ZSTD)
inline constexpr seal_codec default_seal_codec = seal_codec::columns_zstd;
#else
inline constexpr seal_codec default_seal_codec = seal_codec::columns;
#endif

//! Per-stream segment rolling and retention; every limit is optional.
struct stream_options {
  std::uint64_t segment_bytes = 64u << 20;                //!< roll when a segment would exceed it
  std::optional<std::chrono::nanoseconds> segment_age{};  //!< roll when record ts spans more
  std::optional<std::chrono::nanoseconds>
      keep_for{};                             //!< drop sealed segments older than now-keep_for
  std::optional<std::uint64_t> keep_bytes{};  //!< drop oldest sealed while stream > bytes
  std::optional<std::uint64_t> keep_count{};  //!< drop oldest sealed while records > count
  std::uint32_t index_interval = 64u << 10;   //!< bytes between sparse index points
  seal_codec seal = default_seal_codec;       //!< compression of sealed segments
};

//! Writer-wide options.
struct writer_options {
  struct durability durability {};
  std::size_t buffer_bytes = 256u << 10;  //!< user-space buffer per stream
  //! Sealed segments that may wait in the compactor's queue; past it a segment is found again
  //! by the compactor's rescan of its stream once the queue is empty (counted in queue_full).
  std::size_t compaction_queue = 64;
  //! close() seals the active segment of a stream with a seal codec when it holds at least this
  //! many bytes, so that a store that never fills a segment is compacted too (0: never). 64 KiB:
  //! the columnar codec's density is already reached at that size (docs/store.md), and a product
  //! restarted often adds one segment per restart at most, never many tiny ones.
  std::uint64_t close_seal_bytes = 64u << 10;
  //! How long the writer's destructor waits for the compactor to finish what it holds (the
  //! segments close() sealed, the backlog); the rest stays raw and is compacted after the next
  //! open. Zero: never wait (a compaction in progress is abandoned before its rename).
  std::chrono::milliseconds close_compaction_budget{1000};
};

}  // namespace introspect::inline v1::store
