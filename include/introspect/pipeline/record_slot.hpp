#pragma once
// A record written straight into its queue slot, in the binary payload layout of
// codec/binary.hpp (docs/payload.md): the product's call sizes the record, claims a slot and
// encodes into it, with no intermediate buffer, no allocation and no system call; the writer
// thread hands the slot's bytes to the store as they are. The encoder here is the fixed-buffer
// twin of codec::encode (which appends to a std::string); tests/pipeline/queue.cpp checks both
// give the same bytes.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>

#include "introspect/codec/binary.hpp"
#include "introspect/core/record.hpp"
#include "introspect/pipeline/event_slot.hpp"

namespace introspect::inline v1::pipeline {

namespace detail {

constexpr std::size_t varint_size(std::uint64_t v) noexcept {
  return v < 0x80 ? 1 : (static_cast<std::size_t>(std::bit_width(v)) + 6) / 7;
}

// constexpr: the call sites' constant bytes are laid out with it at compile time (call_site.hpp).
constexpr char* put_varint(char* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<char>(v);
  return p;
}

// Copies n bytes inline. A record's strings are short, and a call to memcpy goes through the
// PLT into libc's pages: after the product slept (its TLB flushed on a kernel with page-table
// isolation and no PCID) each of those pages was one more walk on the call's critical path.
// Fixed-size copies compile to moves; the last copy of each size class overlaps the one before
// (same bytes), so nothing is read past the source or written past p + n.
inline char* put_bytes(char* p, const char* s, std::size_t n) noexcept {
  if (n >= 16) {
    std::size_t i = 0;
    for (; i + 16 < n; i += 16) __builtin_memcpy(p + i, s + i, 16);
    __builtin_memcpy(p + n - 16, s + n - 16, 16);
  } else if (n >= 8) {
    __builtin_memcpy(p, s, 8);
    __builtin_memcpy(p + n - 8, s + n - 8, 8);
  } else if (n >= 4) {
    __builtin_memcpy(p, s, 4);
    __builtin_memcpy(p + n - 4, s + n - 4, 4);
  } else if (n > 0) {
    p[0] = s[0];
    p[n / 2] = s[n / 2];
    p[n - 1] = s[n - 1];
  }
  return p + n;
}

// A length below 128 (nearly every string of a record) is one varint byte: written without the
// loop.
inline char* put_string(char* p, std::string_view s) noexcept {
  const std::size_t n = s.size();
  if (n < 0x80) [[likely]]
    *p++ = static_cast<char>(n);
  else
    p = put_varint(p, n);
  return put_bytes(p, s.data(), n);
}

// Whole 16-byte copies of short strings read up to 15 bytes past a string's end: never a fault
// (the 16 bytes stay within the string's page), but what a sanitizer reports as an overflow or
// a race. Builds under one copy exactly.
#if defined(INTROSPECT_EXACT_STRING_COPIES)
#elif defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define INTROSPECT_EXACT_STRING_COPIES 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define INTROSPECT_EXACT_STRING_COPIES 1
#endif
#endif
#ifndef INTROSPECT_EXACT_STRING_COPIES
#define INTROSPECT_EXACT_STRING_COPIES 0
#endif

//! Bytes an encoder that copies strings in whole chunks may write past the record's end: the
//! room a caller of encode_into<true> leaves after size_bound(r).
inline constexpr std::size_t chunk_slack = 16;

// put_string for a destination with chunk_slack bytes of room past the record: a string of at
// most 16 bytes whose 16 bytes from its start lie on one page (all but 15 in 4096 of them) is
// one 16-byte load and store, with no branch on its length; the bytes copied past its end are
// overwritten by what follows or lie in the slack, which nobody reads.
inline char* put_string_chunked(char* p, std::string_view s) noexcept {
  const std::size_t n = s.size();
  const auto in_page = reinterpret_cast<std::uintptr_t>(s.data()) & 4095;
  // At least one byte: s.data() is then readable, and so is the rest of its page (an empty
  // view's pointer may be null, or past the end of a mapping).
  if (!INTROSPECT_EXACT_STRING_COPIES && n - 1 < 16 && in_page <= 4096 - 16) [[likely]] {
    *p = static_cast<char>(n);
    __builtin_memcpy(p + 1, s.data(), 16);
    return p + 1 + n;
  }
  return put_string(p, s);
}

constexpr std::size_t value_size(const value_view& v) noexcept {
  switch (v.type()) {
    case value_type::integer:
      return 1 + varint_size(codec::zigzag(v.as_int()));
    case value_type::real:
      return 9;
    case value_type::boolean:
      return 2;
    case value_type::string:
      return 1 + varint_size(v.string_size()) + v.string_size();
    default:
      return 1;
  }
}

// Tests in the order of how often a record holds them (strings and integers in attributes),
// rather than a jump through a table: direct branches that the predictor learns per field.
template <bool Chunked = false>
inline char* put_value(char* p, const value_view& v) noexcept {
  const value_type t = v.type();
  *p++ = static_cast<char>(t);
  if (t == value_type::string) {
    if constexpr (Chunked)
      return put_string_chunked(p, v.as_string());
    else
      return put_string(p, v.as_string());
  }
  if (t == value_type::integer) return put_varint(p, codec::zigzag(v.as_int()));
  if (t == value_type::real) {
    const auto bits = std::bit_cast<std::uint64_t>(v.as_real());
    for (int i = 0; i < 8; ++i) *p++ = static_cast<char>(bits >> (8 * i));
    return p;
  }
  if (t == value_type::boolean) *p++ = v.as_bool() ? 1 : 0;
  return p;
}

// Most bytes a value takes beside its string's bytes: the tag and a 10-byte varint (an integer,
// or a string's length), which also covers a real's 8 bytes and a boolean's 1.
inline constexpr std::size_t value_room = 11;
// Most bytes a string takes beside its bytes: its length as a varint.
inline constexpr std::size_t length_room = 10;

//! At least encoded_size(r) (exact for none of the usual records), counting bytes without a
//! branch per value type: the strings' lengths plus the most each varint and tag can take (a
//! value that is not a string has a string_size() of 0).
constexpr std::size_t size_bound(const record_view& r) noexcept {
  std::size_t n = 4 + 2 * length_room + r.source.size() + r.name.size() + value_room +
                  r.val.string_size() + length_room;
  for (const auto& f : r.fields)
    n += length_room + f.key.size() + value_room + f.value.string_size();
  return n;
}

}  // namespace detail

//! Bytes codec::encode(r, out) appends for `r`.
[[nodiscard]] constexpr std::size_t encoded_size(const record_view& r) noexcept {
  std::size_t n = 4 + detail::varint_size(r.source.size()) + r.source.size() +
                  detail::varint_size(r.name.size()) + r.name.size() + detail::value_size(r.val) +
                  detail::varint_size(r.fields.size());
  for (const auto& f : r.fields)
    n += detail::varint_size(f.key.size()) + f.key.size() + detail::value_size(f.value);
  return n;
}

//! Writes the payload of `r` at `p` (room for encoded_size(r) bytes; with `Chunked`, room for
//! size_bound(r) + chunk_slack bytes, of which those past the returned end hold garbage);
//! returns its end. Either way the payload's bytes are the same.
template <bool Chunked = false>
inline char* encode_into(const record_view& r, char* p) noexcept {
  // The four head bytes in one store, and the fields' span read before any byte is written: a
  // store through char* may alias anything, so after one the compiler reloads what it reads
  // from `r`. Both together took the encoding of a notification with 3 attributes from 7-9.5
  // to 5-6 ns in one microbenchmark; another (the record built differently) and bench_notify
  // at a load of 5 showed no difference.
  const std::uint32_t head =
      std::uint32_t{codec::payload_version} | std::uint32_t{static_cast<std::uint8_t>(r.sev)} << 8 |
      std::uint32_t{static_cast<std::uint8_t>(r.mtype)} << 16 | std::uint32_t{r.flags} << 24;
  const std::span<const field_view> fields = r.fields;
  static_assert(std::endian::native == std::endian::little, "the head is stored little-endian");
  __builtin_memcpy(p, &head, 4);
  if constexpr (Chunked) {
    p = detail::put_string_chunked(p + 4, r.source);
    p = detail::put_string_chunked(p, r.name);
  } else {
    p = detail::put_string(p + 4, r.source);
    p = detail::put_string(p, r.name);
  }
  // A notification's own value is none: its tag alone, before put_value's tests (ordered for
  // attributes, most often strings).
  if (r.val.type() == value_type::none)
    *p++ = static_cast<char>(value_type::none);
  else
    p = detail::put_value<Chunked>(p, r.val);
  if (fields.size() < 0x80) [[likely]]
    *p++ = static_cast<char>(fields.size());
  else
    p = detail::put_varint(p, fields.size());
  for (const auto& f : fields) {
    if constexpr (Chunked)
      p = detail::put_string_chunked(p, f.key);
    else
      p = detail::put_string(p, f.key);
    p = detail::put_value<Chunked>(p, f.value);
  }
  return p;
}

// What publish_payload() and thread_ring::publish() encode — a record_view, or a call site's
// notification (pipeline::site_source, call_site.hpp) — is seen through five functions: its time
// and kind, a bound on its payload's bytes, their exact count, and its encoder (Chunked: as
// encode_into<true>). A record_view is passed as itself, so its path compiles as it did alone.
inline std::int64_t source_ts(const record_view& r) noexcept { return r.ts_ns; }
inline std::uint8_t source_kind(const record_view& r) noexcept {
  return static_cast<std::uint8_t>(r.kind);
}
inline std::size_t source_bound(const record_view& r) noexcept { return detail::size_bound(r); }
inline std::size_t source_exact_size(const record_view& r) noexcept { return encoded_size(r); }
template <bool Chunked>
inline char* source_encode(const record_view& r, char* p) noexcept {
  return encode_into<Chunked>(r, p);
}

//! Encodes a payload source (a record_view, a pipeline::site_source) into a claimed slot of `q`
//! (its kind and time beside the payload). A record larger than a slot is dropped and counted
//! (drop_cause::oversize) without touching the ring. One pass over the record's bytes: a record
//! whose bound() fits the slot (all but the largest) is encoded without being sized first, its
//! size read off the encoder's end; only one near or over the slot's size is sized exactly. The
//! whole call is one function (flatten: bounding, claiming, encoding inlined), so that a call
//! after the product slept fetches its code from one place rather than from four.
template <std::size_t N, class P, class Source>
[[gnu::flatten]] push_result publish_payload(bounded_queue<event_slot<N>, P>& q,
                                             const Source& src) noexcept {
  const std::size_t bound = source_bound(src);
  if (bound + detail::chunk_slack <= N) [[likely]]
    return q.push_with([&](event_slot<N>& s) noexcept {
      char* const begin = reinterpret_cast<char*>(s.bytes.data());
      s.ts = source_ts(src);
      s.kind = source_kind(src);
      s.size = static_cast<std::uint32_t>(source_encode<true>(src, begin) - begin);
    });
  if (bound > N && source_exact_size(src) > N) {
    q.count_drop(drop_cause::oversize);
    return push_result::dropped;
  }
  return q.push_with([&](event_slot<N>& s) noexcept {
    char* const begin = reinterpret_cast<char*>(s.bytes.data());
    s.ts = source_ts(src);
    s.kind = source_kind(src);
    s.size = static_cast<std::uint32_t>(source_encode<false>(src, begin) - begin);
  });
}

//! Encodes `r` into a claimed slot of `q` (publish_payload() of a record_view).
template <std::size_t N, class P>
[[gnu::flatten]] push_result publish_record(bounded_queue<event_slot<N>, P>& q,
                                            const record_view& r) noexcept {
  return publish_payload(q, r);
}

//! The part of a payload the writer needs for every record, read without decoding the rest:
//! flags, source and name, and `key`, the bytes that name the record's series (source and name
//! with their lengths, contiguous in the payload).
struct payload_head {
  std::uint8_t flags = 0;
  std::string_view source, name, key;
};

//! Reads the head of a payload; false for one that is not a current-version payload.
inline bool read_head(std::string_view payload, payload_head& h) noexcept {
  codec::byte_reader in{payload};
  if (in.u8() != codec::payload_version) return false;
  in.u8();
  in.u8();
  h.flags = in.u8();
  const char* key_begin = payload.data() + 4;
  h.source = in.str();
  h.name = in.str();
  if (!in.ok()) return false;
  const char* key_end = h.name.data() + h.name.size();
  h.key = {key_begin, static_cast<std::size_t>(key_end - key_begin)};
  return true;
}

}  // namespace introspect::inline v1::pipeline
