// The columnar block codec of compressed segments (store/detail/frame_columns.hpp,
// columns_decode.hpp, histogram_fields.hpp) without the file around it: the segment target
// reaches it only through checksummed files, this one gives it bytes directly.
//
// Input: one mode byte, then bytes.
// - mode & 3 == 0: the bytes are a columns block of version 1-4 (mode >> 2 & 3, + 1) decoded
//   into a raw length taken from the next two bytes; an accepted block must give whole frames
//   of that length, which encode again into a block that decodes to the same frames.
// - 1: the same, as a codec-5/6 block (per-column methods; zstd columns when built with it).
// - 2: the bytes drive histogram snapshots written as the metrics engine writes them (value,
//   count, sum, min, max, p50, p90, p99, ll4 bucket text), some with numbers that differ from
//   their buckets', some other records between them; version 4 must give them back byte for
//   byte (derived or not).
// - 3: the bytes are frames' payloads (each a byte of length, then bytes); any valid frames
//   must round-trip through every version.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <introspect/codec/varint.hpp>
#include <introspect/metrics/histogram_snapshot.hpp>
#include <introspect/store/compaction.hpp>

#include "../support/fuzz_support.hpp"

namespace sd = introspect::store::detail;
using introspect::codec::put_varint;
using introspect::codec::zigzag;

namespace {

void add_frame(std::vector<std::byte>& frames, const std::string& p, std::int64_t ts,
               std::uint8_t kind) {
  const auto at = frames.size();
  frames.resize(at + sd::frame_header_size + p.size());
  std::memcpy(frames.data() + at + sd::frame_header_size, p.data(), p.size());
  sd::encode_frame(frames.data() + at, ts, kind, 0, static_cast<std::uint32_t>(p.size()));
}

// Every version encodes `frames` and decodes them back exactly (with and without CRCs).
void round_trip(const std::vector<std::byte>& frames) {
  std::string enc, packed, cols, why;
  std::vector<std::byte> out;
  for (std::uint8_t v = 1; v <= sd::columns_version; ++v) {
    INTROSPECT_FUZZ_CHECK(sd::encode_columns(frames, enc, v));
    INTROSPECT_FUZZ_CHECK(sd::decode_columns(enc, frames.size(), out, true, v));
    INTROSPECT_FUZZ_CHECK(std::memcmp(out.data(), frames.data(), frames.size()) == 0);
    if (v >= 3) {
      introspect::store::compaction_options o;
      o.codec = sd::zstd_built ? introspect::store::seal_codec::columns_zstd
                               : introspect::store::seal_codec::columns;
      o.small_column_level = 1;  // speed: the levels do not change what decodes
      o.zstd_level = 1;
      INTROSPECT_FUZZ_CHECK(sd::pack_columns(enc, o, packed));
      INTROSPECT_FUZZ_CHECK(
          sd::decode_packed_columns(packed, frames.size(), out, false, cols, why, v));
      for (std::size_t pos = 0; pos < frames.size();) {  // CRC fields left 0
        const auto h = sd::decode_frame_header(frames.data() + pos);
        const auto n = sd::frame_header_size + h.length;
        INTROSPECT_FUZZ_CHECK(std::memcmp(out.data() + pos + 8, frames.data() + pos + 8, n - 8) ==
                              0);
        pos += n;
      }
    }
  }
}

// A decoded block: whole valid frames of exactly raw_len bytes, and they round-trip.
void check_decoded(const std::vector<std::byte>& out, std::size_t raw_len) {
  std::vector<std::byte> frames(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(raw_len));
  for (std::size_t pos = 0; pos < raw_len;) {
    INTROSPECT_FUZZ_CHECK(raw_len - pos >= sd::frame_header_size);
    auto h = sd::decode_frame_header(frames.data() + pos);
    INTROSPECT_FUZZ_CHECK(sd::plausible(h) && raw_len - pos - sd::frame_header_size >= h.length);
    INTROSPECT_FUZZ_CHECK(sd::check_frame(frames.data() + pos, sd::frame_header_size + h.length,
                                          h) == sd::frame_check::ok);
    pos += sd::frame_header_size + h.length;
  }
  round_trip(frames);
}

std::string histogram_payload(FuzzedDataProvider& in, std::uint64_t (&buckets)[64],
                              std::uint32_t base) {
  introspect::metrics::histogram_snapshot s;
  const int adds = in.ConsumeIntegralInRange(0, 40);
  for (int k = 0; k < adds; ++k)
    buckets[in.ConsumeIntegralInRange(0, 63)] +=
        in.ConsumeIntegralInRange<std::uint64_t>(0, in.ConsumeBool() ? 3 : ~0ull);
  for (unsigned i = 0; i < 64; ++i) {
    s.buckets[base + i] = buckets[i];
    s.count += buckets[i];
  }
  s.sum = in.ConsumeIntegral<std::int64_t>();
  s.min = in.ConsumeIntegral<std::int64_t>();
  // Wrapping arithmetic (the harness's own sums must not overflow).
  auto plus = [](std::int64_t a, std::int64_t b) {
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(a) + static_cast<std::uint64_t>(b));
  };
  s.max = in.ConsumeBool() ? plus(s.min, in.ConsumeIntegralInRange<std::int64_t>(0, 1 << 30))
                           : in.ConsumeIntegral<std::int64_t>();
  std::int64_t f[7] = {static_cast<std::int64_t>(s.count),
                       s.sum,
                       s.min,
                       s.max,
                       s.quantile(0.5),
                       s.quantile(0.9),
                       s.quantile(0.99)};
  std::int64_t value = f[0];
  const auto tweak = in.ConsumeIntegralInRange(0, 15);  // > 8: as the product writes it
  if (tweak < 7) f[tweak] = plus(f[tweak], in.ConsumeIntegralInRange(-2, 2));
  if (tweak == 7) value = plus(value, 1);
  std::string p{'\1', '\1', '\3', '\0'};
  put_varint(p, 7);
  p += "product";
  put_varint(p, 3);
  p += tweak == 8 ? "hhh" : "hst";
  p += '\1';
  put_varint(p, zigzag(value));
  put_varint(p, 8);
  static const char* const keys[] = {"count", "sum", "min", "max", "p50", "p90", "p99"};
  for (int i = 0; i < 7; ++i) {
    put_varint(p, std::strlen(keys[i]));
    p += keys[i];
    p += '\1';
    put_varint(p, zigzag(f[i]));
  }
  std::string t = tweak == 8 && in.ConsumeBool() ? "ll5" : "ll4";
  for (unsigned i = 0; i < 64; ++i)
    if (buckets[i]) t += " " + std::to_string(base + i) + ":" + std::to_string(buckets[i]);
  put_varint(p, 7);
  p += "buckets";
  p += '\4';
  put_varint(p, t.size());
  p += t;
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const auto mode = data[0];
  if ((mode & 3) <= 1) {
    if (size < 3) return 0;
    const std::size_t raw_len = data[1] | std::size_t{data[2]} << 8;
    const std::string_view in(reinterpret_cast<const char*>(data + 3), size - 3);
    std::vector<std::byte> out;
    std::string cols, why;
    const auto v = static_cast<std::uint8_t>((mode >> 2 & 3) + 1);
    const bool crcs = mode & 16;
    const bool ok = (mode & 3) == 0
                        ? sd::decode_columns(in, raw_len, out, crcs, v)
                        : sd::decode_packed_columns(in, raw_len, out, crcs, cols, why, v);
    if (ok && crcs) check_decoded(out, raw_len);
    return 0;
  }
  FuzzedDataProvider in(data + 1, size - 1);
  std::vector<std::byte> frames;
  std::int64_t ts = 1'767'225'600'000'000'000;
  if ((mode & 3) == 2) {
    std::uint64_t a[64] = {}, b[64] = {};
    const auto base = in.ConsumeIntegralInRange<std::uint32_t>(0, 976 - 64);
    while (in.remaining_bytes() > 0 && frames.size() < (64u << 10)) {
      ts += in.ConsumeIntegralInRange<std::int64_t>(0, 2'000'000'000);
      switch (in.ConsumeIntegralInRange(0, 3)) {
        case 0:
        case 1:
          add_frame(frames, histogram_payload(in, a, base), ts, 2);
          break;
        case 2:
          add_frame(frames, histogram_payload(in, b, 0), ts, 2);
          break;
        default: {
          std::string p{'\1', '\1', '\1', '\0'};
          put_varint(p, 7);
          p += "product";
          put_varint(p, 3);
          p += "ctr";
          p += '\1';
          put_varint(p, zigzag(in.ConsumeIntegral<std::int64_t>()));
          p += '\0';
          add_frame(frames, p, ts, 2);
        }
      }
    }
  } else {
    while (in.remaining_bytes() > 0 && frames.size() < (64u << 10)) {
      ts += in.ConsumeIntegralInRange<std::int64_t>(-5, 5'000'000'000);
      const auto p = in.ConsumeBytesAsString(in.ConsumeIntegralInRange(0, 300));
      add_frame(frames, p, ts, in.ConsumeIntegralInRange<std::uint8_t>(1, 4));
    }
  }
  if (!frames.empty()) round_trip(frames);
  return 0;
}
