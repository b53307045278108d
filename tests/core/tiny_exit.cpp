// Nothing recorded is lost at a normal exit (return from main, exit()); a crash (_exit, abort,
// kill -9) loses at most one period and never leaves a partial line. The product is a separate
// process (core_tiny_child) so that its static instance lives and dies like a product's.
#include <chrono>
#include <csignal>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>

#include "support.hpp"

namespace fs = std::filesystem;

namespace {

constexpr long per_period = 1000;  // the child's records are 1 ms apart with a 1 s period

// Starts the child; returns its pid.
pid_t spawn(const fs::path& store, long n, const char* mode) {
  const std::string exe = std::string(INTROSPECT_TEST_BIN_DIR) + "/core_tiny_child";
  const std::string count = std::to_string(n);
  const pid_t pid = ::fork();
  if (pid == 0) {
    rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // abort() must not leave a core file behind
    ::execl(exe.c_str(), exe.c_str(), store.c_str(), count.c_str(), mode, nullptr);
    ::_exit(127);
  }
  return pid;
}

int wait_status(pid_t pid) {
  int st = 0;
  ::waitpid(pid, &st, 0);
  return st;
}

struct outcome {
  std::vector<std::int64_t> indices;  // the "i" of every notification, in file order
  bool whole_lines = true;
  bool contiguous = true;
  bool state_seen = false;
  bool torn_only_at_end = true;  // a torn line, if any, is the very last one of the newest file
};

outcome read_store(const fs::path& store) {
  outcome o;
  const auto files = ixt::files_in(store);
  for (const auto& f : files) {
    const bool whole = ixt::ends_with_newline(f);
    o.whole_lines = o.whole_lines && whole;
    auto lines = ixt::read_lines(f);
    if (!whole && !lines.empty()) {
      // kill -9 can cut a write(2) short: the torn line is what a reader reports and skips.
      lines.pop_back();
      if (f != files.back()) o.torn_only_at_end = false;
    }
    for (const auto& l : lines) {
      ixt::json j(l);
      if (j.str("kind") == "state" && j.str("name") == "phase") o.state_seen = true;
      if (j.str("kind") != "notification") continue;
      const auto i = int64_t(j["fields"]["i"]);
      if (!o.indices.empty() && i != o.indices.back() + 1) o.contiguous = false;
      o.indices.push_back(i);
    }
  }
  return o;
}

}  // namespace

TEST_CASE("returning from main writes every record", "[engine][tiny][exit]") {
  ixt::temp_dir dir;
  const long n = 5500;
  const int st = wait_status(spawn(dir.path(), n, "return"));
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  const auto o = read_store(dir.path());
  CHECK(o.whole_lines);
  CHECK(o.contiguous);
  CHECK(o.state_seen);
  REQUIRE(o.indices.size() == std::size_t(n));
  CHECK(o.indices.front() == 0);
  CHECK(o.indices.back() == n - 1);
}

TEST_CASE("exit() writes every record", "[engine][tiny][exit]") {
  ixt::temp_dir dir;
  const long n = 2345;
  const int st = wait_status(spawn(dir.path(), n, "exit"));
  REQUIRE(WIFEXITED(st));
  REQUIRE(WEXITSTATUS(st) == 0);
  const auto o = read_store(dir.path());
  CHECK(o.whole_lines);
  CHECK(o.contiguous);
  REQUIRE(o.indices.size() == std::size_t(n));
  CHECK(o.indices.back() == n - 1);
}

TEST_CASE("a crash loses at most one period and leaves whole lines", "[engine][tiny][crash]") {
  const char* mode = GENERATE("_exit", "abort", "kill");
  INFO(mode);
  ixt::temp_dir dir;
  const long n = 5500;
  const int st = wait_status(spawn(dir.path(), n, mode));
  if (std::string_view(mode) == "_exit")
    CHECK(WIFEXITED(st));
  else
    CHECK((WIFSIGNALED(st) &&
           WTERMSIG(st) == (std::string_view(mode) == "abort" ? SIGABRT : SIGKILL)));
  const auto o = read_store(dir.path());
  CHECK(o.whole_lines);
  CHECK(o.contiguous);
  CHECK(o.state_seen);
  REQUIRE(!o.indices.empty());
  CHECK(o.indices.front() == 0);
  const long written = static_cast<long>(o.indices.size());
  CHECK(written <= n);
  CHECK(n - written < per_period);
}

TEST_CASE("kill -9 at an arbitrary instant leaves whole, contiguous lines",
          "[engine][tiny][crash]") {
  ixt::temp_dir dir;
  const pid_t pid = spawn(dir.path(), 0, "forever");
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ::kill(pid, SIGKILL);
  const int st = wait_status(pid);
  CHECK(WIFSIGNALED(st));
  const auto o = read_store(dir.path());
  CHECK(o.torn_only_at_end);
  CHECK(o.contiguous);
  CHECK(o.indices.size() >= std::size_t(per_period));
}
