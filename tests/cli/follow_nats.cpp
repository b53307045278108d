// `introspect tail --follow nats://HOST:PORT` prints what the uber tier's forwarders publish to
// JetStream as it arrives: records already there first, then new ones of known streams and of
// streams created meanwhile, filtered like a local tail. A real nats-server -js runs on a random
// loopback port; the CLI runs as a child process that the test always stops.
#include <catch2/catch.hpp>

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <introspect/engine/jetstream.hpp>
#include <introspect/introspect.hpp>

#include "../jetstream/server.hpp"
#include "harness.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

std::atomic<std::int64_t> fake_now{1'767'225'600'000'000'000LL};  // 2026-01-01T00:00:00Z
std::int64_t fake_clock() noexcept { return fake_now.fetch_add(1'000'000); }

// One instance of the uber tier, forwarding its store to the server.
class instance {
 public:
  instance(const fs::path& store, const std::string& name, const std::string& url)
      : ins_([&] {
          ix::uber_introspection::config c{
              .store = store, .instance = name, .clock = &fake_clock, .on_error = ix::ignore_errors};
          c.jetstream.url = url;
          return c;
        }()) {}
  // `n` notifications named "<tag>-<i>" and as many states, flushed to the local store (the
  // forwarder publishes them from there).
  void write(const std::string& tag, int n) {
    for (int i = 0; i < n; ++i) {
      ins_.state("container/" + std::to_string(i % 4), "RUNNING");
      ins_.notify(ix::severity::warning, tag + "-" + std::to_string(i), {{"i", i}});
    }
    ins_.flush();
  }
  // Waits until JetStream acknowledged everything written. The forwarder finds new store
  // streams on a 500 ms scan, and wait_idle() waits for the streams it knows: one scan first.
  void wait_acked() {
    std::this_thread::sleep_for(700ms);
    REQUIRE(ins_.engine().attachment().forwarder().wait_idle(std::chrono::seconds(20)));
  }

 private:
  ix::uber_introspection ins_;
};

// The CLI as a child process writing to a file; SIGTERM then SIGKILL however the test ends.
class child {
 public:
  child(const std::vector<std::string>& args, const fs::path& out, const fs::path& err) {
    const pid_t parent = ::getpid();
    // Built before fork(): a child of this threaded process must not allocate (harness.hpp).
    std::vector<char*> argv{const_cast<char*>(cli_test::bin.c_str())};
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlives a crashed test
      if (::getppid() != parent) ::_exit(127);
      const int fo = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      const int fe = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      ::dup2(fo, 1);
      ::dup2(fe, 2);
      ::execv(cli_test::bin.c_str(), argv.data());
      ::_exit(127);
    }
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  ~child() {
    if (pid_ > 0) stop(0ms);
  }
  // SIGTERM (the CLI stops following and exits 0), SIGKILL after `grace`; the exit status.
  int stop(std::chrono::milliseconds grace = 3000ms) {
    if (pid_ <= 0) return code_;
    ::kill(pid_, grace.count() > 0 ? SIGTERM : SIGKILL);
    const auto until = steady::now() + grace;
    int st = 0;
    for (;;) {
      if (::waitpid(pid_, &st, WNOHANG) == pid_) break;
      if (steady::now() >= until) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
    pid_ = -1;
    code_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return code_;
  }
  bool running() { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }

 private:
  pid_t pid_ = -1;
  int code_ = -1;
};

// Waits until `file` contains `what`; the time it took, or nullopt after `limit`.
std::optional<std::chrono::milliseconds> wait_for_text(const fs::path& file,
                                                       const std::string& what,
                                                       std::chrono::milliseconds limit) {
  const auto t0 = steady::now();
  while (steady::now() - t0 < limit) {
    if (cli_test::slurp(file).find(what) != std::string::npos)
      return std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - t0);
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

std::size_t count_of(const std::string& s, const std::string& what) {
  std::size_t n = 0;
  for (auto p = s.find(what); p != std::string::npos; p = s.find(what, p + what.size())) ++n;
  return n;
}

}  // namespace

TEST_CASE("tail --follow nats:// prints new records of every instance as they arrive",
          "[cli][jetstream][follow]") {
  js_test::temp_dir tmp("cli-follow");
  js_test::nats_server srv(js_test::nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto url = srv.url();
  instance node1(tmp.path() / "store1", "node-1", url);
  node1.write("before", 30);
  node1.wait_acked();

  const auto out = tmp.path() / "tail.out", err = tmp.path() / "tail.err";
  child tail({"tail", url, "--follow", "--kind", "notification", "--scope", "node-*", "--lines",
              "5", "--format", "jsonl", "--timeout", "120s"},
             out, err);
  // What was there: the latest 5 matching records.
  REQUIRE(wait_for_text(out, "\"before-29\"", 10s));
  std::this_thread::sleep_for(300ms);
  {
    const auto text = cli_test::slurp(out);
    INFO(text);
    CHECK(cli_test::lines_of(text).size() == 5);
    CHECK(text.find("\"before-25\"") != std::string::npos);
    CHECK(text.find("\"before-24\"") == std::string::npos);
  }

  // New records of a stream it follows: from the product's flush to the screen, the forwarder
  // (it follows the store file live) and one or two polls of tail (200 ms).
  node1.write("again", 20);
  const auto known = wait_for_text(out, "\"again-19\"", 10s);
  REQUIRE(known);
  node1.wait_acked();
  // An instance whose streams did not exist when tail started: the forwarder's scan (500 ms)
  // creates them, tail's next listing (500 ms) follows them from their first record.
  instance node2(tmp.path() / "store2", "node-2", url);
  node2.write("new", 20);
  const auto fresh = wait_for_text(out, "\"new-19\"", 10s);
  REQUIRE(fresh);
  node2.wait_acked();
  // Filtered out: another scope, and other kinds.
  instance other(tmp.path() / "store3", "other", url);
  other.write("hidden", 5);
  other.wait_acked();
  node2.write("last", 3);
  REQUIRE(wait_for_text(out, "\"last-2\"", 10s));
  WARN("tail --follow, from the product's flush to the output: known stream "
       << known->count() << " ms, new instance " << fresh->count() << " ms");
  CHECK(known->count() < 1000);
  CHECK(fresh->count() < 2000);

  CHECK(tail.running());
  CHECK(tail.stop() == 0);  // SIGTERM: stops following, exits 0
  const auto text = cli_test::slurp(out);
  INFO(text << "\nstderr: " << cli_test::slurp(err));
  for (int i = 0; i < 20; ++i) {
    CHECK(count_of(text, "\"again-" + std::to_string(i) + "\"") == 1);
    CHECK(count_of(text, "\"new-" + std::to_string(i) + "\"") == 1);
  }
  CHECK(count_of(text, "\"instance\":\"node-2\"") == 23);
  CHECK(text.find("hidden") == std::string::npos);
  CHECK(text.find("\"kind\":\"state\"") == std::string::npos);
  CHECK(text.find("container/") == std::string::npos);
  CHECK(cli_test::slurp(err).empty());
}

TEST_CASE("tail --follow nats:// with no server is a usage error", "[cli][jetstream][follow]") {
  auto r = cli_test::run({"tail", "nats://127.0.0.1:" + std::to_string(js_test::free_port()),
                          "--follow", "--timeout", "2s"});
  CHECK(r.code == 2);
  CHECK_THAT(r.err, Catch::Contains("cannot read JetStream"));
}
