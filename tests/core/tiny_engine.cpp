// The tiny tier end to end, on real files in a temporary directory and with a simulated clock:
// line contents, the period (tick, buffering), state tables, rotation, an unwritable store, a full
// buffer, a flood written through a fixed buffer and the absence of any thread.
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>

#include <catch2/catch.hpp>

#include <introspect/introspect.hpp>

#include "support.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using tiny = ix::tiny_introspection;
using ixt::sec;

namespace {

constexpr std::int64_t period = 60 * sec;  // the tiny tier's default cadence
static_assert(tiny::cadence::period_ns == period);

ix::config cfg(const fs::path& store, std::string instance = "node-1") {
  ix::config c;
  c.store = store;
  c.instance = std::move(instance);
  c.clock = &ixt::sim_clock;
  return c;
}

struct line_counts {
  std::size_t notifications = 0, states = 0, tables = 0, metas = 0;
};

line_counts count_lines(const std::vector<std::string>& lines) {
  line_counts c;
  for (const auto& l : lines) {
    ixt::json j(l);
    const auto k = j.str("kind");
    if (k == "notification") ++c.notifications;
    if (k == "meta") ++c.metas;
    if (k == "state") (j.has("table") ? c.tables : c.states)++;
  }
  return c;
}

// Bytes the allocator has handed out (0 under a sanitizer's allocator: then only the buffer's
// capacity is checked).
std::size_t heap_in_use() {
  const struct mallinfo2 m = ::mallinfo2();
  return m.uordblks + m.hblkhd;
}

std::vector<std::string> notification_names(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& l : ixt::lines_in(dir)) {
    ixt::json j(l);
    if (j.str("kind") == "notification") out.push_back(j.str("name"));
  }
  return out;
}

}  // namespace

TEST_CASE("every line has ts, kind, instance, source and name; notifications a severity",
          "[engine][tiny]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026 + 123'456'789;
  {
    tiny ins(cfg(dir.path()));
    ins.state("container/3", "RECOVERING");
    ins.state("cache.bytes", 1234);
    ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}, {"pct", 71}});
    ins.notify(ix::severity::critical, "journal lost");
    ins.flush();
  }
  const auto files = ixt::files_in(dir.path());
  REQUIRE(files.size() == 1);
  CHECK(ixt::ends_with_newline(files[0]));
  CHECK(ixt::jq_status(files[0]) == 0);
  const auto lines = ixt::lines_in(dir.path());
  REQUIRE(lines.size() >= 4);
  std::set<std::string> severities;
  for (const auto& l : lines) {
    INFO(l);
    ixt::json j(l);
    for (auto key : {"ts", "kind", "instance", "source", "name"}) CHECK(j.has(key));
    CHECK(j.str("instance") == "node-1");
    const auto ts = ix::parse_rfc3339(j.str("ts"));
    REQUIRE(ts);
    CHECK(*ts == ixt::sim_now.load());
    if (j.str("kind") == "notification") {
      REQUIRE(j.has("severity"));
      severities.insert(j.str("severity"));
      CHECK(j.str("source") == "product");
    }
  }
  CHECK(severities == std::set<std::string>{"warning", "critical"});
  const auto c = count_lines(lines);
  CHECK(c.notifications == 2);
  CHECK(c.states == 2);
}

TEST_CASE("records are buffered; tick() flushes when the period has elapsed and not before",
          "[engine][tiny]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  tiny ins(cfg(dir.path()));
  ins.notify(ix::severity::info, "a");
  ins.tick();
  CHECK(ixt::files_in(dir.path()).empty());
  ixt::sim_now = ixt::t2026 + period - 1;
  ins.tick();
  ins.notify(ix::severity::info, "b");
  CHECK(ixt::files_in(dir.path()).empty());
  CHECK(ins.stats().flushes == 0);
  CHECK(ins.stats().records == 2);

  ixt::sim_now = ixt::t2026 + period;
  ins.tick();
  CHECK(ins.stats().flushes == 1);
  CHECK(notification_names(dir.path()) == std::vector<std::string>{"a", "b"});

  // The next period starts at the flush: a record 1 s later stays buffered...
  ixt::sim_now += sec;
  ins.notify(ix::severity::info, "c");
  ins.tick();
  CHECK(notification_names(dir.path()).size() == 2);
  // ...until a call (here a record, not tick) finds the period elapsed: it is written with it.
  ixt::sim_now = ixt::t2026 + 2 * period;
  ins.notify(ix::severity::info, "d");
  CHECK(ins.stats().flushes == 2);
  CHECK(notification_names(dir.path()) == std::vector<std::string>{"a", "b", "c", "d"});
}

TEST_CASE("the state table (latest value per key) is written each period", "[engine][tiny]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  tiny ins(cfg(dir.path()));
  ins.state("a", 1);
  ins.state("a", 2);
  ins.state("b", "x");
  for (int p = 1; p <= 3; ++p) {
    ixt::sim_now = ixt::t2026 + p * period;
    ins.tick();  // periods 2 and 3 have no new record: the table is written anyway
  }
  std::map<std::int64_t, std::map<std::string, std::string>> tables;  // ts -> key -> value
  int changes = 0;
  for (const auto& l : ixt::lines_in(dir.path())) {
    ixt::json j(l);
    if (j.str("kind") != "state") continue;
    if (!j.has("table")) {
      ++changes;
      continue;
    }
    const auto ts = *ix::parse_rfc3339(j.str("ts"));
    tables[ts][j.str("name")] = simdjson::to_string(j["value"]);
  }
  CHECK(changes == 3);
  for (int p = 1; p <= 3; ++p) {
    INFO("period " << p);
    const auto& t = tables[ixt::t2026 + p * period];
    CHECK(t.size() == 2);
    CHECK(t.at("a") == "2");
    CHECK(t.at("b") == "\"x\"");
  }
}

TEST_CASE("flush() writes at once and the destructor writes what is left", "[engine][tiny]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  {
    tiny ins(cfg(dir.path()));
    ins.notify(ix::severity::info, "first");
    ins.flush();
    CHECK(notification_names(dir.path()) == std::vector<std::string>{"first"});
    ins.notify(ix::severity::info, "second");
    CHECK(notification_names(dir.path()).size() == 1);
  }
  CHECK(notification_names(dir.path()) == std::vector<std::string>{"first", "second"});
}

TEST_CASE("rotation at the size limit keeps N self-contained files <instance>-<seq:08>.jsonl",
          "[engine][tiny][rotation]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  constexpr int total = 400;
  auto c = cfg(dir.path(), "rot");
  c.file_bytes = 4096;
  c.files_kept = 3;
  {
    tiny ins(c);
    ins.state("a", 1);
    ins.state("b", "two");
    ins.state("c", true);
    const std::string pad(100, 'p');
    for (int i = 0; i < total; ++i) {
      ins.notify(ix::severity::info, "n", {{"i", i}, {"pad", pad}});
      if (i % 10 == 9) ins.flush();
    }
  }
  const auto files = ixt::files_in(dir.path());
  REQUIRE(files.size() == 3);
  const std::regex name_re(R"(rot-(\d{8})\.jsonl)");
  std::vector<std::int64_t> seqs;
  std::vector<std::int64_t> indices;
  for (const auto& f : files) {
    INFO(f);
    std::smatch m;
    const auto name = f.filename().string();
    REQUIRE(std::regex_match(name, m, name_re));
    seqs.push_back(std::stoll(m[1]));
    CHECK(fs::file_size(f) <= c.file_bytes);
    CHECK(ixt::ends_with_newline(f));
    CHECK(ixt::jq_status(f) == 0);
    const auto lines = ixt::read_lines(f);
    REQUIRE(lines.size() > 4);
    // Self-contained: a header naming this file's sequence, then the whole state table.
    ixt::json head(lines[0]);
    CHECK(head.str("kind") == "meta");
    CHECK(head.str("name") == "introspect.file");
    CHECK(int64_t(head["fields"]["sequence"]) == seqs.back());
    CHECK(int64_t(head["fields"]["state_keys"]) == 3);
    std::set<std::string> keys;
    for (int k = 1; k <= 3; ++k) {
      ixt::json t(lines[k]);
      CHECK(t.str("kind") == "state");
      CHECK(t.has("table"));
      keys.insert(t.str("name"));
    }
    CHECK(keys == std::set<std::string>{"a", "b", "c"});
    for (const auto& l : lines) {
      ixt::json j(l);
      if (j.str("kind") == "notification") indices.push_back(int64_t(j["fields"]["i"]));
    }
  }
  CHECK(seqs[1] == seqs[0] + 1);
  CHECK(seqs[2] == seqs[1] + 1);
  CHECK(seqs[0] > 1);  // older files were removed
  // The kept files hold the newest records, in order, without a gap.
  REQUIRE(!indices.empty());
  CHECK(indices.back() == total - 1);
  for (std::size_t k = 1; k < indices.size(); ++k) CHECK(indices[k] == indices[k - 1] + 1);
}

TEST_CASE("a restart continues with the next file sequence", "[engine][tiny][rotation]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  for (int run = 0; run < 3; ++run) {
    tiny ins(cfg(dir.path(), "r"));
    ins.notify(ix::severity::info, "run");
  }
  const auto files = ixt::files_in(dir.path());
  REQUIRE(files.size() == 3);
  CHECK(files[0].filename() == "r-00000001.jsonl");
  CHECK(files[2].filename() == "r-00000003.jsonl");
}

TEST_CASE("a missing store directory is created", "[engine][tiny][bad-input]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  {
    tiny ins(cfg(dir / "a" / "b" / "c"));
    ins.notify(ix::severity::info, "x");
  }
  CHECK(notification_names(dir / "a" / "b" / "c") == std::vector<std::string>{"x"});
}

TEST_CASE(
    "an unwritable store: the product runs on, errors are counted and reported once, "
    "records are kept and written once the store is writable",
    "[engine][tiny][bad-input]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  const auto blocker = dir / "blocker";
  std::ofstream(blocker) << "a regular file where a directory should be\n";
  const auto store = blocker / "store";  // root cannot create a directory under a file either
  std::string err_text;
  {
    ixt::stderr_capture err;
    tiny ins(cfg(store));
    ins.state("k", "v");
    ins.notify(ix::severity::error, "n0");
    REQUIRE_NOTHROW(ins.flush());
    ins.notify(ix::severity::error, "n1");
    ixt::sim_now += period;
    REQUIRE_NOTHROW(ins.tick());
    REQUIRE_NOTHROW(ins.flush());
    auto s = ins.stats();
    CHECK(s.write_errors == 3);
    CHECK(s.flushes == 0);
    CHECK(s.last_errno == ENOTDIR);
    CHECK(s.dropped() == 0);

    fs::remove(blocker);  // the store becomes writable
    ins.notify(ix::severity::error, "n2");
    ins.flush();
    s = ins.stats();
    CHECK(s.flushes == 1);
    CHECK(s.write_errors == 3);
    err_text = err.text();
  }
  CHECK(ixt::occurrences(err_text, "introspect: cannot write") == 1);
  CHECK(notification_names(store) == std::vector<std::string>{"n0", "n1", "n2"});
  // The failures are recorded in the store itself.
  bool meta_seen = false;
  for (const auto& l : ixt::lines_in(store)) {
    ixt::json j(l);
    if (j.str("name") != "introspect.dropped") continue;
    meta_seen = true;
    CHECK(j.str("kind") == "meta");
    CHECK(int64_t(j["fields"]["write_errors"]) >= 1);
  }
  CHECK(meta_seen);
}

TEST_CASE("records are not lost at exit... unless the store stays unwritable: then counted",
          "[engine][tiny][bad-input]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  const auto blocker = dir / "blocker";
  std::ofstream(blocker) << "x\n";
  std::string err_text;
  {
    ixt::stderr_capture err;
    {
      tiny ins(cfg(blocker / "store"));
      ins.notify(ix::severity::info, "a");
      ins.notify(ix::severity::info, "b");
    }
    err_text = err.text();
  }
  CHECK(err_text.find("2 records could not be written at exit") != std::string::npos);
}

TEST_CASE("a store outage does not fill the buffer with repeated state tables",
          "[engine][tiny][bad-input]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  const auto blocker = dir / "blocker";
  std::ofstream(blocker) << "x\n";
  const auto store = blocker / "store";
  auto c = cfg(store);
  c.buffer_bytes = 64 << 10;
  c.on_error = ix::ignore_errors;
  tiny ins(c);
  const std::string value(60, 'v');
  for (int k = 0; k < 100; ++k) ins.state("state/key/" + std::to_string(k), value);  // ~15 KB
  for (int p = 1; p <= 20; ++p) {  // 20 failed periods
    ixt::sim_now = ixt::t2026 + p * period;
    ins.tick();
  }
  CHECK(ins.stats().write_errors == 20);
  // A record made during the outage is kept: the buffer holds records, not stale tables.
  ins.notify(ix::severity::warning, "during the outage");
  CHECK(ins.stats().dropped_buffer_full == 0);
  fs::remove(blocker);
  ins.flush();
  CHECK(notification_names(store) == std::vector<std::string>{"during the outage"});
  const auto counts = count_lines(ixt::lines_in(store));
  CHECK(counts.states == 100);
  // The file's preamble table, the flush's table, and at most one stale copy.
  CHECK(counts.tables <= 300);
}

TEST_CASE("a flood writes through the fixed buffer: all N notifications reach the file",
          "[engine][tiny][flood]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;  // the clock stands still: no period elapses, only the buffer fills
  constexpr int total = 100'000;
  {
    tiny ins(cfg(dir.path()));  // the default config: a 64 KiB buffer
    CHECK(ins.engine().sink().buffer_capacity() <= (64u << 10) + 64);
    for (int i = 0; i < total; ++i)
      ins.notify(ix::severity::info, "segment sealed", {{"i", i}, {"disk", "sdb"}});
    const auto s = ins.stats();
    CHECK(s.records == total);
    CHECK(s.dropped() == 0);
    CHECK(s.write_errors == 0);
    CHECK(s.flushes == 0);  // no period has elapsed: what is in the file was written through
    CHECK(notification_names(dir.path()).size() > total - 1000);
  }
  std::vector<std::int64_t> indices;
  for (const auto& l : ixt::lines_in(dir.path())) {
    ixt::json j(l);
    if (j.str("kind") == "notification") indices.push_back(int64_t(j["fields"]["i"]));
    CHECK(j.str("name") != "introspect.dropped");
  }
  REQUIRE(indices.size() == total);
  for (int i = 0; i < total; ++i)
    if (indices[static_cast<std::size_t>(i)] != i) FAIL("line " << i << " out of order");
}

TEST_CASE("the buffer is fixed: the heap does not grow under a flood, nor with a huge line",
          "[engine][tiny][flood]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  auto c = cfg(dir.path());
  c.buffer_bytes = 16u << 10;
  tiny ins(c);
  const auto cap = ins.engine().sink().buffer_capacity();
  CHECK(cap >= c.buffer_bytes);
  CHECK(cap < c.buffer_bytes + 64);
  const auto flood = [&](int n) {
    for (int i = 0; i < n; ++i) {
      ins.state("container/" + std::to_string(i % 8), i % 2 ? "RUNNING" : "RECOVERING");
      ins.notify(ix::severity::info, "segment sealed", {{"i", i}, {"disk", "sdb"}});
      if (i % 5000 == 0) {
        ixt::sim_now += period;  // periods too: the state table is written
        ins.tick();
      }
    }
  };
  flood(10'000);  // warm: the table's keys, the file opened
  const auto heap0 = heap_in_use();
  flood(100'000);
  {
    const std::string huge(100'000, 'x');  // a line larger than the buffer goes to the file alone
    ins.notify(ix::severity::warning, "huge", {{"blob", huge}});
  }
  flood(10'000);
  const auto heap1 = heap_in_use();
  INFO("heap in use before " << heap0 << ", after " << heap1);
  CHECK(heap1 <= heap0 + 4096);
  CHECK(ins.engine().sink().buffer_capacity() == cap);
  CHECK(ins.stats().dropped() == 0);
  ins.flush();
  CHECK(notification_names(dir.path()).size() == 120'001);
}

TEST_CASE(
    "an unwritable store: a full buffer drops, counts, and records an introspect.dropped "
    "meta line once it is writable",
    "[engine][tiny][drops]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  const auto blocker = dir / "blocker";
  std::ofstream(blocker) << "x\n";
  const auto store = blocker / "store";
  auto c = cfg(store);
  c.buffer_bytes = 4096;
  c.on_error = ix::ignore_errors;
  tiny ins(c);
  constexpr int total = 200;
  for (int i = 0; i < total; ++i) ins.notify(ix::severity::info, "n", {{"i", i}});
  auto s = ins.stats();
  CHECK(s.dropped_buffer_full > 0);
  CHECK(s.records > 0);
  CHECK(s.records + s.dropped_buffer_full == total);
  CHECK(s.write_errors == 1);  // one attempt, then no write-through until the next period
  fs::remove(blocker);
  ins.flush();
  const auto names = notification_names(store);
  CHECK(names.size() == s.records);
  std::int64_t recorded_drop = -1;
  for (const auto& l : ixt::lines_in(store)) {
    ixt::json j(l);
    if (j.str("name") == "introspect.dropped") {
      CHECK(j.str("kind") == "meta");
      CHECK(j.str("source") == "introspect");
      recorded_drop = int64_t(j["fields"]["buffer_full"]);
    }
  }
  CHECK(recorded_drop == static_cast<std::int64_t>(s.dropped_buffer_full));
  // After the flush the buffer has room again, and a flood writes through.
  for (int i = 0; i < total; ++i) ins.notify(ix::severity::info, "after");
  CHECK(ins.stats().dropped_buffer_full == s.dropped_buffer_full);
  CHECK(ins.stats().records == s.records + total);
}

TEST_CASE("the tiny tier starts no thread: not when built, recording, ticking or flushing",
          "[engine][tiny][threads]") {
  static_assert(tiny::threads == 0);
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  const auto before = ixt::thread_count();
  {
    tiny ins(cfg(dir.path()));
    CHECK(ixt::thread_count() == before);
    for (int i = 0; i < 1000; ++i) {
      ixt::sim_now += sec;  // crosses the period every 60 records
      ins.state("k", i);
      ins.notify(ix::severity::info, "n");
      if (i % 100 == 0) ins.tick();
    }
    CHECK(ins.stats().flushes >= 15);
    CHECK(ixt::thread_count() == before);
    ins.flush();
    CHECK(ixt::thread_count() == before);
  }
  CHECK(ixt::thread_count() == before);
  CHECK(count_lines(ixt::lines_in(dir.path())).notifications == 1000);
}

// Keep this case last in the file: it starts threads, and a process never counts as
// single-threaded again (every case before it runs with one thread, the engine's lock skipped).
TEST_CASE(
    "records made with one thread (lock skipped), then from four threads (locked), all "
    "arrive whole and in each thread's order",
    "[engine][tiny][threads]") {
  ixt::temp_dir dir;
  ixt::sim_now = ixt::t2026;
  constexpr int threads = 4, per_thread = 5'000;
  REQUIRE(ix::detail::one_thread());  // no case before this one started a thread
  {
    tiny ins(cfg(dir.path()));
    for (int i = 0; i < per_thread; ++i)
      ins.notify(ix::severity::info, "alone", {{"t", -1}, {"i", i}});
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&ins, t] {
        for (int i = 0; i < per_thread; ++i)
          ins.notify(ix::severity::info, "together", {{"t", t}, {"i", i}});
      });
    CHECK_FALSE(ix::detail::one_thread());
    for (auto& th : ts) th.join();
    const auto s = ins.stats();
    CHECK(s.records == std::uint64_t{threads + 1} * per_thread);
    CHECK(s.dropped() == 0);
  }
  std::map<std::int64_t, std::int64_t> next;  // thread (-1: before any) -> next expected i
  std::size_t notifications = 0;
  for (const auto& l : ixt::lines_in(dir.path())) {
    ixt::json j(l);  // throws on a torn or interleaved line
    if (j.str("kind") != "notification") continue;
    ++notifications;
    const auto t = int64_t(j["fields"]["t"]), i = int64_t(j["fields"]["i"]);
    CHECK(j.str("name") == (t < 0 ? "alone" : "together"));
    if (i != next[t])
      FAIL("thread " << t << ": record " << i << " where " << next[t] << " was due");
    next[t] = i + 1;
  }
  CHECK(notifications == std::size_t{threads + 1} * per_thread);
  for (int t = -1; t < threads; ++t) CHECK(next[t] == per_thread);
}
