#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

#include <sys/wait.h>
#include <atomic>
#include <thread>

#include "compaction_gate.hpp"
#include "util.hpp"

namespace st = introspect::store;
using store_test::payload_for;

namespace {
// Every record must be exactly what the writer wrote for its sequence number (its ts).
bool whole(const st::frame_view& r) {
  return r.text() == payload_for(static_cast<std::uint64_t>(r.ts_ns), 50 + r.ts_ns % 100);
}
}  // namespace

TEST_CASE("a reader thread sees only whole records while a writer thread appends",
          "[store][threads]") {
  store_test::temp_dir d;
  constexpr int total = 20000;
  {
    st::writer w(d.path(), "node");
    w.stream("all");
  }  // so that the reader finds the stream
  std::atomic<bool> done{false};
  std::thread wt([&] {
    st::writer_options wo;
    wo.buffer_bytes = 4096;  // many small write(2)s for the reader to race with
    st::writer w(d.path(), "node", wo);
    st::stream_options so;
    so.segment_bytes = 32 << 10;
    auto s = w.stream("all", so);
    for (int i = 0; i < total; ++i) {
      w.append(s, i, 1, payload_for(static_cast<std::uint64_t>(i), 50 + i % 100));
      if (i % 97 == 0) w.flush();
    }
    w.flush();
    done.store(true);
  });
  st::reader r(d.path());
  auto c = r.open("node", "all");
  st::frame_view rv;
  std::int64_t expect = 0;
  bool ok = true;
  for (;;) {
    bool finished = done.load();
    while (c.next(rv)) {
      ok = ok && whole(rv) && rv.ts_ns == expect;
      ++expect;
    }
    if (finished) break;
    std::this_thread::yield();
  }
  wt.join();
  while (c.next(rv)) ++expect;
  CHECK(ok);
  CHECK(expect == total);
  CHECK(c.stats().skipped_ranges == 0);
}

TEST_CASE("a reader in another process follows a live writer", "[store][threads]") {
  store_test::temp_dir d;
  constexpr int total = 20000;
  st::writer_options wo;
  wo.buffer_bytes = 4096;
  st::writer w(d.path(), "node", wo);
  st::stream_options so;
  so.segment_bytes = 32 << 10;
  auto s = w.stream("all", so);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    st::reader r(d.path());
    auto c = r.open("node", "all");
    st::frame_view rv;
    std::int64_t expect = 0;
    for (int spins = 0; expect < total && spins < 200000; ++spins) {
      while (c.next(rv)) {
        if (!whole(rv) || rv.ts_ns != expect) ::_exit(2);
        ++expect;
      }
      ::usleep(50);
    }
    ::_exit(expect == total && c.stats().skipped_ranges == 0 ? 0 : 3);
  }
  for (int i = 0; i < total; ++i) {
    w.append(s, i, 1, payload_for(static_cast<std::uint64_t>(i), 50 + i % 100));
    if (i % 101 == 0) w.flush();
  }
  w.flush();
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("readers read every record while the compactor renames segments under them",
          "[store][threads][compactor]") {
  store_test::temp_dir d;
  constexpr std::uint64_t total = 12000;  // ~70 seals, each compacted under the readers
  st::stream_options so;
  so.segment_bytes = 8 << 10;  // a seal (and a compaction) every ~160 records
  so.seal = st::seal_codec::columns;
  {
    st::writer w(d.path(), "node");
    w.stream("metric", so);
  }
  std::atomic<bool> done{false};
  st::compaction_stats cs;
  std::thread wt([&] {
    st::writer_options wo;
    wo.buffer_bytes = 4096;
    st::writer w(d.path(), "node", wo);
    auto s = w.stream("metric", so);
    for (std::uint64_t i = 0; i < total; ++i) {
      w.append(s, static_cast<std::int64_t>(i), 1, store_test::counter_payload(i));
      if (i % 97 == 0) w.flush();
    }
    w.flush();
    w.wait_compaction();
    cs = w.compaction();
    done.store(true);
  });
  // One cursor follows the writer; fresh readers scan from the start, each a whole prefix.
  auto valid = [](const st::frame_view& r, std::int64_t expect) {
    return r.ts_ns == expect &&
           r.text() == store_test::counter_payload(static_cast<std::uint64_t>(r.ts_ns));
  };
  st::reader follower(d.path());
  auto fc = follower.open("node", "metric");
  st::frame_view rv;
  std::int64_t followed = 0;
  bool ok = true;
  int scans = 0;
  for (;;) {
    const bool finished = done.load();
    while (fc.next(rv)) ok = ok && valid(rv, followed++);
    st::reader r(d.path());
    auto c = r.open("node", "metric");
    std::int64_t n = 0;
    while (c.next(rv)) ok = ok && valid(rv, n++);
    ok = ok && c.stats().damages.empty() && c.stats().skipped_ranges == 0;
    ++scans;
    if (finished) {
      CHECK(n == static_cast<std::int64_t>(total));
      break;
    }
  }
  wt.join();
  while (fc.next(rv)) ok = ok && valid(rv, followed++);
  CHECK(ok);
  CHECK(followed == static_cast<std::int64_t>(total));
  CHECK(fc.stats().damages.empty());
  CHECK(cs.compacted > 50);
  CHECK(cs.failed == 0);
  CHECK(scans > 1);
}
