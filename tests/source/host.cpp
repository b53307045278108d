#include "introspect/source/host_source.hpp"

#include <catch2/catch.hpp>

#include "fixture.hpp"

namespace s = introspect::source;
using namespace std::chrono_literals;

namespace {
constexpr std::string_view meminfo =
    "MemTotal:       16384000 kB\nMemFree:         1000000 kB\nMemAvailable:    4096000 kB\n"
    "Buffers:          100000 kB\n";
constexpr std::string_view diskstats =
    "   7       0 loop0 100 0 200 10 0 0 0 0 0 10 10 0 0 0 0\n"
    "   1       0 ram0 5 0 10 0 0 0 0 0 0 0 0\n"
    "   8       0 sda 1000 10 80000 500 2000 20 160000 900 0 1200 1400 0 0 0 0 0 0\n"
    "   8       1 sda1 900 5 70000 400 1500 10 150000 800 0 1000 1200\n"
    "   this line is garbled\n"
    " 259       0 nvme0n1 7 0 56 1 3 0 24 2 0 3 3\n";

void write_good(const fixture::proc_tree& t) {
  t.write("loadavg", "0.50 1.25 2.00 1/123 4567\n");
  t.write("meminfo", meminfo);
  t.write("diskstats", diskstats);
}
}  // namespace

TEST_CASE("host source reads the real /proc and statvfs", "[source][host]") {
  s::host_source src(s::host_options{.fs_path = "/"});
  fixture::sink out;
  const auto r = src.collect(out.emit(), out.on_error());
  for (const auto& [what, cause] : out.errors) WARN(what << ": " << cause);
  CHECK(r.status == s::collect_status::ok);
  CHECK(out.values.at("host.load1") >= 0);
  CHECK(out.values.count("host.load15") == 1);
  CHECK(out.values.at("host.mem.total_bytes") > 0);
  CHECK(out.values.at("host.mem.available_bytes") <= out.values.at("host.mem.total_bytes"));
  CHECK(out.values.at("host.fs.total_bytes") > 0);
  CHECK(out.values.at("host.fs.used_bytes") <= out.values.at("host.fs.total_bytes"));
  for (const auto& [name, v] : out.values) {
    CHECK(name.rfind("host.disk.loop", 0) != 0);
    CHECK(name.rfind("host.disk.ram", 0) != 0);
  }
}

TEST_CASE("host source parses fixture files and filters devices", "[source][host]") {
  fixture::proc_tree t;
  write_good(t);
  s::host_source src(s::host_options{.proc_root = t.root(), .fs_path = t.root()});
  fixture::sink out;
  const auto r = src.collect(out.emit(), out.on_error());
  CHECK(r.status == s::collect_status::ok);
  CHECK(out.values.at("host.load1") == 0.5);
  CHECK(out.values.at("host.load5") == 1.25);
  CHECK(out.values.at("host.load15") == 2.0);
  CHECK(out.values.at("host.mem.total_bytes") == 16384000.0 * 1024);
  CHECK(out.values.at("host.mem.available_bytes") == 4096000.0 * 1024);
  CHECK(out.values.at("host.mem.used_bytes") == (16384000.0 - 4096000.0) * 1024);
  CHECK(out.values.at("host.fs.total_bytes") > 0);
  CHECK(out.values.at("host.disk.sda.reads") == 1000);
  CHECK(out.values.at("host.disk.sda.read_bytes") == 80000.0 * 512);
  CHECK(out.values.at("host.disk.sda.writes") == 2000);
  CHECK(out.values.at("host.disk.sda.write_bytes") == 160000.0 * 512);
  CHECK(out.values.at("host.disk.sda1.reads") == 900);
  CHECK(out.values.at("host.disk.nvme0n1.write_bytes") == 24.0 * 512);
  CHECK(out.values.count("host.disk.loop0.reads") == 0);
  CHECK(out.values.count("host.disk.ram0.reads") == 0);
  // The garbled line is reported, skipped, and does not fail the part.
  REQUIRE(out.errors.count("host.diskstats") == 1);
  CHECK(out.errors.at("host.diskstats").find("line 5") != std::string::npos);
  CHECK(r.failed_parts == 0);
  CHECK(src.reports_device("sdb"));
  CHECK_FALSE(src.reports_device("loop7"));
}

TEST_CASE("the device filter is configurable", "[source][host]") {
  fixture::proc_tree t;
  write_good(t);
  s::host_source src(
      s::host_options{.proc_root = t.root(), .fs_path = t.root(), .exclude_devices = {"sda"}});
  fixture::sink out;
  src.collect(out.emit(), out.on_error());
  CHECK(out.values.count("host.disk.sda.reads") == 0);
  CHECK(out.values.count("host.disk.sda1.reads") == 0);
  CHECK(out.values.at("host.disk.loop0.reads") == 100);
}

TEST_CASE("garbled and missing host files fail their parts only", "[source][host]") {
  fixture::proc_tree t;
  write_good(t);
  t.write("loadavg", "not a number\n");
  t.remove("meminfo");
  t.write("diskstats", "complete garbage\n");
  s::host_source src(s::host_options{.proc_root = t.root(), .fs_path = t.root()});
  fixture::sink out;
  s::collect_report r;
  REQUIRE_NOTHROW(r = src.collect(out.emit(), out.on_error()));
  CHECK(r.status == s::collect_status::partial);
  CHECK(r.failed_parts == 3);
  CHECK(out.errors.at("host.loadavg").find("parse error") != std::string::npos);
  CHECK(out.errors.at("host.meminfo").find("cannot open") != std::string::npos);
  CHECK(out.errors.at("host.diskstats").find("no parsable line") != std::string::npos);
  CHECK(out.values.count("host.fs.total_bytes") == 1);  // the healthy part still reports
}

TEST_CASE("a failing host part backs off while healthy parts keep reporting", "[source][host]") {
  fixture::proc_tree t;
  write_good(t);
  s::host_source src(s::host_options{.proc_root = t.root(),
                                     .fs_path = t.root() + "/does-not-exist",
                                     .initial_backoff = 2s,
                                     .max_backoff = 60s});
  fixture::sink out;
  const auto t0 = s::host_source::clock::now();
  auto r = src.collect(out.emit(), out.on_error(), t0);
  CHECK(r.status == s::collect_status::partial);
  CHECK(out.errors.at("host.fs").find("statvfs") != std::string::npos);
  CHECK(r.next_attempt == t0 + 2s);
  out.clear();
  r = src.collect(out.emit(), out.on_error(), t0 + 1s);
  CHECK(r.status == s::collect_status::ok);  // fs is skipped (backing off); the rest succeed
  CHECK(out.errors.count("host.fs") == 0);
  CHECK(out.values.count("host.load1") == 1);
  CHECK(r.next_attempt == t0 + 2s);
}
