// The compactor as background work (issue 18 item 4): it runs at the lowest CPU priority, finds
// again what its queue could not take, compacts at open what an earlier run left raw, and a
// clean close seals (and compacts) an active segment that never filled; a crash anywhere in
// between leaves every record readable exactly once.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>
#include <limits>

#include <sched.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <fstream>
#include <thread>

#include "compaction_gate.hpp"
#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;

namespace {

void append_n(st::writer& w, st::stream_id s, std::uint64_t& i, std::uint64_t n) {
  for (const auto end = i + n; i < end; ++i)
    REQUIRE(w.append(s, static_cast<std::int64_t>(i), 1, store_test::counter_payload(i)));
}
void append_until_rolls(st::writer& w, st::stream_id s, std::uint64_t& i, std::uint64_t rolls) {
  while (w.stats().rolls < rolls) append_n(w, s, i, 1);
}
// Appends until the active segment holds at least `bytes` (frames, header included).
void append_bytes(st::writer& w, st::stream_id s, std::uint64_t& i, std::uint64_t bytes) {
  const auto start = w.end_offset(s);
  while (w.end_offset(s) - start + st::detail::segment_header_size < bytes) append_n(w, s, i, 1);
}
std::vector<bool> compressed(const fs::path& dir) {
  std::vector<bool> v;
  for (auto& l : store_test::logs_of(dir)) v.push_back(store_test::is_compressed_file(l));
  return v;
}
st::stream_options metric_options(std::uint64_t segment_bytes = 64u << 20) {
  st::stream_options o;
  o.segment_bytes = segment_bytes;
  o.seal = st::seal_codec::columns;
  return o;
}
// The kernel thread id of this process's thread named `name` (0: none).
pid_t thread_named(const std::string& name) {
  for (auto& e : fs::directory_iterator("/proc/self/task")) {
    std::ifstream f(e.path() / "comm");
    std::string comm;
    std::getline(f, comm);
    if (comm == name) return static_cast<pid_t>(std::stol(e.path().filename().string()));
  }
  return 0;
}
}  // namespace

TEST_CASE(
    "reopening a store compacts its sealed raw segments, oldest first, off the opening "
    "thread",
    "[store][compactor]") {
  store_test::temp_dir d;
  const auto dir = d / "node/metric";
  std::uint64_t i = 0;
  {
    st::writer w(d.path(), "node");  // an older writer's store: sealed segments left raw
    auto o = metric_options(16 << 10);
    o.seal = st::seal_codec::none;
    auto s = w.stream("metric", o);
    append_until_rolls(w, s, i, 5);
    CHECK_FALSE(w.compacting());
  }
  REQUIRE(compressed(dir) == std::vector<bool>(6, false));
  store_test::compaction_gate gate;  // records which thread creates each compressed file
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", metric_options(16 << 10));
    w.wait_compaction();
    const auto c = w.compaction();
    CHECK(c.rescanned == 5);
    CHECK(c.compacted == 5);
    CHECK(c.left_raw == 0);
    const auto paths = gate.paths();
    REQUIRE(paths.size() == 5);
    CHECK(std::is_sorted(paths.begin(), paths.end()));  // oldest first
    for (auto t : gate.tids()) CHECK(t != ::gettid());  // never the thread that opened
    CHECK(compressed(dir) == std::vector<bool>{true, true, true, true, true, false});
    append_n(w, s, i, 10);  // the stream goes on in its active segment
  }
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());
  // Everything compacted already: a reopen finds nothing to do.
  st::writer w(d.path(), "node");
  w.stream("metric", metric_options(16 << 10));
  w.wait_compaction();
  CHECK(w.compaction().rescanned == 0);
  CHECK(w.compaction().compacted == 0);
}

TEST_CASE("a clean close seals and compacts an active segment of close_seal_bytes or more",
          "[store][compactor]") {
  store_test::temp_dir d;
  const auto dir = d / "node/metric";
  std::uint64_t i = 0;
  std::uint64_t raw_bytes = 0;
  {
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", metric_options());
    append_bytes(w, s, i, st::writer_options{}.close_seal_bytes + 1);
    raw_bytes = w.end_offset(s) + st::detail::segment_header_size;
    CHECK(w.stats().rolls == 0);
  }
  auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() == 2);
  CHECK(store_test::is_compressed_file(logs[0]));
  CHECK(fs::file_size(logs[0]) * 4 < raw_bytes);
  CHECK(fs::file_size(logs[1]) == st::detail::segment_header_size);  // the new active one
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());
  {
    // Reopen after the seal: the stream goes on in the new active segment; a close below the
    // threshold leaves it active (a restart does not make a tiny segment).
    st::writer w(d.path(), "node");
    auto s = w.stream("metric", metric_options());
    CHECK(w.damages().empty());
    CHECK(w.recovered().empty());
    append_n(w, s, i, 100);
  }
  CHECK(compressed(dir) == std::vector<bool>{true, false});
  CHECK(store_test::reads_back(d.path(), "metric", i));
  CHECK(st::verify(d.path()).clean());

  SECTION("not below the threshold, not when it is 0, not without a seal codec") {
    store_test::temp_dir d2;
    for (int variant = 0; variant < 3; ++variant) {
      const auto scope = "s" + std::to_string(variant);
      st::writer_options wo;
      auto o = metric_options();
      std::uint64_t bytes = 2 * wo.close_seal_bytes;
      if (variant == 0) bytes = wo.close_seal_bytes - 200;
      if (variant == 1) wo.close_seal_bytes = 0;
      if (variant == 2) o.seal = st::seal_codec::none;
      {
        st::writer w(d2.path(), scope, wo);
        auto s = w.stream("metric", o);
        std::uint64_t k = 0;
        append_bytes(w, s, k, bytes);
      }
      INFO("variant " << variant);
      CHECK(compressed(d2 / scope / "metric") == std::vector<bool>{false});
    }
  }
}

namespace {
int crash_at_rename(st::detail::sys::op o, const char* path, int) noexcept {
  if (o == st::detail::sys::op::rename && path && std::string_view(path).ends_with(".log"))
    ::_exit(0);  // the compressed copy is written and synced; the rename never happens
  return 0;
}
}  // namespace

TEST_CASE("a crash between the seal at close and its compaction leaves every record once",
          "[store][compactor][crash]") {
  for (const bool after_tmp : {false, true}) {
    INFO((after_tmp ? "crash with the compressed copy written" : "crash before compaction"));
    store_test::temp_dir d;
    const auto dir = d / "node/metric";
    const std::uint64_t n = 4000;  // ~180 KB of frames: above close_seal_bytes
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      store_test::compaction_gate gate;
      if (after_tmp)
        st::detail::sys::hook().store(&crash_at_rename);
      else
        gate.close();
      auto* w = new st::writer(d.path(), "node");  // never destroyed: the process dies
      auto s = w->stream("metric", metric_options());
      std::uint64_t k = 0;
      for (; k < n; ++k)
        (void)w->append(s, static_cast<std::int64_t>(k), 1, store_test::counter_payload(k));
      w->close();  // seals the active segment and hands it to the compactor
      if (!after_tmp) (void)gate.wait_held();
      if (after_tmp) std::this_thread::sleep_for(std::chrono::seconds(10));
      ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    auto logs = store_test::logs_of(dir);
    REQUIRE(logs.size() == 2);  // the sealed segment, raw, and the new active one
    CHECK_FALSE(store_test::is_compressed_file(logs[0]));
    CHECK(store_test::tmp_files(dir) == (after_tmp ? 1 : 0));
    CHECK(store_test::reads_back(d.path(), "metric", n));  // a reader before any recovery
    {
      st::writer w(d.path(), "node");  // recovery, then the compactor takes the raw segment
      auto s = w.stream("metric", metric_options());
      CHECK(w.damages().empty());
      w.wait_compaction();
      CHECK(w.compaction().compacted == 1);
      REQUIRE(w.append(s, static_cast<std::int64_t>(n), 1, store_test::counter_payload(n)));
    }
    CHECK(compressed(dir) == std::vector<bool>{true, false});
    CHECK(store_test::tmp_files(dir) == 0);
    CHECK(store_test::reads_back(d.path(), "metric", n + 1));
    CHECK(st::verify(d.path()).clean());
  }
}

TEST_CASE(
    "with no budget a stop does not wait: what is queued is compacted after the next "
    "open",
    "[store][compactor]") {
  store_test::temp_dir d;
  const auto dir = d / "node/metric";
  std::uint64_t i = 0;
  {
    st::writer w(d.path(), "node");  // three sealed raw segments and the active one
    auto o = metric_options(16 << 10);
    o.seal = st::seal_codec::none;
    auto s = w.stream("metric", o);
    append_until_rolls(w, s, i, 3);
  }
  const auto logs = store_test::logs_of(dir);
  REQUIRE(logs.size() == 4);
  {
    store_test::compaction_gate gate;
    gate.close();
    st::compactor c;  // as a writer's destructor with close_compaction_budget 0 uses it
    // A hand-over that finds the thread holding its lock (it just started) is kept pending and
    // returns false; the stop below gives it up all the same.
    for (std::size_t k = 0; k < 3; ++k)
      c.submit(logs[k],
               st::detail::parse_segment_name(logs[k].filename().string(),
                                              st::detail::segment_log_suffix)
                   .value(),
               {.codec = st::seal_codec::columns});
    REQUIRE(gate.wait_held());  // segment 1 in progress, past its last cancellation point
    // The gate opens once the stop has given up the two queued segments.
    std::thread opener([&] {
      while (c.stats().left_raw < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      gate.open();
    });
    CHECK_FALSE(c.finish(std::chrono::nanoseconds(0)));
    opener.join();
    const auto cs = c.stats();
    CHECK(cs.compacted == 1);
    CHECK(cs.left_raw == 2);
  }
  CHECK(compressed(dir) == std::vector<bool>{true, false, false, false});
  CHECK(store_test::reads_back(d.path(), "metric", i));
  st::writer w(d.path(), "node");
  w.stream("metric", metric_options(16 << 10));
  w.wait_compaction();
  CHECK(w.compaction().compacted == 2);
  CHECK(compressed(dir) == std::vector<bool>{true, true, true, false});
  CHECK(store_test::reads_back(d.path(), "metric", i));
}

TEST_CASE("a cancelled compaction leaves the raw segment as it was", "[store][compactor]") {
  store_test::temp_dir d;
  std::uint64_t i = 0;
  {
    st::writer w(d.path(), "node");
    auto o = metric_options(256 << 10);
    o.seal = st::seal_codec::none;
    auto s = w.stream("metric", o);
    append_until_rolls(w, s, i, 1);
  }
  const auto log = store_test::logs_of(d / "node/metric").front();
  const auto size = fs::file_size(log);
  std::atomic<bool> cancel{true};
  const auto r = st::compact_segment(log, 0, {.codec = st::seal_codec::columns}, &cancel);
  CHECK_FALSE(r.compacted);
  CHECK(r.skipped == st::compaction_cancelled);
  CHECK(fs::file_size(log) == size);
  CHECK_FALSE(store_test::is_compressed_file(log));
  CHECK(store_test::tmp_files(d / "node/metric") == 0);
  cancel = false;
  CHECK(st::compact_segment(log, 0, {.codec = st::seal_codec::columns}, &cancel).compacted);
}

TEST_CASE("the compactor thread runs at the lowest CPU priority", "[store][compactor]") {
  store_test::temp_dir d;
  const int nice_before = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()));
  std::uint64_t i = 0;
  st::writer w(d.path(), "node");
  auto s = w.stream("metric", metric_options(16 << 10));
  append_until_rolls(w, s, i, 1);
  w.wait_compaction();
  const auto prio = w.compaction().priority;
  const pid_t tid = thread_named("ix-compactor");
  REQUIRE(tid != 0);
  INFO("compactor: " << prio);
  const int policy = ::sched_getscheduler(tid);
  errno = 0;
  const int nice = ::getpriority(PRIO_PROCESS, static_cast<id_t>(tid));
  if (prio == "SCHED_IDLE") {
    CHECK(policy == SCHED_IDLE);
  } else {
    REQUIRE(prio == "nice 19");
    CHECK(nice == 19);
  }
  // Only that thread: the writer's (this one) keeps its priority.
  CHECK(::sched_getscheduler(0) == SCHED_OTHER);
  CHECK(::getpriority(PRIO_PROCESS, static_cast<id_t>(::gettid())) == nice_before);
  // The same through the class, for a compactor of its own.
  st::compactor c;
  // Every segment but the last is sealed: the writer above appends no more.
  c.watch(d / "node/metric", {.codec = st::seal_codec::columns},
          std::numeric_limits<st::offset_t>::max());
  c.wait_idle();
  REQUIRE(c.thread_id() != 0);
  CHECK((::sched_getscheduler(c.thread_id()) == SCHED_IDLE ||
         ::getpriority(PRIO_PROCESS, static_cast<id_t>(c.thread_id())) == 19));
  // A closing writer's wait raises it back where the process may (CAP_SYS_NICE, RLIMIT_NICE).
  c.finish(std::chrono::nanoseconds(0));
  const auto p2 = c.stats().priority;
  INFO("after finish: " << p2);
  CHECK((p2.ends_with(", normal while closing") ||
         p2.ends_with(", kept while closing (not permitted)")));
}
