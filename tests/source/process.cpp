#include "introspect/source/process_source.hpp"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <thread>

#include "fixture.hpp"

namespace s = introspect::source;
using namespace std::chrono_literals;

namespace {
// A /proc/self/stat line whose command name contains spaces and a ')'.
constexpr std::string_view stat_line =
    "4242 (my (odd) prog) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 150 0 0 20 0 7 0 12345 "
    "104857600 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
constexpr std::string_view status_text =
    "Name:\tprog\nVmPeak:\t  200000 kB\nVmHWM:\t   12000 kB\nVmRSS:\t   10240 kB\nThreads:\t7\n";

void write_good(const fixture::proc_tree& t) {
  t.write("self/statm", "25600 2560 300 10 0 900 0\n");
  t.write("self/stat", stat_line);
  t.write("self/status", status_text);
  for (int i = 0; i < 5; ++i) t.write("self/fd/" + std::to_string(i), "");
}
}  // namespace

TEST_CASE("process source reads the real /proc/self", "[source][process]") {
  s::process_source src;
  fixture::sink out;
  std::thread extra([] { std::this_thread::sleep_for(50ms); });
  const auto r = src.collect(out.emit(), out.on_error());
  extra.join();
  INFO(out.errors.size());
  CHECK(r.status == s::collect_status::ok);
  CHECK(out.errors.empty());
  CHECK(r.emitted == 8);
  CHECK(out.values.at("process.rss_bytes") > 1024 * 1024);
  CHECK(out.values.at("process.vsize_bytes") >= out.values.at("process.rss_bytes"));
  CHECK(out.values.at("process.rss_peak_bytes") > 0);
  CHECK(out.values.at("process.threads") >= 2);
  CHECK(out.values.at("process.open_fds") >= 3);
  CHECK(out.values.at("process.cpu_seconds") >= 0);
  CHECK(out.values.at("process.cpu_seconds") ==
        Approx(out.values.at("process.cpu_user_seconds") +
               out.values.at("process.cpu_system_seconds")));
}

TEST_CASE("process source parses fixture files", "[source][process]") {
  fixture::proc_tree t;
  write_good(t);
  s::process_source src(t.root());
  fixture::sink out;
  const auto r = src.collect(out.emit(), out.on_error());
  CHECK(r.status == s::collect_status::ok);
  CHECK(out.errors.empty());
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  const double hz = static_cast<double>(::sysconf(_SC_CLK_TCK));
  CHECK(out.values.at("process.rss_bytes") == 2560 * page);
  CHECK(out.values.at("process.vsize_bytes") == 25600 * page);
  CHECK(out.values.at("process.cpu_user_seconds") == Approx(250 / hz));
  CHECK(out.values.at("process.cpu_system_seconds") == Approx(150 / hz));
  CHECK(out.values.at("process.threads") == 7);
  CHECK(out.values.at("process.rss_peak_bytes") == 12000.0 * 1024);
  CHECK(out.values.at("process.open_fds") == 5);
}

TEST_CASE("a garbled file fails its part only", "[source][process]") {
  fixture::proc_tree t;
  write_good(t);
  t.write("self/statm", "garbage here\n");
  t.write("self/stat", "1234 (truncated");
  s::process_source src(t.root());
  fixture::sink out;
  s::collect_report r;
  REQUIRE_NOTHROW(r = src.collect(out.emit(), out.on_error()));
  CHECK(r.status == s::collect_status::partial);
  CHECK(r.failed_parts == 2);
  CHECK(out.errors.count("process.statm") == 1);
  CHECK(out.errors.at("process.statm").find("parse error") != std::string::npos);
  CHECK(out.errors.count("process.stat") == 1);
  CHECK(out.values.count("process.rss_bytes") == 0);
  CHECK(out.values.count("process.threads") == 0);
  CHECK(out.values.at("process.rss_peak_bytes") == 12000.0 * 1024);  // status still read
  CHECK(out.values.at("process.open_fds") == 5);                     // fd/ still counted
}

TEST_CASE("missing files are reported and retried with capped exponential backoff",
          "[source][process]") {
  fixture::proc_tree t;
  t.remove("self");
  s::process_source src(
      s::process_options{.proc_root = t.root(), .initial_backoff = 1s, .max_backoff = 4s});
  fixture::sink out;
  const auto t0 = s::process_source::clock::now();
  auto r = src.collect(out.emit(), out.on_error(), t0);
  CHECK(r.status == s::collect_status::failed);
  CHECK(r.failed_parts == 4);
  CHECK(r.emitted == 0);
  CHECK(out.errors.at("process.stat").find("cannot open") != std::string::npos);
  CHECK(out.errors.at("process.fd").find("cannot open") != std::string::npos);
  CHECK(r.next_attempt == t0 + 1s);

  out.clear();
  r = src.collect(out.emit(), out.on_error(), t0 + 500ms);  // inside the backoff: not attempted
  CHECK(r.status == s::collect_status::backing_off);
  CHECK(out.errors.empty());
  CHECK(r.next_attempt == t0 + 1s);

  r = src.collect(out.emit(), out.on_error(), t0 + 1s);  // retried, fails, delay doubles
  CHECK(r.status == s::collect_status::failed);
  CHECK(r.next_attempt == t0 + 3s);
  r = src.collect(out.emit(), out.on_error(), t0 + 3s);
  CHECK(r.next_attempt == t0 + 7s);
  r = src.collect(out.emit(), out.on_error(), t0 + 7s);
  CHECK(r.next_attempt == t0 + 11s);  // capped at 4 s

  // The files come back: the next due attempt succeeds and the backoff resets.
  std::filesystem::create_directories(t.root() + "/self/fd");
  write_good(t);
  out.clear();
  r = src.collect(out.emit(), out.on_error(), t0 + 11s);
  CHECK(r.status == s::collect_status::ok);
  CHECK(r.emitted == 8);
  CHECK(r.next_attempt == s::process_source::clock::time_point::max());
  r = src.collect(out.emit(), out.on_error(), t0 + 11s + 1ms);
  CHECK(r.status == s::collect_status::ok);
}

TEST_CASE("CPU seconds are counters, the rest gauges, for an emitter that takes a type",
          "[source][process]") {
  fixture::proc_tree t;
  write_good(t);
  s::process_source src(t.root());
  std::map<std::string, introspect::metric_type> types;
  const auto r = src.collect(
      [&](std::string_view n, double, introspect::metric_type mt) { types[std::string{n}] = mt; },
      [](std::string_view, std::string_view) {});
  CHECK(r.status == s::collect_status::ok);
  REQUIRE(types.size() == 8);
  for (const auto& [name, mt] : types) {
    INFO(name);
    CHECK(mt == (name.starts_with("process.cpu_") ? introspect::metric_type::counter
                                                  : introspect::metric_type::gauge));
  }
}
