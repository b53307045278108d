// Compressed sealed segments (format revisions 1.2 to 1.5): readers see the same records, old
// stores stay readable, a crash at any step of compaction loses nothing, verify names a damaged
// block, the block decoder survives hostile bytes, and the bucket text decoder's shortcuts
// (counts updated in place, text moved when a count gains or loses a digit) give back the bytes.
#include <catch2/catch.hpp>
#include <introspect/codec/varint.hpp>
#include <introspect/store/compaction.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <cstring>
#include <fstream>
#include <limits>
#include <random>

#include "compacted_frames.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace sd = introspect::store::detail;
namespace fs = std::filesystem;
using introspect::codec::put_varint;
using introspect::codec::zigzag;

namespace {

// A record payload as docs/payload.md lays it out: gauges (real), counters (integer),
// histograms (fields), notifications (no value) and, every 97th record, opaque bytes.
std::string metric_payload(std::uint64_t i, std::mt19937_64& rng) {
  const auto series = i % 23;
  std::string p;
  if (i % 97 == 5) return store_test::payload_for(i, i % 40);  // not a record payload
  p += {'\1', '\1', static_cast<char>(1 + series % 3), '\0'};
  put_varint(p, 7);
  p += "product";
  const std::string name = "segmentstore." + std::to_string(series) + ".cache.bytes";
  put_varint(p, name.size());
  p += name;
  switch (series % 4) {
    case 0: {  // counter
      p += '\1';
      put_varint(p, zigzag(static_cast<std::int64_t>(i * 3 + rng() % 5)));
      p += '\0';
      break;
    }
    case 1: {  // gauge
      p += '\2';
      const double v = static_cast<double>(rng() % 1000) / 8.0;
      char b[8];
      std::memcpy(b, &v, 8);
      p.append(b, 8);
      p += '\0';
      break;
    }
    case 2: {  // histogram: cumulative fields and bucket text (buckets appear, grow, reset)
      p += '\1';
      put_varint(p, zigzag(static_cast<std::int64_t>(i)));
      p += '\4';
      put_varint(p, 5);
      p += "count";
      p += '\1';
      put_varint(p, zigzag(static_cast<std::int64_t>(i / 2) - 40));
      put_varint(p, 3);
      p += "avg";
      p += '\2';
      const double avg = (i % 3) ? static_cast<double>(i % 1000) : 0.25 * static_cast<double>(i);
      char ab[8];
      std::memcpy(ab, &avg, 8);
      p.append(ab, 8);
      put_varint(p, 2);
      p += "up";
      p += (i % 5) ? std::string{'\3', '\1'} : std::string{'\0'};
      put_varint(p, 7);
      p += "buckets";
      p += '\4';
      std::string b = (i % 89 == 0) ? "ll4" : "ll4 3:" + std::to_string(i / 2);
      for (std::uint64_t k = 5; k < 5 + i % 13; k += 1 + k % 3)
        b += " " + std::to_string(k * 7) + ":" +
             std::to_string((i % 31 == 0) ? 0 : i * k + rng() % 2);
      if (i % 41 == 0) b += " 0700:1";  // not canonical: kept as bytes
      put_varint(p, b.size());
      p += b;
      break;
    }
    default:  // a non-canonical varint value (kept byte for byte) and a boolean
      p += (i & 1) ? std::string{'\1', '\x82', '\0'} : std::string{'\3', '\7'};
      p += '\0';
  }
  return p;
}

struct written {
  std::vector<std::pair<std::int64_t, std::string>> recs;
};

written write_store(const fs::path& root, st::seal_codec codec, std::uint64_t n,
                    std::uint64_t seg_bytes = 16 << 10) {
  written w;
  std::mt19937_64 rng(7);
  st::writer wr(root, "node");
  st::stream_options o;
  o.segment_bytes = seg_bytes;
  o.index_interval = 1024;
  o.seal = codec;
  auto s = wr.stream("metric", o);
  std::int64_t ts = 1'767'225'600'000'000'000;
  for (std::uint64_t i = 0; i < n; ++i) {
    if (i % 23 == 0) ts += 1'000'000'000 + static_cast<std::int64_t>(rng() % 3) - 1;
    auto p = metric_payload(i, rng);
    REQUIRE(wr.append(s, ts, static_cast<std::uint8_t>(2 + i % 2), p));
    w.recs.emplace_back(ts, p);
  }
  wr.wait_compaction();  // compaction runs on its own thread
  return w;
}

std::vector<std::pair<std::int64_t, std::string>> read_all(const fs::path& root,
                                                           st::cursor_options ro = {}) {
  st::reader r(root);
  auto c = r.open("node", "metric", ro);
  std::vector<std::pair<std::int64_t, std::string>> out;
  st::frame_view rv;
  while (c.next(rv)) out.emplace_back(rv.ts_ns, std::string(rv.text()));
  CHECK(c.stats().damages.empty());
  return out;
}

bool is_compressed(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  char m[8] = {};
  f.read(m, 8);
  return std::memcmp(m, sd::compressed_magic, 8) == 0;
}

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), {}};
}
void spit(const fs::path& p, const std::string& s) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(s.data(), static_cast<std::streamsize>(s.size()));
}

}  // namespace

TEST_CASE("sealed segments are compacted and read back byte for byte", "[store][compressed]") {
  store_test::temp_dir d;
  const auto w = write_store(d.path(), st::seal_codec::columns, 6000);
  const auto logs = store_test::logs_of(d / "node/metric");
  REQUIRE(logs.size() > 5);
  std::uint64_t stored = 0, compressed = 0;
  for (std::size_t i = 0; i + 1 < logs.size(); ++i) {
    CHECK(is_compressed(logs[i]));
    compressed += is_compressed(logs[i]);
    stored += fs::file_size(logs[i]);
  }
  CHECK_FALSE(is_compressed(logs.back()));  // the active segment stays the frame log
  // Every block took the columns codec of format 1.5 (none fell back to being stored).
  for (std::size_t i = 0; i + 1 < logs.size(); ++i) {
    std::string why;
    int read_err = 0;
    sd::unique_fd fd(::open(logs[i].c_str(), O_RDONLY));
    const auto first = std::stoull(logs[i].stem().string().substr(8));  // segment-<first>
    auto ix = sd::read_compressed_index(fd.get(), fs::file_size(logs[i]), first, why, read_err);
    REQUIRE(ix);
    for (const auto& b : ix->blocks) CHECK(int(b.codec) == 6);
  }
  CHECK(stored < (logs.size() - 1) * (16u << 10) / 3);
  CHECK(read_all(d.path()) == w.recs);
  // A time seek into the middle lands on the same records as a filter of the full scan.
  const auto since = w.recs[w.recs.size() / 2].first;
  auto got = read_all(d.path(), {0, since});
  std::vector<std::pair<std::int64_t, std::string>> want;
  for (auto& r : w.recs)
    if (r.first >= since) want.push_back(r);
  CHECK(got == want);
  st::reader r(d.path());
  auto info = r.info("node", "metric");
  CHECK(info.records == w.recs.size());
  auto v = st::verify(d.path());
  CHECK(v.clean());
  CHECK(v.records == w.recs.size());
  // The writer reopens over compacted segments (their index matches the raw size they stand
  // for) and keeps appending.
  {
    st::writer wr(d.path(), "node");
    st::stream_options o;
    o.segment_bytes = 16 << 10;
    auto s = wr.stream("metric", o);
    CHECK(wr.damages().empty());
    CHECK(wr.append(s, w.recs.back().first + 1, 2, "after"));
  }
  CHECK(read_all(d.path()).size() == w.recs.size() + 1);
  CHECK(compressed == logs.size() - 1);
}

TEST_CASE("a store written in the old format stays readable and mixes with new segments",
          "[store][compressed]") {
  store_test::temp_dir d;
  auto w = write_store(d.path(), st::seal_codec::none, 3000);
  auto logs = store_test::logs_of(d / "node/metric");
  REQUIRE(logs.size() > 3);
  for (auto& l : logs) CHECK_FALSE(is_compressed(l));
  CHECK(read_all(d.path()) == w.recs);
  // A new writer continues the old store: new sealed segments are compacted, old ones stay.
  {
    st::writer wr(d.path(), "node");
    st::stream_options o;
    o.segment_bytes = 16 << 10;
    o.seal = st::seal_codec::columns;
    auto s = wr.stream("metric", o);
    std::mt19937_64 rng(9);
    for (std::uint64_t i = 0; i < 3000; ++i) {
      auto p = metric_payload(i, rng);
      REQUIRE(wr.append(s, w.recs.back().first + 1, 2, p));
      w.recs.emplace_back(w.recs.back().first + 1, p);
    }
    wr.wait_compaction();
    CHECK(wr.stats().compacted > 2);
  }
  CHECK(read_all(d.path()) == w.recs);
  CHECK(st::verify(d.path()).clean());
}

TEST_CASE("a crash at any step of compaction loses nothing", "[store][compressed][crash]") {
  store_test::temp_dir d;
  const auto w = write_store(d.path(), st::seal_codec::none, 2000);
  const auto dir = d / "node/metric";
  auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() > 2);
  const auto raw = slurp(logs[0]);
  // The compressed form of the first segment, made in a copy.
  const auto copy = d / "copy.log";
  spit(copy, raw);
  REQUIRE(st::compact_segment(copy, 0, {.codec = st::seal_codec::columns}).compacted);
  const auto packed = slurp(copy);
  const auto tmp = fs::path(logs[0].string() + ".tmp");
  // 1. killed while writing the temporary file (a prefix of it), 2. after writing it, before the
  // rename: the raw segment is in place and the leftover is removed when a writer opens.
  for (std::size_t cut : {std::size_t{0}, std::size_t{40}, packed.size() / 2, packed.size()}) {
    spit(tmp, packed.substr(0, cut));
    CHECK(read_all(d.path()) == w.recs);
    CHECK(st::verify(d.path()).clean());
    {
      st::writer wr(d.path(), "node");
      (void)wr.stream("metric");
    }
    CHECK_FALSE(fs::exists(tmp));
    CHECK(read_all(d.path()) == w.recs);
  }
  // 3. after the rename (with or without the directory fsync): the compressed segment is there.
  spit(logs[0], packed);
  CHECK(read_all(d.path()) == w.recs);
  CHECK(st::verify(d.path()).clean());
  {
    st::writer wr(d.path(), "node");
    (void)wr.stream("metric");
    CHECK(wr.damages().empty());
  }
  CHECK(read_all(d.path()) == w.recs);
  // Compacting again is a no-op; a segment holding damage is left raw (the evidence stays).
  CHECK(st::compact_segment(logs[0], 0).skipped == "already compressed");
  auto bad = raw;
  bad[200] = static_cast<char>(bad[200] ^ 0x5A);
  spit(copy, bad);
  const auto r = st::compact_segment(copy, 0);
  CHECK_FALSE(r.compacted);
  CHECK(slurp(copy) == bad);
}

TEST_CASE("verify names the damaged block of a compressed segment; other blocks still read",
          "[store][compressed][verify]") {
  store_test::temp_dir d;
  const auto w = write_store(d.path(), st::seal_codec::none, 2000, 64 << 10);
  const auto dir = d / "node/metric";
  auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() >= 2);
  auto c = st::compact_segment(logs[0], 0, {.codec = st::seal_codec::columns, .block_bytes = 4096});
  REQUIRE(c.compacted);
  std::string why;
  int read_err = 0;
  sd::unique_fd fd(::open(logs[0].c_str(), O_RDONLY));
  auto ix = sd::read_compressed_index(fd.get(), fs::file_size(logs[0]), 0, why, read_err);
  REQUIRE(ix);
  REQUIRE(ix->blocks.size() > 4);
  const auto& b = ix->blocks[2];
  store_test::flip_byte(logs[0], b.file_pos + b.stored_len / 2);
  auto v = st::verify(d.path());
  REQUIRE(v.damages.size() == 1);
  const auto& dm = v.damages[0];
  CHECK(dm.path == logs[0]);
  CHECK(dm.file_offset == b.raw_pos);
  CHECK(dm.bytes == b.raw_len);
  CHECK(dm.reason == "compressed block 2 at file offset " + std::to_string(b.file_pos) + " (" +
                         std::to_string(b.stored_len) + " bytes): block checksum mismatch");
  // A reader skips that block, reports it, and returns every other record.
  st::reader r(d.path());
  auto cur = r.open("node", "metric");
  st::frame_view rv;
  std::size_t n = 0;
  while (cur.next(rv)) ++n;
  CHECK(cur.stats().damages.size() == 1);
  CHECK(n > w.recs.size() - 200);
  CHECK(n < w.recs.size());
  // A damaged block table: the segment is one damage that says so.
  store_test::flip_byte(logs[0], fs::file_size(logs[0]) - 10);
  v = st::verify(d.path());
  REQUIRE_FALSE(v.damages.empty());
  CHECK(v.damages[0].reason == "compressed segment block table checksum mismatch");
}

TEST_CASE("the block decoder survives hostile input", "[store][compressed][hostile]") {
  std::mt19937_64 rng(3);
  std::vector<std::byte> frames;
  std::int64_t ts = -5;
  for (std::uint64_t i = 0; i < 400; ++i) {
    auto p = metric_payload(i, rng);
    if (i % 50 == 0) p.clear();  // empty payloads
    const auto at = frames.size();
    frames.resize(at + sd::frame_header_size + p.size());
    std::memcpy(frames.data() + at + sd::frame_header_size, p.data(), p.size());
    ts += (i % 7 == 0) ? -1'000'000'000'000LL : static_cast<std::int64_t>(rng() % 1000);
    sd::encode_frame(frames.data() + at, i == 399 ? INT64_MAX : ts, static_cast<std::uint8_t>(i),
                     static_cast<std::uint8_t>(i * 3), static_cast<std::uint32_t>(p.size()));
  }
  // Every columns version: 4 (written now), 3 (format 1.4), 2 (format 1.3) and 1 (format 1.2),
  // still read.
  for (std::uint8_t version :
       {std::uint8_t{4}, std::uint8_t{3}, std::uint8_t{2}, std::uint8_t{1}}) {
    INFO("columns version " << int(version));
    std::string enc;
    REQUIRE(sd::encode_columns(frames, enc, version));
    std::vector<std::byte> out;
    REQUIRE(sd::decode_columns(enc, frames.size(), out, true, version));
    out.resize(frames.size());
    CHECK(out == frames);
    CHECK_FALSE(sd::decode_columns(enc, frames.size() + 1, out, true, version));
    CHECK_FALSE(sd::decode_columns(enc, frames.size(), out, true, version == 1 ? 2 : 1));
    // Every truncation and many random mutations: false, or exactly raw_len bytes; never UB
    // (this test runs under ASan and UBSan in CI).
    for (std::size_t cut = 0; cut < enc.size(); cut += 1 + cut / 16)
      CHECK_FALSE(sd::decode_columns(std::string_view(enc).substr(0, cut), frames.size(), out, true,
                                     version));
    for (int k = 0; k < 3000; ++k) {
      auto m = enc;
      for (int j = 0; j <= k % 4; ++j) m[rng() % m.size()] = static_cast<char>(rng());
      if (sd::decode_columns(m, frames.size(), out, k % 2 == 0, version))
        CHECK(out.size() >= frames.size());
    }
  }
  // Codec 5's and 6's layout (each column stored, zstd, or zstd with the dictionary): truncations
  // and mutations of it decode to false or to exactly raw_len bytes, and the intact one to the
  // frames.
  for (const std::uint8_t version : {3, 4})
    for (const auto codec : {st::seal_codec::columns, st::seal_codec::columns_zstd}) {
      std::string enc, packed, cols, why;
      REQUIRE(sd::encode_columns(frames, enc, version));
      REQUIRE(sd::pack_columns(enc, {.codec = codec}, packed));
      std::vector<std::byte> out;
      REQUIRE(sd::decode_packed_columns(packed, frames.size(), out, true, cols, why, version));
      CHECK_FALSE(sd::decode_packed_columns(packed, frames.size(), out, true, cols, why,
                                            static_cast<std::uint8_t>(7 - version)));
      out.resize(frames.size());
      CHECK(out == frames);
      for (std::size_t cut = 0; cut < packed.size(); cut += 1 + cut / 16)
        CHECK_FALSE(sd::decode_packed_columns(std::string_view(packed).substr(0, cut),
                                              frames.size(), out, true, cols, why, version));
      for (int k = 0; k < 2000; ++k) {
        auto m = packed;
        for (int j = 0; j <= k % 4; ++j) m[rng() % m.size()] = static_cast<char>(rng());
        if (sd::decode_packed_columns(m, frames.size(), out, k % 2 == 0, cols, why, version))
          CHECK(out.size() >= frames.size());
      }
    }
  // A frame that is not valid is refused by the encoder (the block is then stored as it is).
  frames[25] ^= std::byte{1};
  std::string enc;
  CHECK_FALSE(sd::encode_columns(frames, enc));
}

namespace {

// The frames of one histogram series sampled every second, as the metrics engine writes them:
// cumulative count and sum, percentiles, and `ll4` bucket text in which most buckets grow.
std::vector<std::byte> histogram_frames(std::size_t samples) {
  std::mt19937_64 rng(5);
  std::vector<std::byte> frames;
  std::uint64_t buckets[120] = {};
  for (std::size_t i = 0; i < samples; ++i) {
    for (int k = 0; k < 60; ++k) buckets[30 + rng() % 60 + rng() % 30] += 1;
    std::uint64_t n = 0;
    for (auto b : buckets) n += b;
    std::string p{'\1', '\1', '\3', '\0'};
    put_varint(p, 7);
    p += "product";
    put_varint(p, 10);
    p += "latency_us";
    p += '\1';
    put_varint(p, zigzag(static_cast<std::int64_t>(n)));
    put_varint(p, 8);
    for (const char* k : {"count", "sum", "min", "max", "p50", "p90", "p99"}) {
      put_varint(p, std::strlen(k));
      p += k;
      p += '\1';
      put_varint(p, zigzag(static_cast<std::int64_t>(n * std::strlen(k) + rng() % 50)));
    }
    std::string t = "ll4";
    for (int b = 0; b < 120; ++b)
      if (buckets[b]) {
        // Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict) on "lit" + string.
        t += ' ';
        t += std::to_string(b);
        t += ':';
        t += std::to_string(buckets[b]);
      }
    put_varint(p, 7);
    p += "buckets";
    p += '\4';
    put_varint(p, t.size());
    p += t;
    const auto at = frames.size();
    frames.resize(at + sd::frame_header_size + p.size());
    std::memcpy(frames.data() + at + sd::frame_header_size, p.data(), p.size());
    sd::encode_frame(frames.data() + at,
                     1'767'225'600'000'000'000 + static_cast<std::int64_t>(i) * 1'000'000'000, 2, 0,
                     static_cast<std::uint32_t>(p.size()));
  }
  return frames;
}

}  // namespace

TEST_CASE("histogram snapshots are encoded per field and per bucket (columns version 2)",
          "[store][compressed]") {
  const auto frames = histogram_frames(200);
  std::string v1, v2;
  REQUIRE(sd::encode_columns(frames, v1, 1));
  REQUIRE(sd::encode_columns(frames, v2, 2));
  std::vector<std::byte> out;
  REQUIRE(sd::decode_columns(v2, frames.size(), out, true, 2));
  CHECK(std::memcmp(out.data(), frames.data(), frames.size()) == 0);
  // Version 1 keeps the bucket text as bytes whenever it changes; version 2 writes a bucket's
  // change of count: at least 4 times smaller before zstd.
  CHECK(v2.size() * 4 < v1.size());
  // Through compaction: codec 6 blocks (format 1.5), and readers see the same frames.
  store_test::temp_dir d;
  const auto log = d / "segment.log";
  store_test::write_raw_segment(log, frames);
  REQUIRE(st::compact_segment(log, 0, {.codec = st::seal_codec::columns, .block_bytes = 64 << 10})
              .compacted);
  const auto codecs = store_test::block_codecs(log);
  REQUIRE(codecs.size() > 1);
  for (const int c : codecs) CHECK(c == 6);
  CHECK(store_test::scanned_frames(log) ==
        std::string(reinterpret_cast<const char*>(frames.data()), frames.size()));
}

TEST_CASE("compaction of a segment named without a directory reports what it did",
          "[store][compressed]") {
  // The directory's fsync after the rename took the empty parent of "copy.log" for a path
  // (ENOENT): the file was compacted but reported as failed.
  store_test::temp_dir d;
  (void)write_store(d.path(), st::seal_codec::none, 2000);
  const auto raw = slurp(store_test::logs_of(d / "node/metric")[0]);
  spit(d / "copy.log", raw);
  const auto before = fs::current_path();
  fs::current_path(d.path());
  const auto r = st::compact_segment("copy.log", 0, {.codec = st::seal_codec::columns});
  fs::current_path(before);
  CHECK(r.error == 0);
  CHECK(r.compacted);
  CHECK(slurp(d / "copy.log") != raw);
}

TEST_CASE("compressed segments written by formats 1.2 to 1.4 (block codecs 1-5) stay readable",
          "[store][compressed]") {
  // Files written by the format-1.2 encoder before columns version 2 existed, by the
  // format-1.3 encoder (columns version 2) before version 3 (counters, gauges, histograms with
  // bucket text, notifications; 8 KiB blocks), by the format-1.4 encoder (codec 5, columns
  // stored or zstd) before version 4, and the raw segment they all came from.
  const fs::path data = fs::path(INTROSPECT_SOURCE_DIR) / "tests/store/data";
  const auto raw = slurp(data / "format-1.2/raw.log");
  REQUIRE(raw.size() > 10000);
  store_test::temp_dir d;
  for (const std::string name :
       {"format-1.2/columns.log", "format-1.2/columns_zstd.log", "format-1.3/columns.log",
        "format-1.3/columns_zstd.log", "format-1.4/columns.log", "format-1.4/columns_zstd.log"}) {
    INFO(name);
    const fs::path dir = data;
    const auto log = d / "segment-00000000000000000000.log";
    fs::copy_file(dir / name, log, fs::copy_options::overwrite_existing);
    sd::segment_scanner sc;
    REQUIRE(sc.open(log, 0));
    CHECK(sc.compressed());
    sd::scanned_frame f;
    st::damage dm;
    std::string back(raw.substr(0, sd::segment_header_size));
    std::vector<std::string> damages;
    for (;;) {
      const auto s = sc.next(f, dm);
      if (s == sd::segment_scanner::step::end) break;
      if (s == sd::segment_scanner::step::damage) {
        damages.push_back(dm.reason);
        continue;
      }
      back.append(reinterpret_cast<const char*>(f.payload - sd::frame_header_size), f.size());
    }
    {  // the codecs that revision wrote
      std::string why;
      int read_err = 0;
      sd::unique_fd fd(::open(log.c_str(), O_RDONLY));
      auto ix = sd::read_compressed_index(fd.get(), fs::file_size(log), 0, why, read_err);
      REQUIRE(ix);
      const int want = name.starts_with("format-1.4")
                           ? 5
                           : (name.starts_with("format-1.2") ? 1 : 3) + name.ends_with("zstd.log");
      for (const auto& b : ix->blocks) CHECK((b.codec == want || b.codec == 0));
      CHECK(ix->blocks.size() > 1);
    }
    if (name.ends_with("columns_zstd.log") && !sd::zstd_built) {
      REQUIRE_FALSE(damages.empty());  // a build without libzstd names why it cannot read them
      CHECK(damages[0].ends_with("block needs zstd (this build has no libzstd)"));
      continue;
    }
    CHECK(damages.empty());
    CHECK(back == raw);
  }
}

namespace {

// One histogram sample: a head and (index, count) pairs, as bucket text.
struct hist_sample {
  std::string head = "ll4";
  std::vector<std::pair<std::uint32_t, std::uint64_t>> buckets;
};

// Frames of histogram samples of one series (the payload histogram_frames writes), then `tail`
// counter records of another series when asked (so that a histogram is not the block's last).
std::vector<std::byte> frames_of(const std::vector<hist_sample>& samples, int tail = 0) {
  std::vector<std::byte> frames;
  auto add = [&](const std::string& p, std::int64_t i) {
    const auto at = frames.size();
    frames.resize(at + sd::frame_header_size + p.size());
    std::memcpy(frames.data() + at + sd::frame_header_size, p.data(), p.size());
    sd::encode_frame(frames.data() + at, 1'767'225'600'000'000'000 + i * 1'000'000'000, 2, 0,
                     static_cast<std::uint32_t>(p.size()));
  };
  std::int64_t i = 0;
  for (const auto& h : samples) {
    std::string t = h.head;
    for (const auto& [index, count] : h.buckets) {
      t += ' ';
      t += std::to_string(index);
      t += ':';
      t += std::to_string(count);
    }
    std::string p{'\1', '\1', '\3', '\0'};
    put_varint(p, 7);
    p += "product";
    put_varint(p, 10);
    p += "latency_us";
    p += '\1';
    put_varint(p, zigzag(i));
    put_varint(p, 2);
    put_varint(p, 5);
    p += "count";
    p += '\1';
    put_varint(p, zigzag(i * 3));
    put_varint(p, 7);
    p += "buckets";
    p += '\4';
    put_varint(p, t.size());
    p += t;
    add(p, i++);
  }
  for (int k = 0; k < tail; ++k) {
    std::string p{'\1', '\1', '\2', '\0'};
    put_varint(p, 7);
    p += "product";
    put_varint(p, 5);
    p += "bytes";
    p += '\1';
    put_varint(p, zigzag(k * 1000));
    p += '\0';
    add(p, i++);
  }
  return frames;
}

// Encodes `frames` as one columns version 2 block and decodes it again; the bytes must match.
void round_trip(const std::vector<std::byte>& frames) {
  std::string enc;
  REQUIRE(sd::encode_columns(frames, enc, 2));
  for (const bool crcs : {true, false}) {
    std::vector<std::byte> out;
    REQUIRE(sd::decode_columns(enc, frames.size(), out, crcs, 2));
    REQUIRE(out.size() >= frames.size());
    if (crcs) {
      CHECK(std::memcmp(out.data(), frames.data(), frames.size()) == 0);
    } else {
      // Without CRCs the frames differ only in their CRC field (bytes 4..7 of each header).
      for (std::size_t pos = 0; pos < frames.size();) {
        const auto h = sd::decode_frame_header(frames.data() + pos);
        const auto n = sd::frame_header_size + h.length;
        CHECK(std::memcmp(out.data() + pos + 8, frames.data() + pos + 8, n - 8) == 0);
        pos += n;
      }
    }
  }
}

// The top-level columns of a version 2 block: version, record count, then 11 length-prefixed
// columns (S D T V R K F B C N M); C is index 8.
struct block_columns {
  std::uint8_t version = 0;
  std::uint64_t n = 0;
  std::vector<std::string> cols;
};
block_columns split_block(const std::string& enc) {
  introspect::codec::byte_reader r(enc);
  block_columns b;
  b.version = r.u8();
  b.n = r.varint();
  for (int i = 0; i < 11; ++i) b.cols.emplace_back(r.str());
  REQUIRE(r.ok());
  REQUIRE(r.at_end());
  return b;
}
std::string join_block(const block_columns& b) {
  std::string out(1, static_cast<char>(b.version));
  put_varint(out, b.n);
  for (const auto& c : b.cols) {
    put_varint(out, c.size());
    out += c;
  }
  return out;
}

}  // namespace

TEST_CASE("bucket counts that gain or lose digits, big changes and resets decode exactly",
          "[store][compressed]") {
  // Counts updated in place eight digits at a time; a carry out of the first digit (9 -> 10,
  // 99999999 -> 100000000) moves the rest of the text; counts of more than 8 digits, changes of
  // 10 or more and resets (the count falls: a change mod 2^64) are printed again.
  std::vector<hist_sample> s;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> b = {{1, 0},
                                                            {2, 8},
                                                            {3, 98},
                                                            {4, 9'999'998},
                                                            {5, 99'999'998},
                                                            {6, 12'345'678'901},
                                                            {7, 18'446'744'073'709'551'613u},
                                                            {9, 5},
                                                            {40, 1'999'999}};
  for (int k = 0; k < 40; ++k) {
    s.push_back({"ll4", b});
    for (std::size_t i = 0; i < b.size(); ++i) {
      auto& c = b[i].second;
      switch ((k + i) % 6) {
        case 0:
          break;  // unchanged
        case 1:
          c += 1;
          break;  // the usual: a few more
        case 2:
          c += 3;
          break;
        case 3:
          c += (k % 5 == 0) ? 1000 : 2;
          break;  // sometimes a big change
        case 4:
          c = (k % 7 == 0) ? c / 1000 : c + 9;
          break;  // sometimes a reset (fewer digits)
        default:
          c += 11;
          break;
      }
    }
  }
  round_trip(frames_of(s));
  round_trip(frames_of(s, 3));
  // Every count of a sample gains a digit at once (the whole text moves at each bucket).
  std::vector<hist_sample> grow;
  for (std::uint64_t c : {9u, 10u, 99u, 100u, 999u, 1000u}) {
    hist_sample h;
    for (std::uint32_t i = 0; i < 50; ++i) h.buckets.emplace_back(i * 3, c);
    grow.push_back(h);
  }
  round_trip(frames_of(grow));
}

TEST_CASE("bucket sets that grow, change, shrink or come back, and heads that change",
          "[store][compressed]") {
  std::vector<hist_sample> s;
  s.push_back({"ll4", {{10, 1}, {11, 2}}});
  s.push_back({"ll4", {{3, 1}, {10, 1}, {11, 3}, {12, 1}}});      // grown (op 1)
  s.push_back({"ll4", {{3, 1}, {10, 9}, {11, 3}, {12, 10}}});     // same set
  s.push_back({"ll4", {{3, 2}, {12, 11}, {4'294'967'295u, 7}}});  // new set (op 2)
  s.push_back({"ll5", {{3, 2}, {12, 11}, {4'294'967'295u, 8}}});  // same set, new head
  s.push_back({"ll5", {{0, 1}}});                                 // shrunk to one bucket
  s.push_back({"ll4", {}});  // no bucket: "ll4" alone (kept as bytes, not as buckets)
  s.push_back({"ll4", {{0, 1}, {1, 1}}});
  s.push_back({"ll4", {{0, 1}, {1, 1}}});  // the same text ("same string")
  s.push_back({"ll4", {{0, 2}, {1, 1}}});
  round_trip(frames_of(s));
  round_trip(frames_of(s, 2));
}

TEST_CASE("long bucket text, and text whose length's varint shrinks at the block's end",
          "[store][compressed]") {
  // Over 16 KiB of text (a 3-byte length), then down to under 128 bytes (1 byte) in the block's
  // very last bytes: the decoder guesses the length's size from the previous text and must not
  // refuse a text that ends exactly at the block's end.
  hist_sample big;
  for (std::uint32_t i = 0; i < 2000; ++i) big.buckets.emplace_back(i * 7 + 1'000'000, 100 + i);
  hist_sample big2 = big;
  for (std::size_t i = 0; i < big2.buckets.size(); i += 3) big2.buckets[i].second += 1 + i % 12;
  hist_sample mid;  // 128..16383 bytes (a 2-byte length)
  for (std::uint32_t i = 0; i < 40; ++i) mid.buckets.emplace_back(i, 10);
  const hist_sample small{"ll4", {{1, 1}, {2, 2}}};
  for (const auto& seq : std::vector<std::vector<hist_sample>>{
           {big, big2, small}, {big, small}, {mid, small}, {small, mid, big, big2, mid, small}}) {
    const auto frames = frames_of(seq);
    round_trip(frames);
    // The last text is 1 byte of length + text, written after a guess of 2 or 3 bytes.
    round_trip(frames_of(seq, 1));
  }
}

TEST_CASE("damaged bucket columns make the block undecodable, never a wrong text",
          "[store][compressed][hostile]") {
  std::vector<hist_sample> s;
  std::vector<std::pair<std::uint32_t, std::uint64_t>> b;
  for (std::uint32_t i = 0; i < 30; ++i) b.emplace_back(i * 2, i);
  for (int k = 0; k < 20; ++k) {
    s.push_back({"ll4", b});
    for (auto& [i, c] : b) c += (i + k) % 3;
  }
  const auto frames = frames_of(s, 1);
  std::string enc;
  REQUIRE(sd::encode_columns(frames, enc, 2));
  const auto cols = split_block(enc);
  std::vector<std::byte> out;
  REQUIRE(sd::decode_columns(join_block(cols), frames.size(), out, true, 2));
  REQUIRE(cols.cols[8].size() > 2);
  // C (the count changes) one byte short, one byte long, or ending in a varint with no end.
  for (int how = 0; how < 4; ++how) {
    INFO("damage " << how);
    auto d = cols;
    auto& c = d.cols[8];
    if (how == 0) c.pop_back();
    if (how == 1) c.push_back('\0');
    if (how == 2) c.back() = static_cast<char>(0x80);
    if (how == 3) c.assign(c.size(), static_cast<char>(0xFF));  // varints of more than 10 bytes
    CHECK_FALSE(sd::decode_columns(join_block(d), frames.size(), out, true, 2));
  }
  // The bitmap M with a padding bit set (a change past the last bucket), or one byte short.
  {
    auto d = cols;
    d.cols[10].back() = static_cast<char>(d.cols[10].back() | 0x80);  // 30 buckets: bits 30, 31 pad
    CHECK_FALSE(sd::decode_columns(join_block(d), frames.size(), out, true, 2));
    d = cols;
    d.cols[10].pop_back();
    CHECK_FALSE(sd::decode_columns(join_block(d), frames.size(), out, true, 2));
  }
  // Each byte of B, C and M changed: false, or a block of exactly raw_len bytes whose frames the
  // scanner would then check; never a read or write out of bounds (ASan/UBSan in CI).
  std::mt19937_64 rng(11);
  for (const int col : {7, 8, 10}) {
    for (std::size_t at = 0; at < cols.cols[col].size(); ++at) {
      auto d = cols;
      d.cols[col][at] = static_cast<char>(rng());
      if (sd::decode_columns(join_block(d), frames.size(), out, true, 2))
        CHECK(out.size() >= frames.size());
    }
  }
}

TEST_CASE("reals with a few decimals are encoded as scaled integers and decode bit for bit",
          "[store][compressed]") {
  // Columns version 3: a gauge that is i / 10^k exactly (ratios, percentages, load averages)
  // takes its integer's delta; anything else (-0, NaN, infinities, 0.1 + 0.2, 1/3, huge and
  // tiny values, integral values) keeps its own form, and every bit pattern comes back.
  std::mt19937_64 rng(11);
  std::vector<double> values;
  for (int i = 0; i < 300; ++i) values.push_back(static_cast<double>(800 + rng() % 200) / 1000.0);
  for (int i = 0; i < 100; ++i) values.push_back(55.0 + static_cast<double>(rng() % 9) / 100.0);
  for (double v :
       {-0.0, 0.0, std::numeric_limits<double>::quiet_NaN(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
        0.1 + 0.2, 1.0 / 3.0, 1e300, -1e-300, 5e-324, 9007199254740993.0 / 10.0, -2.5,
        123456789.123456, 0.000000000000001, 4.0, -7.07})
    values.push_back(v);
  std::vector<std::byte> frames;
  for (std::size_t i = 0; i < values.size(); ++i) {
    std::string p{'\1', '\1', '\2', '\0'};
    put_varint(p, 7);
    p += "product";
    const std::string name = i < 300 ? "cache.hit_ratio" : "disk.used_pct";
    put_varint(p, name.size());
    p += name;
    p += '\2';
    char b[8];
    std::memcpy(b, &values[i], 8);
    p.append(b, 8);
    p += '\0';
    const auto at = frames.size();
    frames.resize(at + sd::frame_header_size + p.size());
    std::memcpy(frames.data() + at + sd::frame_header_size, p.data(), p.size());
    sd::encode_frame(frames.data() + at, 1'767'225'600'000'000'000 + static_cast<std::int64_t>(i),
                     2, 0, static_cast<std::uint32_t>(p.size()));
  }
  std::string v2, v3;
  REQUIRE(sd::encode_columns(frames, v2, 2));
  REQUIRE(sd::encode_columns(frames, v3, 3));
  std::vector<std::byte> out;
  REQUIRE(sd::decode_columns(v3, frames.size(), out, true, 3));
  out.resize(frames.size());
  CHECK(out == frames);
  // The ratios' XOR form takes 3-7 bytes a sample, their scaled integer's delta 1-2 (and one
  // byte of k in V, which zstd makes nearly free).
  CHECK(v3.size() + 3 * 300 / 2 < v2.size());
  // Through compaction (codec 5 with zstd when built) and the reader: the same bytes.
  store_test::temp_dir d;
  const auto log = d / "segment-00000000000000000000.log";
  const auto raw = store_test::write_raw_segment(log, frames);
  REQUIRE(st::compact_segment(log, 0).compacted);
  CHECK(store_test::scanned_frames(log) == raw.substr(sd::segment_header_size));
}

TEST_CASE("the column dictionary of format 1.4 never changes", "[store][compressed]") {
  // Blocks compressed against it are read with it: its bytes are part of the format.
  const auto d = sd::columns::column_dictionary();
  CHECK(d.size() == 760);
  CHECK(st::crc32c(reinterpret_cast<const std::byte*>(d.data()), d.size()) == 3686134721u);
}
