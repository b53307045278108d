// The active segment's time index (segment-<first>.tix, docs/format.md): a time-range cursor
// seeks with it instead of reading the segment from its beginning, and no state of the file —
// missing, torn, cut, corrupted, stale after a power loss, left by a kill -9 — ever makes a
// cursor lose or hide a record. Each check compares a `since` cursor with a full scan filtered
// by time, record by record.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <sys/wait.h>
#include <csignal>
#include <cstring>
#include <fstream>
#include <initializer_list>
#include <utility>

#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

using rec = std::pair<st::offset_t, std::int64_t>;  // offset, ts

std::vector<rec> read_all(const fs::path& root, st::cursor_options o = {}) {
  st::reader r(root);
  auto c = r.open("node", "s", o);
  std::vector<rec> out;
  st::frame_view v;
  while (c.next(v)) out.push_back({v.offset, v.ts_ns});
  return out;
}

std::vector<rec> since(const std::vector<rec>& all, std::int64_t t) {
  std::vector<rec> out;
  for (auto& r : all)
    if (r.second >= t) out.push_back(r);
  return out;
}

// Timestamps that mostly grow but jitter back by up to 2.5 ms, so the index's running maximum
// (not the frame's own ts) is what keeps a seek correct.
std::int64_t ts_of(std::uint64_t i) {
  return static_cast<std::int64_t>(i) * 1000 + static_cast<std::int64_t>((i * 7919) % 5000) - 2500;
}

// Every since in `probes` gives exactly the records of the full scan at or after it.
void check_since(const fs::path& root, const std::vector<rec>& all,
                 const std::vector<std::int64_t>& probes) {
  for (auto t : probes) {
    INFO("since " << t);
    auto got = read_all(root, {.since_ts = t});
    auto want = since(all, t);
    REQUIRE(got.size() == want.size());
    CHECK(got == want);
  }
}

std::vector<std::int64_t> probes_for(std::int64_t last) {
  std::vector<std::int64_t> p{INT64_MIN, -5000, 0, 1, 999, 1000};
  for (int k = 1; k < 40; ++k) p.push_back(last * k / 40 + (k % 3) * 777);
  p.push_back(last - 1);
  p.push_back(last);
  p.push_back(last + 1);
  return p;
}

fs::path tix_of(const fs::path& root) {
  for (auto& e : fs::directory_iterator(root / "node" / "s"))
    if (e.path().extension() == ".tix") return e.path();
  return {};
}

std::uint64_t rchar() {
  std::ifstream f("/proc/self/io");
  std::string k;
  std::uint64_t v = 0;
  while (f >> k >> v)
    if (k == "rchar:") return v;
  return 0;
}

// n fixed-size records (120-byte frames) from index `from`, in one active segment.
void write_records(st::writer& w, st::stream_id s, std::uint64_t from, std::uint64_t n,
                   std::int64_t ts_shift = 0) {
  for (std::uint64_t i = from; i < from + n; ++i)
    REQUIRE(w.append(s, ts_of(i) + ts_shift, 1, store_test::payload_for(i + ts_shift)));
}

st::stream_options small_index() {
  st::stream_options o;
  o.index_interval = 4096;  // many entries: every kind of damage hits some
  return o;
}

}  // namespace

TEST_CASE("a time-range cursor seeks in the active segment with its index", "[store][tix]") {
  store_test::temp_dir d("tix-seek");
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("s");
    write_records(w, s, 0, 300'000);
    w.flush();
    // The writer is still open: the segment is the active one and has no .idx.
    auto tix = tix_of(d.path());
    REQUIRE(!tix.empty());
    CHECK(fs::file_size(tix) > 32);
    auto all = read_all(d.path());
    REQUIRE(all.size() == 300'000);
    const auto seg_bytes = fs::file_size(store_test::logs_of(d / "node/s").at(0));

    // The last 1 % of the time range reads a few percent of the segment, not all of it.
    const std::int64_t t = all.back().second - all.back().second / 100;
    const auto before = rchar();
    auto got = read_all(d.path(), {.since_ts = t});
    const auto read = rchar() - before;
    CHECK(got == since(all, t));
    INFO("read " << read << " of " << seg_bytes);
    CHECK(read < seg_bytes / 20);
    check_since(d.path(), all, probes_for(all.back().second));

    // An offset seek uses it too.
    for (auto k : {1u, 1000u, 150'000u, 299'999u}) {
      auto from = all[k].first;
      auto got_off = read_all(d.path(), {.from_offset = from, .since_ts = std::nullopt});
      CHECK(got_off == std::vector<rec>(all.begin() + k, all.end()));
      // From inside a frame: the next whole record.
      got_off = read_all(d.path(), {.from_offset = from - 7, .since_ts = std::nullopt});
      CHECK(got_off == std::vector<rec>(all.begin() + k, all.end()));
    }
    CHECK(st::reader(d.path()).foreign_files().empty());
    CHECK(st::verify(d.path()).clean());
  }
  // A roll seals the segment: its .idx replaces the .tix, and the new segment has its own.
  st::stream_options o;
  o.segment_bytes = 1 << 20;
  st::writer w(d.path(), "node");
  auto s = w.stream("s", o);
  write_records(w, s, 300'000, 20'000);
  w.flush();
  std::size_t tix_files = 0;
  for (auto& e : fs::directory_iterator(d / "node/s")) tix_files += e.path().extension() == ".tix";
  CHECK(tix_files == 1);
  auto all = read_all(d.path());
  REQUIRE(all.size() == 320'000);
  check_since(d.path(), all, probes_for(all.back().second));
}

TEST_CASE("a missing, cut or corrupted .tix costs a scan, never a record", "[store][tix]") {
  store_test::temp_dir d("tix-damage");
  st::writer w(d.path(), "node");
  auto s = w.stream("s", small_index());
  write_records(w, s, 0, 20'000);
  w.flush();
  const auto tix = tix_of(d.path());
  REQUIRE(!tix.empty());
  const auto good = fs::file_size(tix);
  REQUIRE(good > 32 + 24 * 100);
  std::vector<char> orig(good);
  std::ifstream(tix, std::ios::binary).read(orig.data(), static_cast<std::streamsize>(good));
  auto restore = [&] {
    std::ofstream(tix, std::ios::binary | std::ios::trunc)
        .write(orig.data(), static_cast<std::streamsize>(orig.size()));
  };
  const auto all = read_all(d.path());
  const auto probes = probes_for(all.back().second);
  check_since(d.path(), all, probes);

  SECTION("missing (a store written before the index existed)") {
    fs::remove(tix);
    check_since(d.path(), all, probes);
  }
  SECTION("cut at any length") {
    for (std::uint64_t len : std::initializer_list<std::uint64_t>{
             0, 5, 31, 32, 33, 32 + 24 * 7 + 11, good / 2, good - 1}) {
      INFO("cut to " << len);
      restore();
      fs::resize_file(tix, len);
      check_since(d.path(), all, probes);
    }
  }
  SECTION("flipped bytes in the header and in entries") {
    for (std::uint64_t pos : std::initializer_list<std::uint64_t>{
             0, 9, 17, 30, 32, 32 + 24 * 50 + 3, 32 + 24 * 50 + 9, 32 + 24 * 50 + 17, good - 2}) {
      INFO("flip at " << pos);
      restore();
      store_test::flip_byte(tix, pos);
      check_since(d.path(), all, probes);
    }
  }
  SECTION("entries with valid checksums that lie about their frame") {
    // Re-encode every entry with an offset moved inside its frame, or another frame's CRC: the
    // reader must find no confirmed frame there and fall back.
    for (int variant = 0; variant < 2; ++variant) {
      restore();
      std::vector<std::byte> b(good);
      std::memcpy(b.data(), orig.data(), good);
      for (std::size_t at = 32; at + 24 <= good; at += 24) {
        auto e = st::detail::tix_entry{st::detail::load<std::uint64_t>(b.data() + at),
                                       st::detail::load<std::int64_t>(b.data() + at + 8),
                                       st::detail::load<std::uint32_t>(b.data() + at + 16)};
        if (variant == 0)
          e.offset += 20;
        else
          e.frame_crc ^= 1;
        st::detail::encode_tix_entry(b.data() + at, e);
      }
      std::ofstream(tix, std::ios::binary | std::ios::trunc)
          .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(good));
      check_since(d.path(), all, probes);
    }
  }
  SECTION("garbage of the right size, and another segment's index") {
    std::vector<char> junk(good, '\x5a');
    std::ofstream(tix, std::ios::binary | std::ios::trunc)
        .write(junk.data(), static_cast<std::streamsize>(good));
    check_since(d.path(), all, probes);
    restore();
    std::vector<std::byte> hdr(32);
    st::detail::encode_tix_header(hdr.data(), 4096);  // names segment 4096
    std::fstream f(tix, std::ios::in | std::ios::out | std::ios::binary);
    f.write(reinterpret_cast<const char*>(hdr.data()), 32);
    f.close();
    check_since(d.path(), all, probes);
  }
}

TEST_CASE("stale entries after a power loss never hide the records written after it",
          "[store][tix][crash]") {
  store_test::temp_dir d("tix-stale");
  fs::path tix;
  std::vector<char> stale;
  std::uint64_t cut_size = 0;
  {
    st::writer_options wo;
    wo.close_seal_bytes = 0;  // the power loss comes before any close: the segment stays active
    st::writer w(d.path(), "node", wo);
    auto s = w.stream("s", small_index());
    write_records(w, s, 0, 20'000);
    w.flush();
    tix = tix_of(d.path());
    stale.resize(fs::file_size(tix));
    std::ifstream(tix, std::ios::binary)
        .read(stale.data(), static_cast<std::streamsize>(stale.size()));
    // The power loss: the log loses its last 3/4 (never synced) while the index kept entries
    // for it. Simulated after the writer is gone (it would otherwise rewrite them at close).
    cut_size = 32 + 120 * 5'000;
  }
  auto log = store_test::logs_of(d / "node/s").at(0);
  fs::resize_file(log, cut_size);
  std::ofstream(tix, std::ios::binary | std::ios::trunc)
      .write(stale.data(), static_cast<std::streamsize>(stale.size()));
  {
    // The writer comes back and appends records of the same frame size, so new frames sit at
    // the offsets the stale entries name, with much later timestamps: an entry's old "max ts
    // before" would skip them.
    st::writer w(d.path(), "node");
    auto s = w.stream("s", small_index());
    for (auto& e : st::detail::load_tix(tix, 0))
      CHECK(e.offset < st::offset_t{120 * 5'000});  // rewritten before any append
    write_records(w, s, 5'000, 15'000, 1'000'000'000);
    w.flush();
    auto all = read_all(d.path());
    REQUIRE(all.size() == 20'000);
    auto probes = probes_for(all.back().second);
    probes.push_back(ts_of(19'000));  // where the stale index would have started
    check_since(d.path(), all, probes);
    // Even if the stale file came back (a reader that read it before the rewrite, or a rename
    // a second power loss undid), the frame checksums it recorded do not match the new frames.
    std::ofstream(tix, std::ios::binary | std::ios::trunc)
        .write(stale.data(), static_cast<std::streamsize>(stale.size()));
    check_since(d.path(), all, probes);
  }
}

TEST_CASE("kill -9 of a writer at random instants: the index never hides a record",
          "[store][tix][crash]") {
  store_test::temp_dir d("tix-kill");
  std::mt19937_64 rng(std::random_device{}());
  int iterations = 25;
  if (const char* e = std::getenv("INTROSPECT_STORE_CRASH_ITERATIONS"))
    iterations = std::max(1, std::atoi(e) / 8);
  std::uint64_t next_seq = 0;
  for (int iter = 0; iter < iterations; ++iter) {
    if (iter % 4 == 0) fs::remove_all(d / "node");  // keeps each check's full scans short
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      try {
        st::writer_options wo;
        wo.buffer_bytes = 3000;  // a write(2) and an index append every few records
        st::writer w(d.path(), "node", wo);
        st::stream_options so = small_index();
        so.segment_bytes = 4 << 20;
        auto s = w.stream("s", so);
        // Out-of-order bursts: every 97th record is 50 ms late.
        for (std::uint64_t i = next_seq;; ++i)
          (void)w.append(s, ts_of(i) - (i % 97 == 0 ? 50'000 : 0), 1,
                         store_test::payload_for(i, 40 + i % 150));
      } catch (...) {
        ::_exit(2);
      }
    }
    ::usleep(static_cast<useconds_t>(20'000 + rng() % 100'000));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    // Straight after the kill (no writer: the .tix is as the kill left it) and after a writer
    // reopened the stream (recovery cut the tail and rewrote the index).
    for (int phase = 0; phase < 2; ++phase) {
      if (phase == 1) {
        st::writer w(d.path(), "node");
        (void)w.stream("s", small_index());
      }
      auto all = read_all(d.path());
      if (all.empty()) continue;  // killed before its first write
      std::vector<std::int64_t> probes;
      for (int k = 0; k < 8; ++k)
        probes.push_back(all[static_cast<std::size_t>(rng() % all.size())].second + k % 2);
      probes.push_back(all.back().second);
      check_since(d.path(), all, probes);
    }
    next_seq += 1'000'000;
  }
  CHECK(st::verify(d.path()).clean());
}
