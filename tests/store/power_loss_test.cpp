// Power-loss simulation per durability level (RocksDB's "drop unsynced data"): a child process
// writes through the store's syscall shim, which logs the size of every file at each successful
// fdatasync/fsync; the child then dies without closing anything. The parent cuts every segment
// back to its last synced size (what a power cut keeps), reopens, and checks the level's promise.
#include <catch2/catch.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "util.hpp"

namespace st = introspect::store;
namespace fs = std::filesystem;
namespace sys = introspect::store::detail::sys;

namespace {

int log_fd = -1;  // the child's pipe of "sync PATH SIZE" and "ack TS" lines

void log_line(const std::string& s) {
  std::size_t done = 0;
  (void)introspect::store::detail::write_all(log_fd, s.data(), s.size(), done);
}

// After a successful sync of a regular file, log its size: that many bytes survive power loss.
int sync_logger(sys::op o, const char*, int fd) noexcept {
  if (o != sys::op::sync || fd < 0) return 0;
  if (::fdatasync(fd) != 0) return errno;
  struct stat sb {};
  if (::fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
  char link[64], path[4096];
  std::snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  auto n = ::readlink(link, path, sizeof path - 1);
  if (n <= 0) return 0;
  path[n] = 0;
  log_line("sync " + std::string(path) + " " + std::to_string(sb.st_size) + "\n");
  return 0;
}

// The child: appends with `dur`, logs which records the level promises are durable, then dies.
[[noreturn]] void child(const fs::path& root, st::durability dur, int fd) {
  log_fd = fd;
  sys::hook().store(&sync_logger);
  auto* w = new st::writer(root, "node", st::writer_options{dur, 4096});  // never closed
  st::stream_options o;
  o.segment_bytes = 20 * 120 + 32;
  auto s = w->stream("all", o);
  std::vector<int> pending;
  for (int i = 0; i < 95; ++i) {
    auto syncs = w->stats().syncs;
    auto off = w->append(s, i, 1, store_test::payload_for(static_cast<std::uint64_t>(i)));
    if (!off) continue;
    pending.push_back(i);
    bool durable = dur.level == st::durability_level::per_record ||
                   (dur.level == st::durability_level::every_n && w->stats().syncs > syncs);
    if (dur.level == st::durability_level::on_tick && i % 7 == 6) durable = w->tick();
    if (durable) {
      for (int t : pending) log_line("ack " + std::to_string(t) + "\n");
      pending.clear();
    }
  }
  ::_exit(0);  // power cut: no destructor, no flush
}

struct child_log {
  std::map<std::string, std::uint64_t> synced;
  std::set<std::int64_t> acked;
};

child_log run_child(const fs::path& root, st::durability dur) {
  int p[2];
  REQUIRE(::pipe(p) == 0);
  pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(p[0]);
    child(root, dur, p[1]);
  }
  ::close(p[1]);
  std::string all;
  char buf[4096];
  for (ssize_t n; (n = ::read(p[0], buf, sizeof buf)) > 0;)
    all.append(buf, static_cast<std::size_t>(n));
  ::close(p[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  child_log l;
  std::istringstream in(all);
  std::string kind;
  while (in >> kind) {
    if (kind == "sync") {
      std::string path;
      std::uint64_t size;
      in >> path >> size;
      l.synced[path] = size;
    } else {
      std::int64_t t;
      in >> t;
      l.acked.insert(t);
    }
  }
  return l;
}

// What the power cut keeps of each segment: its last synced size (nothing if never synced).
void drop_unsynced(const fs::path& root, const child_log& l) {
  for (auto& e : fs::recursive_directory_iterator(root)) {
    if (!e.is_regular_file() || e.path().extension() != ".log") continue;
    auto it = l.synced.find(fs::canonical(e.path()).string());
    std::uint64_t keep = it == l.synced.end() ? 0 : it->second;
    if (fs::file_size(e.path()) > keep) fs::resize_file(e.path(), keep);
  }
}

}  // namespace

TEST_CASE("after a power cut each durability level keeps what it promises", "[store][power]") {
  struct level {
    st::durability dur;
    const char* name;
  };
  for (auto lv :
       {level{st::durability::per_record(), "per_record"},
        level{st::durability::every(5), "every_n(5)"}, level{st::durability::on_tick(), "on_tick"},
        level{st::durability::none(), "none"}}) {
    INFO(lv.name);
    store_test::temp_dir d("power");
    auto root = d / "store";
    auto l = run_child(root, lv.dur);
    if (lv.dur.level != st::durability_level::none) REQUIRE(!l.acked.empty());
    drop_unsynced(root, l);
    // Reopens without manual repair; reports what it discarded.
    {
      st::writer w(root, "node");
      w.stream("all");
    }
    std::set<std::int64_t> seen;
    auto c = st::reader(root).open("node", "all");
    st::frame_view v;
    while (c.next(v)) {
      CHECK(v.text() == store_test::payload_for(static_cast<std::uint64_t>(v.ts_ns)));
      seen.insert(v.ts_ns);
    }
    // The promise: every record the level called durable is there.
    for (auto t : l.acked) CHECK(seen.count(t) == 1);
    CHECK(c.stats().errors.empty());
  }
}
