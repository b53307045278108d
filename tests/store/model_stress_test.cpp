// Model-based stress test (RocksDB's db_stress idea): random sequences of append, roll, sync,
// retention, truncation, crash (a torn tail past the last sync), reopen, and reads by offset and
// by time, each checked against an in-memory model. Runs INTROSPECT_STRESS_SECONDS (default 8)
// with seed INTROSPECT_STRESS_SEED (default: random, printed); tools/soak/store_model_stress.sh
// runs it for longer.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>

#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

struct model_record {
  std::int64_t ts;
  st::offset_t offset;
  bool durable = false;  // synced: must survive a crash
};

struct model {
  std::vector<model_record> recs;  // in append order (ts strictly increasing)
  std::int64_t trunc_ts = std::numeric_limits<std::int64_t>::min();
  std::uint64_t keep_count = 0;  // 0: no count retention
};

std::uint64_t env_or(const char* name, std::uint64_t dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::strtoull(v, nullptr, 10) : dflt;
}

// Checks a full read against the model: whole, correct records; never a truncated one; every
// durable, untruncated record present unless count retention may have removed it; what is
// missing is a prefix (retention) or a non-durable suffix (a crash), never a hole.
void check_full_read(const fs::path& root, const model& m) {
  auto c = st::reader(root).open("node", "all");
  st::frame_view v;
  std::vector<std::int64_t> got;
  while (c.next(v)) {
    REQUIRE(v.text() == store_test::payload_for(static_cast<std::uint64_t>(v.ts_ns)));
    REQUIRE(v.ts_ns >= m.trunc_ts);
    got.push_back(v.ts_ns);
  }
  REQUIRE(c.stats().errors.empty());
  REQUIRE(c.stats().skipped_ranges == 0);
  std::vector<std::int64_t> expect;
  for (auto& r : m.recs)
    if (r.ts >= m.trunc_ts) expect.push_back(r.ts);
  // got must be a contiguous run of expect.
  if (got.empty()) {
    for (auto& r : m.recs)
      if (r.ts >= m.trunc_ts && r.durable && m.keep_count == 0)
        FAIL("durable record " << r.ts << " lost");
    return;
  }
  auto first = std::find(expect.begin(), expect.end(), got.front());
  REQUIRE(first != expect.end());
  REQUIRE(static_cast<std::size_t>(expect.end() - first) >= got.size());
  REQUIRE(std::equal(got.begin(), got.end(), first));
  if (m.keep_count == 0) REQUIRE(first == expect.begin());  // nothing but truncation removes
  // Every durable record after the first one seen is there.
  for (auto& r : m.recs)
    if (r.durable && r.ts >= got.front()) REQUIRE(std::binary_search(got.begin(), got.end(), r.ts));
}

}  // namespace

TEST_CASE("random operations agree with an in-memory model", "[store][stress]") {
  const auto seconds = env_or("INTROSPECT_STRESS_SECONDS", 8);
  const auto seed = env_or("INTROSPECT_STRESS_SEED", std::random_device{}());
  WARN("model stress: seed " << seed << ", " << seconds << " s (INTROSPECT_STRESS_SEED)");
  std::mt19937_64 rng(seed);
  auto pick = [&](std::uint64_t n) {
    return std::uniform_int_distribution<std::uint64_t>(0, n - 1)(rng);
  };
  if (::access("/dev/shm", W_OK) == 0) ::setenv("INTROSPECT_TEST_TMP", "/dev/shm", 0);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  std::uint64_t rounds = 0, ops = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++rounds;
    store_test::temp_dir d("stress");
    auto root = d / "store";
    model m;
    st::stream_options so;
    so.segment_bytes = 32 + 120 * (3 + pick(20));
    if (pick(2)) m.keep_count = 5 + pick(40), so.keep_count = m.keep_count;
    std::int64_t ts = 0;
    auto open = [&] {
      auto w = std::make_unique<st::writer>(
          root, "node", st::writer_options{st::durability::none(), 64 + pick(2000)});
      return std::make_pair(std::move(w), w->stream("all", so));
    };
    auto [w, s] = open();
    for (int step = 0; step < 300; ++step, ++ops) {
      switch (pick(10)) {
        case 0:
        case 1:
        case 2:
        case 3: {  // append a few
          for (auto n = 1 + pick(8); n > 0; --n) {
            ++ts;
            auto off = w->append(s, ts, 1, store_test::payload_for(static_cast<std::uint64_t>(ts)));
            REQUIRE(off);
            m.recs.push_back({ts, *off});
          }
          break;
        }
        case 4:  // sync: everything so far is durable
          REQUIRE(w->sync());
          for (auto& r : m.recs) r.durable = true;
          break;
        case 5:  // retention (by count; truncated segments go too)
          w->apply_retention(ts);
          break;
        case 6:  // truncate at a random time
          if (!m.recs.empty()) {
            auto t = m.recs[pick(m.recs.size())].ts;
            w->truncate(s, t);
            m.trunc_ts = std::max(m.trunc_ts, t);
          }
          break;
        case 7: {  // crash: close, then cut the active segment anywhere past the last sync
          w.reset();
          auto logs = store_test::logs_of(root / "node" / "all");
          if (!logs.empty()) {
            std::uint64_t durable_end = 32;
            auto first = std::stoull(logs.back().filename().string().substr(8, 20));
            for (auto& r : m.recs)
              if (r.durable && r.offset >= first) durable_end = r.offset - first + 32 + 120;
            auto size = fs::file_size(logs.back());
            if (size > durable_end) {
              auto cut = durable_end + pick(size - durable_end);
              fs::resize_file(logs.back(), cut);
              // The model drops what the cut removed (whole records past it).
              std::erase_if(m.recs, [&](auto& r) {
                return !r.durable && r.offset >= first && r.offset - first + 32 + 120 > cut;
              });
            }
          }
          std::tie(w, s) = open();
          break;
        }
        case 8: {  // read from an offset
          if (m.recs.empty()) break;
          auto& r = m.recs[pick(m.recs.size())];
          w->flush();
          auto c = st::reader(root).open("node", "all", {r.offset, std::nullopt});
          st::frame_view v;
          if (c.next(v)) REQUIRE(v.offset >= r.offset);
          if (r.ts >= m.trunc_ts && c.stats().records == 1 && m.keep_count == 0)
            REQUIRE(v.ts_ns == r.ts);
          break;
        }
        default: {  // read from a time
          if (m.recs.empty()) break;
          auto since = m.recs[pick(m.recs.size())].ts;
          w->flush();
          auto c = st::reader(root).open("node", "all", {0, since});
          st::frame_view v;
          while (c.next(v)) REQUIRE(v.ts_ns >= since);
          break;
        }
      }
    }
    w->flush();
    check_full_read(root, m);
    w.reset();
    auto v = st::verify(root);
    REQUIRE(v.errors.empty());
    // A crash that cut a record in half leaves damage only in the active segment's torn tail,
    // which the reopening writer has cut: the store is clean.
    INFO((v.damages.empty() ? std::string()
                            : v.damages[0].reason + " " + v.damages[0].path.string()));
    REQUIRE(v.clean());
  }
  WARN("model stress: " << rounds << " stores, " << ops << " operations, seed " << seed);
}
