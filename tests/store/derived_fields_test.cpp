// Columns version 4 (format 1.5): a histogram snapshot's value, count and percentiles are left
// out of a block when its buckets give them back exactly, and recomputed when it is read. The
// frames come from the product's own path (metrics registry, write_metric_snapshot, the binary
// payload encoder); records whose stored numbers differ from the recomputation keep them; every
// block decodes to its frames byte for byte; the sparse quantile is histogram_snapshot's.
#include <catch2/catch.hpp>
#include <introspect/codec/binary.hpp>
#include <introspect/codec/varint.hpp>
#include <introspect/engine/metric_snapshot.hpp>
#include <introspect/metrics/registry.hpp>
#include <introspect/store/compaction.hpp>

#include <cstring>
#include <fstream>
#include <random>

#include "compacted_frames.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace sd = introspect::store::detail;
namespace fs = std::filesystem;
using introspect::codec::put_varint;
using introspect::codec::zigzag;

namespace {

void add_frame(std::vector<std::byte>& frames, std::string_view p, std::int64_t ts) {
  const auto at = frames.size();
  frames.resize(at + sd::frame_header_size + p.size());
  std::memcpy(frames.data() + at + sd::frame_header_size, p.data(), p.size());
  sd::encode_frame(frames.data() + at, ts, 2, 0, static_cast<std::uint32_t>(p.size()));
}

// `samples` one-second snapshots of a registry with two histograms and a counter, as the metrics
// engine writes them; `edit` may change each payload's record before it is encoded.
template <class Edit>
std::vector<std::byte> product_frames(int samples, Edit edit) {
  introspect::metrics::registry reg;
  std::mt19937_64 rng(11);
  std::vector<std::byte> frames;
  std::string p;
  int k = 0;
  for (int i = 0; i < samples; ++i) {
    for (int j = 0; j < 200; ++j)
      reg.observe("latency_us", static_cast<std::int64_t>(rng() % 5000));
    for (int j = 0; j < 3; ++j)
      reg.observe("size_bytes", -5 + static_cast<std::int64_t>(rng() % 70000));
    if (i % 7 == 3) reg.observe("rare", 1'000'000'000'000);
    reg.count("requests", 17);
    const std::int64_t ts = 1'767'225'600'000'000'000 + std::int64_t{i} * 1'000'000'000;
    introspect::write_metric_snapshot(reg, ts, [&](introspect::record_view r) {
      std::vector<introspect::field_view> f(r.fields.begin(), r.fields.end());
      edit(k++, r, f);
      r.fields = f;
      p.clear();
      introspect::codec::encode(r, p);
      add_frame(frames, p, ts);
    });
  }
  return frames;
}

// Records of a block in fields mode, and those of them in derived mode (from column V).
struct mode_counts {
  std::size_t fields = 0, derived = 0;
};
mode_counts derived_records(const std::string& enc) {
  introspect::codec::byte_reader r(enc);
  (void)r.u8();
  const auto n = r.varint();
  std::string_view col[11];
  for (auto& c : col) c = r.str();
  // Every record here is parsed; V holds one mode byte each (no decimals in these frames).
  REQUIRE(col[3].size() == n);
  mode_counts c;
  for (const char ch : col[3]) {
    const auto m = static_cast<std::uint8_t>(ch);
    c.fields += (m & sd::columns::fields) != 0;
    c.derived += (m & sd::columns::derived) != 0;
  }
  return c;
}

void round_trip(const std::vector<std::byte>& frames, std::uint8_t version) {
  std::string enc;
  REQUIRE(sd::encode_columns(frames, enc, version));
  for (const bool crcs : {true, false}) {
    std::vector<std::byte> out;
    REQUIRE(sd::decode_columns(enc, frames.size(), out, crcs, version));
    for (std::size_t pos = 0; pos < frames.size();) {
      const auto h = sd::decode_frame_header(frames.data() + pos);
      const auto n = sd::frame_header_size + h.length;
      const std::size_t from = crcs ? 0 : 8;  // without CRCs only the CRC field differs
      REQUIRE(std::memcmp(out.data() + pos + from, frames.data() + pos + from, n - from) == 0);
      pos += n;
    }
  }
}

}  // namespace

TEST_CASE("the decoder's quantile is histogram_snapshot::quantile", "[store][compressed]") {
  std::mt19937_64 rng(3);
  for (int round = 0; round < 300; ++round) {
    introspect::metrics::histogram_snapshot s;
    const int n = 1 + static_cast<int>(rng() % 400);
    for (int i = 0; i < n; ++i) {
      const auto v =
          static_cast<std::int64_t>(round % 3 == 0 ? rng() >> (rng() % 64) : rng() % 100000) -
          (round % 5 == 0 ? 50 : 0);
      s.buckets[introspect::metrics::detail::bucket_index(
          static_cast<std::uint64_t>(v < 0 ? 0 : v))]++;
      ++s.count;
      // The product's sum wraps modulo 2^64 (histogram_snapshot::sum): add as unsigned.
      s.sum = static_cast<std::int64_t>(static_cast<std::uint64_t>(s.sum) +
                                        static_cast<std::uint64_t>(v));
      s.min = std::min(s.min, v);
      s.max = std::max(s.max, v);
    }
    if (round % 7 == 0) s.count += 3;  // torn: buckets and count disagree
    if (round % 13 == 0) {  // running sums that wrap (mod 2^64), as both sides compute them
      s.buckets[rng() % introspect::metrics::detail::bucket_count] += 1ull << 63;
      s.buckets[rng() % introspect::metrics::detail::bucket_count] += 3ull << 62;
    }
    std::vector<std::uint32_t> idx;
    std::vector<std::uint64_t> cnt;
    for (unsigned i = 0; i < introspect::metrics::detail::bucket_count; ++i)
      if (s.buckets[i] || (round % 11 == 0 && i % 50 == 0)) {  // explicit empty buckets too
        idx.push_back(i);
        cnt.push_back(s.buckets[i]);
      }
    std::int64_t q[3];
    sd::columns::sparse_quantiles(s.count, s.min, s.max, idx.data(), cnt.data(), idx.size(), q);
    for (int k = 0; k < 3; ++k) CHECK(q[k] == s.quantile(sd::columns::histogram_quantiles[k]));
  }
}

TEST_CASE("histogram snapshots leave out what their buckets determine (columns version 4)",
          "[store][compressed]") {
  const auto frames = product_frames(120, [](int, auto&, auto&) {});
  std::string v3, v4;
  REQUIRE(sd::encode_columns(frames, v3, 3));
  REQUIRE(sd::encode_columns(frames, v4, 4));
  // Every histogram record that is not "the same fields as before" (an idle histogram) derived.
  const auto c4 = derived_records(v4);
  CHECK(c4.fields >= 120 * 2);
  CHECK(c4.derived == c4.fields - 1);  // the counter's first record: fields mode, 0 fields
  CHECK(derived_records(v3).derived == 0);
  CHECK(v4.size() < v3.size());
  round_trip(frames, 4);
  round_trip(frames, 3);
}

TEST_CASE("a histogram whose stored numbers differ from its buckets' keeps them",
          "[store][compressed]") {
  // Every 5th record of one histogram with its value, count or a percentile changed (a torn
  // snapshot, another quantile function), its bucket text in another layout, or two fields
  // swapped (another schema). Those are not derived, the others are, and every record comes
  // back byte for byte.
  using introspect::field_view;
  for (int which = 0; which < 6; ++which) {
    INFO(which);
    std::size_t changed = 0;
    int seen = 0;
    const auto frames = product_frames(60, [&](int, introspect::record_view& r, auto& f) {
      if (r.name != "latency_us" || seen++ % 5 != 2) return;
      ++changed;
      auto bump = [](const field_view& x) { return field_view{x.key, x.value.as_int() + 1}; };
      switch (which) {
        case 0:
          r.val = r.val.as_int() + 1;
          break;
        case 1:
          f[0] = bump(f[0]);
          break;
        case 2:
          f[4] = bump(f[4]);
          break;
        case 3:
          f[6] = bump(f[6]);
          break;
        case 4:
          f[7] = field_view{"buckets", std::string_view{"ll5 3:1"}};
          break;
        default:
          std::swap(f[4], f[5]);
          break;  // another schema
      }
    });
    std::string enc;
    REQUIRE(sd::encode_columns(frames, enc, 4));
    CHECK(changed == 12);
    const auto c = derived_records(enc);
    CHECK(c.derived == c.fields - 1 - changed);
    round_trip(frames, 4);
  }
}

TEST_CASE("compaction writes codec 6 and readers see the product's frames", "[store][compressed]") {
  const auto frames = product_frames(300, [](int, auto&, auto&) {});
  store_test::temp_dir d;
  const auto log = d / "segment.log";
  store_test::write_raw_segment(log, frames);
  for (const auto codec : {st::seal_codec::columns, st::seal_codec::columns_zstd}) {
    if (codec == st::seal_codec::columns_zstd && !sd::zstd_built) continue;
    const auto copy = d / "copy.log";
    fs::copy_file(log, copy, fs::copy_options::overwrite_existing);
    REQUIRE(st::compact_segment(copy, 0, {.codec = codec, .block_bytes = 32 << 10}).compacted);
    const auto codecs = store_test::block_codecs(copy);
    REQUIRE(codecs.size() > 1);
    for (const int c : codecs) CHECK(c == 6);
    CHECK(store_test::scanned_frames(copy) ==
          std::string(reinterpret_cast<const char*>(frames.data()), frames.size()));
  }
}

TEST_CASE("a damaged derived block is refused, never a wrong histogram", "[store][compressed]") {
  const auto frames = product_frames(40, [](int, auto&, auto&) {});
  std::string enc;
  REQUIRE(sd::encode_columns(frames, enc, 4));
  std::mt19937_64 rng(9);
  std::vector<std::byte> out;
  int refused = 0;
  for (int i = 0; i < 4000; ++i) {
    auto m = enc;
    const auto at = 1 + rng() % (m.size() - 1);
    m[at] = static_cast<char>(m[at] ^ (1 << (rng() % 8)));
    if (!sd::decode_columns(m, frames.size(), out, true, 4)) {
      ++refused;
      continue;
    }
    // Accepted: then it is a set of valid frames (each CRC recomputed over what was decoded).
    for (std::size_t pos = 0; pos < frames.size();) {
      const auto h = sd::decode_frame_header(out.data() + pos);
      REQUIRE(sd::plausible(h));
      pos += sd::frame_header_size + h.length;
      REQUIRE(pos <= frames.size());
    }
  }
  CHECK(refused > 0);
  // Hostile mode bytes: derived without fields or without an integer value is refused.
  for (const std::uint8_t m : {0x04, 0x05, 0x06, 0x46, 0x84}) CHECK_FALSE(sd::valid_modes.ok[3][m]);
  CHECK(sd::valid_modes.ok[3][0x45]);
  CHECK(sd::valid_modes.ok[3][0x65]);
  CHECK_FALSE(sd::valid_modes.ok[2][0x45]);
}
