#include <cstdio>
#include <filesystem>
#include <fstream>

#include <catch2/catch.hpp>
#include <introspect/export/prometheus.hpp>

namespace ix = introspect;

namespace {
ix::record metric(std::string name, ix::metric_type t, std::int64_t ts, ix::value v,
                  std::vector<ix::field> f = {}) {
  ix::record r;
  r.kind = ix::record_kind::metric;
  r.mtype = t;
  r.ts_ns = ts;
  r.instance = "node-1";
  r.source = "product";
  r.name = std::move(name);
  r.val = std::move(v);
  r.fields = std::move(f);
  return r;
}
}  // namespace

TEST_CASE("the exposition keeps the latest sample and names types", "[export][prom]") {
  ix::exporters::prometheus_exporter e;
  e.add(metric("controller.requests", ix::metric_type::counter, 1, std::int64_t{5}));
  e.add(metric("controller.requests", ix::metric_type::counter, 3, std::int64_t{9}));
  e.add(metric("controller.requests", ix::metric_type::counter, 2, std::int64_t{7}));
  e.add(metric("cache.hit-ratio", ix::metric_type::gauge, 1, 0.93));
  e.add(metric("journal.latency_us", ix::metric_type::histogram, 1, std::int64_t{10},
               {{"count", std::int64_t{10}},
                {"sum", std::int64_t{900}},
                {"p50", std::int64_t{80}},
                {"p90", std::int64_t{120}},
                {"p99", std::int64_t{200}}}));
  const auto t = e.text();
  CHECK(t.find("controller_requests_total{instance=\"node-1\",source=\"product\"} 9\n") !=
        std::string::npos);
  CHECK(t.find("# TYPE cache_hit_ratio gauge") != std::string::npos);
  // Abbreviated units become base units, values scaled: 900 us is 0.0009 s. A histogram
  // record without stored bucket counts has only its +Inf bucket.
  CHECK(t.find("journal_latency_seconds_bucket{instance=\"node-1\",source=\"product\","
               "le=\"+Inf\"} 10\n") != std::string::npos);
  const std::string sum = "journal_latency_seconds_sum{instance=\"node-1\",source=\"product\"} ";
  const auto at = t.find(sum);
  REQUIRE(at != std::string::npos);
  CHECK(std::stod(t.substr(at + sum.size())) == Approx(0.0009));
  CHECK(t.find("journal_latency_seconds_count{instance=\"node-1\",source=\"product\"} 10") !=
        std::string::npos);

  // promtool, from Debian's prometheus package, is the judge of the format.
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) {
    WARN("promtool not installed: format not checked by Prometheus");
    return;
  }
  const auto path = std::filesystem::temp_directory_path() / "ix-prom-test.prom";
  std::ofstream(path) << t;
  const auto cmd = "promtool check metrics < " + path.string() + " 2>&1";
  std::FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[4096];
  std::string out;
  while (std::fgets(buf, sizeof buf, p)) out += buf;
  const int rc = pclose(p);
  INFO(out);
  CHECK(rc == 0);
  std::filesystem::remove(path);
}
