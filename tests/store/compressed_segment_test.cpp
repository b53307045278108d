// Compressed sealed segments (format revision 1.2): readers see the same records, old stores
// stay readable, a crash at any step of compaction loses nothing, verify names a damaged block,
// and the block decoder survives hostile bytes.
#include <catch2/catch.hpp>
#include <introspect/codec/varint.hpp>
#include <introspect/store/compaction.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <cstring>
#include <fstream>
#include <random>

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
  // Every block took the columns codec of format 1.3 (none fell back to being stored).
  for (std::size_t i = 0; i + 1 < logs.size(); ++i) {
    std::string why;
    int read_err = 0;
    sd::unique_fd fd(::open(logs[i].c_str(), O_RDONLY));
    const auto first = std::stoull(logs[i].stem().string().substr(8));  // segment-<first>
    auto ix = sd::read_compressed_index(fd.get(), fs::file_size(logs[i]), first, why, read_err);
    REQUIRE(ix);
    for (const auto& b : ix->blocks) CHECK(int(b.codec) == 3);
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
  // Both columns versions: 2 (written now) and 1 (format 1.2, still read).
  for (std::uint8_t version : {std::uint8_t{2}, std::uint8_t{1}}) {
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
      if (buckets[b]) t += " " + std::to_string(b) + ":" + std::to_string(buckets[b]);
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
  // Through compaction: codec 3 blocks, and readers see the same frames.
  store_test::temp_dir d;
  const auto log = d / "segment.log";
  {
    std::string raw(sd::segment_header_size, '\0');
    sd::encode_segment_header(reinterpret_cast<std::byte*>(raw.data()), 0);
    raw.append(reinterpret_cast<const char*>(frames.data()), frames.size());
    spit(log, raw);
  }
  REQUIRE(st::compact_segment(log, 0, {.codec = st::seal_codec::columns, .block_bytes = 64 << 10})
              .compacted);
  std::string why;
  int read_err = 0;
  sd::unique_fd fd(::open(log.c_str(), O_RDONLY));
  auto ix = sd::read_compressed_index(fd.get(), fs::file_size(log), 0, why, read_err);
  REQUIRE(ix);
  REQUIRE(ix->blocks.size() > 1);
  for (const auto& b : ix->blocks) CHECK(int(b.codec) == 3);
  sd::segment_scanner sc;
  REQUIRE(sc.open(log, 0));
  sd::scanned_frame f;
  st::damage dm;
  std::string back;
  while (sc.next(f, dm) == sd::segment_scanner::step::frame)
    back.append(reinterpret_cast<const char*>(f.payload - sd::frame_header_size), f.size());
  CHECK(back == std::string(reinterpret_cast<const char*>(frames.data()), frames.size()));
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

TEST_CASE("compressed segments written by format 1.2 (block codecs 1 and 2) stay readable",
          "[store][compressed]") {
  // Files written by the format-1.2 encoder before columns version 2 existed (counters, gauges,
  // histograms with bucket text, notifications; 8 KiB blocks), and the raw segment they came from.
  const fs::path dir = fs::path(INTROSPECT_SOURCE_DIR) / "tests/store/data/format-1.2";
  const auto raw = slurp(dir / "raw.log");
  REQUIRE(raw.size() > 10000);
  store_test::temp_dir d;
  for (const char* name : {"columns.log", "columns_zstd.log"}) {
    INFO(name);
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
    if (std::string(name) == "columns_zstd.log" && !sd::zstd_built) {
      REQUIRE_FALSE(damages.empty());  // a build without libzstd names why it cannot read them
      CHECK(damages[0].ends_with("block needs zstd (this build has no libzstd)"));
      continue;
    }
    CHECK(damages.empty());
    CHECK(back == raw);
  }
}
