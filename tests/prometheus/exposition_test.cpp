// The Prometheus names, the registry's exposition and the OpenMetrics history, checked against
// promtool (Debian's prometheus package) as the judge of the formats.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>

#include <introspect/export/name_mapping.hpp>
#include <introspect/export/openmetrics.hpp>
#include <introspect/export/prometheus.hpp>
#include <introspect/expose/registry_exposition.hpp>
#include <introspect/metrics/bucket_text.hpp>
#include <introspect/metrics/registry.hpp>

#include "support.hpp"

namespace ix = introspect;
using prom_test::contains;

TEST_CASE("name patterns move segments to labels and keep base units", "[prometheus][names]") {
  ix::exporters::name_mapping m({"disk.{disk}.*", "segmentstore.{store}.cache.*"});
  auto n = m.map("disk.sdb.used_bytes");
  CHECK(n.family == "disk_used_bytes");
  REQUIRE(n.labels.size() == 1);
  CHECK(n.labels[0] == std::pair<std::string, std::string>{"disk", "sdb"});
  n = m.map("disk.sda.used_pct");
  CHECK(n.family == "disk_used_ratio");
  CHECK(n.scale == Approx(0.01));
  n = m.map("segmentstore.2.cache.bytes");
  CHECK(n.family == "segmentstore_cache_bytes");
  CHECK(n.labels.at(0).second == "2");
  // No pattern matches: the name is only made legal.
  n = m.map("bookkeeper.write.latency_us");
  CHECK(n.family == "bookkeeper_write_latency_seconds");
  CHECK(n.labels.empty());
  CHECK(m.map("disk.sdb").labels.empty());  // segment counts differ

  CHECK_THROWS_WITH(ix::exporters::name_mapping({"disk.{1x}.used"}),
                    Catch::Contains("disk.{1x}.used") && Catch::Contains("label name"));
  CHECK_THROWS_WITH(ix::exporters::name_mapping({"{a}.{b}"}), Catch::Contains("no segment"));
}

TEST_CASE("a registry renders as families with _total, buckets, _sum and _count",
          "[prometheus][exposition]") {
  ix::metrics::registry reg;
  reg.count("controller.requests", 41);
  reg.count("controller.requests");
  reg.set("disk.sda.used_bytes", 1000);
  reg.set("disk.sdb.used_bytes", 2500);
  reg.count("disk.sdb.errors", 3);
  for (int v : {3, 100, 900, 900, 5000}) reg.observe("journal.latency_us", v);

  ix::expose::registry_exposition e(ix::exporters::name_mapping({"disk.{disk}.*"}));
  std::string t;
  e.render(reg, ix::expose::exposition_format::prometheus_text, t);
  INFO(t);
  CHECK(contains(t, "# TYPE controller_requests_total counter\ncontroller_requests_total 42\n"));
  // Both disks in one family, one TYPE line.
  CHECK(contains(t,
                 "# TYPE disk_used_bytes gauge\ndisk_used_bytes{disk=\"sda\"} 1000\n"
                 "disk_used_bytes{disk=\"sdb\"} 2500\n"));
  CHECK(contains(t, "disk_errors_total{disk=\"sdb\"} 3\n"));
  // Cumulative counts at exact bucket edges (2^k - 1 us), scaled to seconds.
  CHECK(contains(t, "journal_latency_seconds_bucket{le=\"3e-06\"} 1\n"));
  CHECK(contains(t, "journal_latency_seconds_bucket{le=\"0.000127\"} 2\n"));
  CHECK(contains(t, "journal_latency_seconds_bucket{le=\"0.001023\"} 4\n"));
  CHECK(contains(t, "journal_latency_seconds_bucket{le=\"0.008191\"} 5\n"));
  CHECK(contains(t, "journal_latency_seconds_bucket{le=\"+Inf\"} 5\n"));
  CHECK(contains(t, "journal_latency_seconds_sum 0.006903\n"));
  CHECK(contains(t, "journal_latency_seconds_count 5\n"));
  CHECK(prom_test::promtool_check_metrics(t) == "");

  // A second scrape after new values: same families, new numbers, no duplicate TYPE lines.
  reg.count("controller.requests", 8);
  std::string t2;
  e.render(reg, ix::expose::exposition_format::prometheus_text, t2);
  CHECK(contains(t2, "controller_requests_total 50\n"));
  CHECK(t2.find("# TYPE disk_used_bytes") == t2.rfind("# TYPE disk_used_bytes"));

  std::string om;
  e.render(reg, ix::expose::exposition_format::openmetrics, om);
  CHECK(contains(om, "# TYPE controller_requests counter\ncontroller_requests_total 50\n"));
  CHECK(om.size() > 6);
  CHECK(om.substr(om.size() - 6) == "# EOF\n");
}

TEST_CASE("the OpenMetrics history keeps every sample in time order per series",
          "[prometheus][openmetrics]") {
  auto metric = [](std::string name, ix::metric_type t, std::int64_t ts_ms, ix::value v,
                   std::vector<ix::field> f = {}) {
    ix::record r;
    r.kind = ix::record_kind::metric;
    r.mtype = t;
    r.ts_ns = ts_ms * 1'000'000;
    r.instance = "node-1";
    r.source = "product";
    r.name = std::move(name);
    r.val = std::move(v);
    r.fields = std::move(f);
    return r;
  };
  ix::exporters::openmetrics_history h(ix::exporters::name_mapping({"disk.{disk}.*"}));
  h.add(metric("controller.requests", ix::metric_type::counter, 2000, std::int64_t{9}));
  h.add(metric("controller.requests", ix::metric_type::counter, 1000, std::int64_t{5}));
  h.add(metric("disk.sdb.used_pct", ix::metric_type::gauge, 1500, 71.0));
  h.add(metric("journal.latency_us", ix::metric_type::histogram, 1000, std::int64_t{10},
               {{"count", std::int64_t{10}},
                {"sum", std::int64_t{900}},
                {"p50", std::int64_t{80}},
                {"p90", std::int64_t{120}},
                {"p99", std::int64_t{200}}}));
  std::string t;
  h.write([&](std::string_view s) { t += s; });
  INFO(t);
  CHECK(h.samples() == 4);
  const std::string lbl = "{instance=\"node-1\",source=\"product\"}";
  CHECK(contains(t, "# TYPE controller_requests counter\n"));
  CHECK(contains(t, "controller_requests_total" + lbl + " 5 1.000\ncontroller_requests_total" +
                        lbl + " 9 2.000\n"));
  CHECK(contains(t,
                 "disk_used_ratio{instance=\"node-1\",source=\"product\",disk=\"sdb\"} 0.71 "
                 "1.500\n"));
  CHECK(contains(t, "journal_latency_seconds_count" + lbl + " 10 1.000\n"));
  // A record without stored bucket counts is still a histogram: its +Inf bucket only.
  CHECK(contains(t, "# TYPE journal_latency_seconds histogram\n"));
  CHECK(contains(t,
                 "journal_latency_seconds_bucket{instance=\"node-1\",source=\"product\","
                 "le=\"+Inf\"} 10 1.000\n"));
  CHECK(!contains(t, "quantile"));
  CHECK(t.substr(t.size() - 6) == "# EOF\n");
}

namespace {
// A histogram record as the store engine writes it (engine/metric_snapshot.hpp): count, sum and
// the bucket text of a real snapshot.
ix::record histogram_record(std::int64_t ts_ms, const std::vector<std::int64_t>& values) {
  ix::metrics::registry reg;
  for (auto v : values) reg.observe("journal.latency_us", v);
  ix::record r;
  reg.snapshot([&](std::string_view, const auto& sample) {
    using S = std::remove_cvref_t<decltype(sample)>;
    if constexpr (std::is_same_v<S, ix::metrics::histogram_snapshot>) {
      std::string text;
      ix::metrics::encode_bucket_text(sample, text);
      r.kind = ix::record_kind::metric;
      r.mtype = ix::metric_type::histogram;
      r.ts_ns = ts_ms * 1'000'000;
      r.instance = "node-1";
      r.source = "product";
      r.name = "journal.latency_us";
      r.val = static_cast<std::int64_t>(sample.count);
      r.fields = {{"count", static_cast<std::int64_t>(sample.count)},
                  {"sum", sample.sum},
                  {"buckets", text}};
    }
  });
  return r;
}
}  // namespace

TEST_CASE("histograms export as cumulative power-of-two buckets from the stored counts",
          "[prometheus][openmetrics]") {
  // The second snapshot is cumulative (the same process, later): 3 more observations, one of
  // them past every earlier edge, so the series' first sample gets the later edges too.
  const auto first = histogram_record(1000, {3, 100, 900, 900, 5000});
  const auto second = histogram_record(2000, {3, 100, 900, 900, 5000, 7, 7, 70'000});
  const std::string lbl = "instance=\"node-1\",source=\"product\"";
  // fmt, not "literal" + std::string (GCC 12's false -Wrestrict at -O3).
  auto bucket = [&](const char* le, int n, const char* ts) {
    return fmt::format("journal_latency_seconds_bucket{{{},le=\"{}\"}} {}{}\n", lbl, le, n, ts);
  };
  auto sample = [&](const char* suffix, const char* v, const char* ts) {
    return fmt::format("journal_latency_seconds_{}{{{}}} {}{}\n", suffix, lbl, v, ts);
  };

  ix::exporters::openmetrics_history h;
  h.add(second);
  h.add(first);
  std::string t;
  h.write([&](std::string_view s) { t += s; });
  INFO(t);
  CHECK(contains(t, "# TYPE journal_latency_seconds histogram\n"));
  // le = 2^k - 1 us in seconds; each count exact (a power of two is a bucket edge).
  CHECK(contains(t, bucket("0", 0, " 1.000") + bucket("1e-06", 0, " 1.000") +
                        bucket("3e-06", 1, " 1.000") + bucket("7e-06", 1, " 1.000")));
  CHECK(contains(t, bucket("0.000127", 2, " 1.000")));
  CHECK(contains(t, bucket("0.001023", 4, " 1.000")));
  CHECK(contains(t, bucket("0.008191", 5, " 1.000")));
  CHECK(contains(t, bucket("0.131071", 5, " 1.000") + bucket("+Inf", 5, " 1.000") +
                        sample("sum", "0.006903", " 1.000") + sample("count", "5", " 1.000")));
  CHECK(contains(t, bucket("7e-06", 3, " 2.000")));
  CHECK(contains(t, bucket("0.065535", 7, " 2.000") + bucket("0.131071", 8, " 2.000") +
                        bucket("+Inf", 8, " 2.000")));
  CHECK(contains(t, sample("count", "8", " 2.000")));
  CHECK(!contains(t, "0.262143"));  // no edge past the largest observation

  // The latest-value exposition: the same buckets, no timestamps, accepted by promtool.
  ix::exporters::prometheus_exporter e;
  e.add(first);
  e.add(second);
  const auto p = e.text();
  INFO(p);
  CHECK(contains(p, "# TYPE journal_latency_seconds histogram\n"));
  CHECK(contains(p, bucket("7e-06", 3, "")));
  CHECK(contains(p, bucket("0.131071", 8, "") + bucket("+Inf", 8, "")));
  CHECK(contains(p, sample("count", "8", "")));
  CHECK(prom_test::promtool_check_metrics(p) == "");
}
