#pragma once
// One recording thread's staging ring (NanoLog's and Quill's design): a single-producer,
// single-consumer ring of variable-length records. The product's thread encodes a record in
// place and publishes it with a plain release store of its position (no locked instruction, no
// shared counter); the writer thread reads records in place and hands their room back with a
// release store of its own position. A record takes its 16-byte header and its payload rounded
// up to 16 bytes (one or two cache lines for a notification, not a 7-line fixed slot).

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>

#include "introspect/core/record.hpp"
#include "introspect/pipeline/record_slot.hpp"

namespace introspect::inline v1::pipeline {

//! What thread_ring::publish() did with a record.
enum class ring_push : std::uint8_t {
  pushed,       //!< published
  pushed_wake,  //!< published, and the ring passed its fill mark: wake the consumer
  full,         //!< no room: the record was refused (the thread's newest is dropped)
  oversize,     //!< larger than the ring's record limit: refused without touching the ring
};

//! A record as the consumer reads it in a ring: its time, kind and payload bytes.
struct ring_record {
  std::int64_t ts = 0;
  std::uint8_t kind = 0;
  std::string_view bytes;
  //! The payload (as event_slot::payload()).
  [[nodiscard]] std::string_view payload() const noexcept { return bytes; }
};

//! A single-producer single-consumer ring of encoded records, shared by its producing thread
//! and one consumer, freed by whichever of the two lets go of it last (release()).
class thread_ring {
 public:
  static constexpr std::size_t align = 16;
  static constexpr std::uint8_t skip_kind = 0xff;  // the header of the room left at the end

  //! A ring of `bytes` (rounded up to a power of two, at least 4 KiB) whose records hold at
  //! most `max_payload` bytes; the consumer is woken each time a quarter of it fills.
  thread_ring(std::size_t bytes, std::size_t max_payload)
      : cap_(std::bit_ceil(bytes < 4096 ? std::size_t{4096} : bytes)),
        mask_(cap_ - 1),
        max_payload_(max_payload),
        mark_(cap_ / 4),
        buf_(static_cast<char*>(::operator new (cap_, std::align_val_t{64}))) {
    next_wake_ = mark_;
  }
  thread_ring(const thread_ring&) = delete;
  thread_ring& operator=(const thread_ring&) = delete;
  ~thread_ring() { ::operator delete (buf_, std::align_val_t{64}); }

  //! Bytes of the ring.
  [[nodiscard]] std::size_t capacity() const noexcept { return cap_; }

  // --- producer side (the ring's thread only) ---

  //! Encodes a payload source (a record_view, a site_source: record_slot.hpp) into the ring and
  //! publishes it. Never blocks; a full ring refuses the record.
  template <class Source>
  [[gnu::always_inline]] ring_push publish(const Source& src) noexcept {
    // Room for the bound and the chunked encoder's slack (detail::chunk_slack: it may write
    // garbage past the record's end, in the room this call reserves and nobody reads); a record
    // near the limit is sized exactly and encoded without it.
    std::size_t n = source_bound(src);
    if (n + detail::chunk_slack > max_payload_) [[unlikely]]
      return publish_exact(src);
    return publish_sized<true>(src, n + detail::chunk_slack);
  }

  //! Records published so far (any thread; exact once the producer has let go).
  [[nodiscard]] std::uint64_t pushed() const noexcept {
    return pushed_.load(std::memory_order_relaxed);
  }

 private:
  template <class Source>
  [[gnu::noinline]] ring_push publish_exact(const Source& src) noexcept {
    const std::size_t n = source_exact_size(src);
    if (n > max_payload_) return ring_push::oversize;
    return publish_sized<false>(src, n);
  }

  // Publishes `src` in room for `n` payload bytes (its encoding's most).
  template <bool Chunked, class Source>
  [[gnu::always_inline]] ring_push publish_sized(const Source& src, std::size_t n) noexcept {
    const std::size_t head = head_.load(std::memory_order_relaxed);
    const std::size_t at = head & mask_;
    std::size_t need = round_up(header_bytes + n);
    // A record never wraps: the room left at the end is skipped (its own header says so).
    const std::size_t pad = at + need > cap_ ? cap_ - at : 0;
    if (head + pad + need - cached_tail_ > cap_) [[unlikely]] {
      cached_tail_ = tail_.load(std::memory_order_acquire);
      if (head + pad + need - cached_tail_ > cap_) return ring_push::full;
    }
    std::size_t pos = head;
    if (pad) [[unlikely]] {
      put_header(buf_ + at, 0, skip_kind, 0);
      pos += pad;
    }
    char* const h = buf_ + (pos & mask_);
    char* const p = h + header_bytes;
    const auto size = static_cast<std::uint32_t>(source_encode<Chunked>(src, p) - p);
    put_header(h, source_ts(src), source_kind(src), size);
    const std::size_t end = pos + round_up(header_bytes + size);
    // Single writer: a load and a store of the thread's own words, no locked instruction.
    pushed_.store(pushed_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    head_.store(end, std::memory_order_release);
    // The next record's lines, read by the consumer since a lap ago: fetched for writing now,
    // while this call is warm (as the queue does for its next slot).
    __builtin_prefetch(buf_ + (end & mask_), 1);
    __builtin_prefetch(buf_ + ((end + 64) & mask_), 1);
    if (end >= next_wake_) [[unlikely]]
      return passed_mark(end) ? ring_push::pushed_wake : ring_push::pushed;
    return ring_push::pushed;
  }

 public:
  // --- consumer side (one thread) ---

  //! The end of what is published now (acquire: the records before it are readable).
  [[nodiscard]] std::size_t published() const noexcept {
    return head_.load(std::memory_order_acquire);
  }
  //! Where the consumer reads next.
  [[nodiscard]] std::size_t read_pos() const noexcept {
    return tail_.load(std::memory_order_relaxed);
  }
  //! Moves `pos` (below `end`) past a skip header to the next record; returns the position of
  //! a record or `end`.
  [[nodiscard]] std::size_t skip(std::size_t pos, std::size_t end) const noexcept {
    if (pos != end && header_at(pos).kind == skip_kind) pos = (pos | mask_) + 1;
    return pos;
  }
  //! The record at `pos` (a position skip() returned, below published()).
  [[nodiscard]] ring_record record_at(std::size_t pos) const noexcept {
    const header h = header_at(pos);
    return {h.ts, h.kind, {buf_ + (pos & mask_) + header_bytes, h.size}};
  }
  //! The position after the record at `pos`.
  [[nodiscard]] std::size_t after(std::size_t pos) const noexcept {
    return pos + round_up(header_bytes + header_at(pos).size);
  }
  //! Hands the room before `pos` back to the producer.
  void consumed_to(std::size_t pos) noexcept { tail_.store(pos, std::memory_order_release); }

  // --- lifetime ---

  //! The producing thread is gone (it publishes nothing more).
  void close() noexcept { closed_.store(true, std::memory_order_release); }
  [[nodiscard]] bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
  //! The consumer is gone (its engine was destroyed): the thread drops the ring when it next
  //! looks for one.
  void orphan() noexcept { orphaned_.store(true, std::memory_order_release); }
  [[nodiscard]] bool orphaned() const noexcept { return orphaned_.load(std::memory_order_acquire); }
  //! Each of the two holders (the thread, the consumer) calls this once; the last frees.
  static void release(thread_ring* r) noexcept {
    if (r->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete r;
  }

 private:
  static constexpr std::size_t header_bytes = 16;
  struct header {
    std::int64_t ts;
    std::uint32_t size;
    std::uint8_t kind;
  };
  static constexpr std::size_t round_up(std::size_t n) noexcept {
    return (n + align - 1) & ~(align - 1);
  }
  static void put_header(char* h, std::int64_t ts, std::uint8_t kind, std::uint32_t size) noexcept {
    const std::uint64_t tail = std::uint64_t{size} | std::uint64_t{kind} << 32;
    __builtin_memcpy(h, &ts, 8);
    __builtin_memcpy(h + 8, &tail, 8);
  }
  header header_at(std::size_t pos) const noexcept {
    const char* h = buf_ + (pos & mask_);
    header out;
    std::uint64_t tail;
    std::memcpy(&out.ts, h, 8);
    std::memcpy(&tail, h + 8, 8);
    out.size = static_cast<std::uint32_t>(tail);
    out.kind = static_cast<std::uint8_t>(tail >> 32);
    return out;
  }
  // The fill mark: the producer wakes the consumer when a quarter of the ring is queued, once
  // per quarter filled (it reads the consumer's position only here and when it looks full).
  [[gnu::noinline]] bool passed_mark(std::size_t end) noexcept {
    cached_tail_ = tail_.load(std::memory_order_acquire);
    next_wake_ = end + mark_;
    return end - cached_tail_ >= mark_;
  }

  const std::size_t cap_, mask_, max_payload_, mark_;
  char* const buf_;
  // The producer's line: its position, count and private copies of the consumer's.
  alignas(64) std::atomic<std::size_t> head_{0};
  std::atomic<std::uint64_t> pushed_{0};
  std::size_t cached_tail_ = 0;
  std::size_t next_wake_ = 0;
  // The consumer's line.
  alignas(64) std::atomic<std::size_t> tail_{0};
  // Lifetime words, written once each.
  alignas(64) std::atomic<bool> closed_{false};
  std::atomic<bool> orphaned_{false};
  std::atomic<int> refs_{2};
};

}  // namespace introspect::inline v1::pipeline
