// kill -9 harness: a forked writer is killed at random instants; the parent reopens the store
// with no manual step and checks every promise of docs/format.md §Crash safety.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <sys/wait.h>
#include <csignal>
#include <set>

#include "util.hpp"

namespace st = introspect::store;

namespace {

std::string crash_payload(std::uint64_t iter, std::uint64_t seq) {
  std::string s = std::to_string(iter) + ":" + std::to_string(seq) + ":";
  std::size_t len = 40 + (seq * 37 + iter) % 200;
  while (s.size() < len) s += static_cast<char>('A' + (seq + s.size()) % 26);
  return s;
}

// A record is whole when its payload is exactly what its (iter, seq) prefix says it must be.
bool payload_is_whole(std::string_view p, std::int64_t ts, std::uint8_t kind) {
  auto a = p.find(':');
  if (a == std::string_view::npos) return false;
  auto b = p.find(':', a + 1);
  if (b == std::string_view::npos) return false;
  std::uint64_t iter = std::stoull(std::string(p.substr(0, a)));
  std::uint64_t seq = std::stoull(std::string(p.substr(a + 1, b - a - 1)));
  return p == crash_payload(iter, seq) && ts == static_cast<std::int64_t>(seq) && kind == seq % 251;
}

[[noreturn]] void child_writer(const std::filesystem::path& root, std::uint64_t iter,
                               st::durability dur, int ack_fd) {
  try {
    st::writer_options wo;
    wo.durability = dur;
    bool per_record = dur.level == st::durability_level::per_record;
    // Big buffers make write(2) slow enough for kills to land inside it (torn tails); small
    // segments make kills land inside rolls.
    wo.buffer_bytes = per_record ? 4096 : 512 << 10;
    st::writer w(root, "node", wo);
    st::stream_options so;
    so.segment_bytes = per_record ? 16 << 10 : 2 << 20;
    auto s = w.stream("all", so);
    const std::uint64_t ready = ~std::uint64_t{0};
    if (::write(ack_fd, &ready, sizeof ready) != sizeof ready) ::_exit(3);
    for (std::uint64_t seq = 0; seq < (per_record ? 4000u : 60000u); ++seq) {
      auto off = w.append(s, static_cast<std::int64_t>(seq), static_cast<std::uint8_t>(seq % 251),
                          crash_payload(iter, seq));
      if (off && dur.level == st::durability_level::per_record) {
        if (::write(ack_fd, &*off, sizeof *off) != sizeof *off) ::_exit(3);
      }
      if (!per_record && seq % 1500 == 0) w.flush();
    }
    w.flush();
    for (;;) ::pause();
  } catch (...) {
    ::_exit(2);
  }
}

}  // namespace

TEST_CASE("kill -9 at random instants never loses an acknowledged or leaves a torn record",
          "[store][crash]") {
  int iterations = 200;
  if (const char* e = std::getenv("INTROSPECT_STORE_CRASH_ITERATIONS")) iterations = std::atoi(e);
  store_test::temp_dir d("crash");
  std::mt19937_64 rng(std::random_device{}());
  std::uint64_t torn_cut = 0, acked_total = 0, records_seen = 0;
  for (int iter = 0; iter < iterations; ++iter) {
    if (iter % 10 == 0) std::filesystem::remove_all(d / "node");
    auto dur = (iter % 2 == 0) ? st::durability::per_record() : st::durability::none();
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      ::close(fds[0]);
      child_writer(d.path(), static_cast<std::uint64_t>(iter), dur, fds[1]);
    }
    ::close(fds[1]);
    st::offset_t off = 0;
    REQUIRE(::read(fds[0], &off, sizeof off) == sizeof off);  // the child's writer is open
    // fdatasync costs milliseconds here: give per_record children a longer life.
    ::usleep(static_cast<useconds_t>(rng() % (iter % 2 == 0 ? 40000 : 15000)));
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    INFO("iteration " << iter << " status " << status);
    REQUIRE(WIFSIGNALED(status));  // the child died by our kill, not by an error
    std::set<st::offset_t> acked;
    while (::read(fds[0], &off, sizeof off) == sizeof off) acked.insert(off);
    ::close(fds[0]);
    acked_total += acked.size();

    {  // reopen: no manual step, tail cut and reported
      st::writer w(d.path(), "node");
      auto s = w.stream("all");
      for (auto& ev : w.recovered()) {
        CHECK(ev.discarded_bytes > 0);
        CHECK(ev.path.string().find("segment-") != std::string::npos);
        ++torn_cut;
      }
      CHECK(w.damages().empty());
      (void)s;
    }
    auto v = st::verify(d.path());
    INFO(v.damages.size() << " damages, first: " << (v.damages.empty() ? "" : v.damages[0].reason));
    REQUIRE(v.clean());
    CHECK(v.torn_tails.empty());
    st::reader r(d.path());
    auto c = r.open("node", "all");
    st::frame_view rv;
    std::set<st::offset_t> seen;
    while (c.next(rv)) {
      REQUIRE(payload_is_whole(rv.text(), rv.ts_ns, rv.kind));
      seen.insert(rv.offset);
    }
    CHECK(c.stats().skipped_ranges == 0);
    records_seen += seen.size();
    for (auto a : acked) {
      INFO("acknowledged offset " << a);
      REQUIRE(seen.count(a) == 1);
    }
  }
  WARN("crash harness: " << iterations << " kills, " << acked_total << " acknowledged records, "
                         << records_seen << " records checked, " << torn_cut << " torn tails cut");
  CHECK(records_seen > 0);
}
