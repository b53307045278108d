#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

#include <sys/wait.h>
#include <atomic>
#include <thread>

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
