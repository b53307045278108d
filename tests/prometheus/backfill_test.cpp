// `introspect export --format openmetrics` of a demo store, backfilled into a Prometheus TSDB by
// promtool (as a user would), read back with `promtool tsdb dump`: every metric sample of the
// store is there, at its millisecond, with its value — histograms as their cumulative buckets.
#include <catch2/catch.hpp>

#include <ctime>
#include <map>
#include <string>
#include <tuple>

#include <introspect/export/prom_names.hpp>
#include <introspect/metrics/bucket_text.hpp>
#include <introspect/metrics/detail/log_linear.hpp>

#include "../cli/harness.hpp"
#include "support.hpp"

namespace {

using prom_test::contains;
const std::string demo = INTROSPECT_TEST_BIN_DIR "/demo_product";

// The text after `"key":` up to the next , or } (quotes removed for strings).
std::string json_field(const std::string& line, const std::string& key) {
  const auto at = line.find("\"" + key + "\":");
  if (at == std::string::npos) return "";
  auto p = at + key.size() + 3;
  if (line[p] == '"') {
    const auto end = line.find('"', p + 1);
    return line.substr(p + 1, end - p - 1);
  }
  const auto end = line.find_first_of(",}", p);
  return line.substr(p, end - p);
}

// RFC 3339 UTC with nanoseconds ("2026-01-01T00:00:01.250000000Z") in milliseconds.
std::int64_t ms_of(const std::string& ts) {
  std::tm tm{};
  int frac_ms = 0;
  REQUIRE(std::sscanf(ts.c_str(), "%d-%d-%dT%d:%d:%d.%3d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &frac_ms) == 7);
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + frac_ms;
}

// (metric name, instance, ms) → value, from `promtool tsdb dump` lines:
// {__name__="x_total", instance="demo", source="product"} 42 1767225601000
// A bucket's name carries its bound: "x_bucket{le=0.000127}".
using samples = std::map<std::tuple<std::string, std::string, std::int64_t>, double>;
samples parse_dump(const std::string& dump, std::string& other_labels) {
  samples out;
  for (const auto& line : cli_test::lines_of(dump)) {
    if (line.empty() || line[0] != '{') continue;
    const auto close = line.find("} ");
    REQUIRE(close != std::string::npos);
    const std::string labels = line.substr(1, close - 1);
    std::string name, instance, le;
    std::size_t p = 0;
    while (p < labels.size()) {
      const auto eq = labels.find("=\"", p);
      const auto end = labels.find('"', eq + 2);
      const auto k = labels.substr(p, eq - p), v = labels.substr(eq + 2, end - eq - 2);
      if (k == "__name__")
        name = v;
      else if (k == "instance")
        instance = v;
      else if (k == "le")
        le = v;
      else if (k != "source")
        other_labels += k + " ";
      p = end + 1;
      while (p < labels.size() && (labels[p] == ',' || labels[p] == ' ')) ++p;
    }
    double v = 0;
    long long ts = 0;
    REQUIRE(std::sscanf(line.c_str() + close + 2, "%lf %lld", &v, &ts) == 2);
    if (!le.empty()) name.append("{le=").append(le).append("}");
    out[{name, instance, ts}] = v;
  }
  return out;
}

}  // namespace

TEST_CASE("promtool backfills the OpenMetrics export with every sample of the store",
          "[prometheus][openmetrics][cli]") {
  REQUIRE(prom_test::have("promtool"));
  prom_test::temp_dir d("ix-om-backfill");
  const auto store = (d.path() / "store").string();
  auto r = cli_test::run({"--tier", "large", "--store", store, "--seed", "11", "--events", "20000"},
                         demo);
  REQUIRE(r.code == 0);

  const auto om = (d.path() / "m.om").string();
  r = cli_test::run({"export", store, "--format", "openmetrics", "-o", om});
  INFO(r.err);
  REQUIRE(r.code == 0);
  int rc = 0;
  const auto tsdb = (d.path() / "tsdb").string();
  const auto made = prom_test::shell(
      "promtool tsdb create-blocks-from openmetrics " + om + " " + tsdb + " 2>&1", &rc);
  INFO(made);
  REQUIRE(rc == 0);
  std::string other_labels;
  // promtool 2.42's dump opens the database's WAL, which create-blocks-from does not make.
  std::filesystem::create_directories(std::filesystem::path(tsdb) / "wal");
  const auto dump = prom_test::shell("promtool tsdb dump " + tsdb + " 2>&1", &rc);
  REQUIRE(rc == 0);
  const auto got = parse_dump(dump, other_labels);
  CHECK(other_labels.empty());  // no mapping given: only instance and source

  // What the store holds, through the CLI.
  const auto jsonl = (d.path() / "m.jsonl").string();
  r = cli_test::run({"export", store, "--format", "jsonl", "-k", "metric", "-o", jsonl});
  REQUIRE(r.code == 0);
  // A source collected twice in one millisecond gives two records of a series at one
  // timestamp; a TSDB keeps one value per timestamp, the export the later record's.
  samples want;
  std::size_t counters = 0, histograms = 0, buckets = 0;
  // Histograms: every sample of a series shows the edges 2^k - 1 up to the series' largest
  // value; the count at an edge is that of every stored bucket whose upper bound is within it.
  const auto lines = cli_test::lines_of(prom_test::slurp(jsonl));
  std::map<std::pair<std::string, std::string>, unsigned> edges;  // (name, instance) → edges
  auto stored_buckets = [](const std::string& line) {
    std::vector<introspect::metrics::bucket_count_entry> e;
    REQUIRE(introspect::metrics::decode_bucket_text(json_field(line, "buckets"), e));
    return e;
  };
  auto needed_edges = [](const std::vector<introspect::metrics::bucket_count_entry>& e) {
    unsigned k = 0;
    for (const auto& b : e)
      while (k < 64 &&
             introspect::metrics::detail::bucket_upper(b.index) > (std::uint64_t{1} << k) - 1)
        ++k;
    return e.empty() ? 0u : k + 1;
  };
  for (const auto& line : lines)
    if (json_field(line, "type") == "histogram") {
      auto& n = edges[{json_field(line, "name"), json_field(line, "instance")}];
      n = std::max(n, needed_edges(stored_buckets(line)));
    }
  for (const auto& line : lines) {
    if (line.empty()) continue;
    const auto name = json_field(line, "name"), type = json_field(line, "type");
    const auto base = introspect::exporters::detail::prom_base_units(name);
    const auto ms = ms_of(json_field(line, "ts"));
    const auto instance = json_field(line, "instance");
    auto scaled = [&](const std::string& field) {
      return introspect::exporters::detail::scaled(std::stod(json_field(line, field)), base.scale);
    };
    if (type == "counter") {
      ++counters;
      want[{base.name + "_total", instance, ms}] = scaled("value");
    } else if (type == "histogram") {
      ++histograms;
      const double count = std::stod(json_field(line, "count"));
      want[{base.name + "_count", instance, ms}] = count;
      want[{base.name + "_sum", instance, ms}] = scaled("sum");
      want[{base.name + "_bucket{le=+Inf}", instance, ms}] = count;
      const auto e = stored_buckets(line);
      for (unsigned k = 0; k < edges[{name, instance}]; ++k) {
        const std::uint64_t le = (std::uint64_t{1} << k) - 1;
        double c = 0;
        for (const auto& b : e)
          if (introspect::metrics::detail::bucket_upper(b.index) <= le)
            c += static_cast<double>(b.count);
        want[{base.name + "_bucket{le=" +
                  introspect::exporters::detail::number(
                      introspect::exporters::detail::scaled(static_cast<double>(le), base.scale)) +
                  "}",
              instance, ms}] = c;
        ++buckets;
      }
    } else {
      want[{base.name, instance, ms}] = scaled("value");
    }
  }
  CHECK(counters > 100);
  CHECK(histograms > 20);
  CHECK(buckets > 10 * histograms);
  // The TSDB holds exactly the store's samples, each with its value: counters, gauges, and
  // every histogram's cumulative buckets, _sum and _count.
  CHECK(got.size() == want.size());
  std::size_t matched = 0;
  for (const auto& [key, value] : want) {
    const auto it = got.find(key);
    INFO(std::get<0>(key) << " at " << std::get<2>(key));
    REQUIRE(it != got.end());
    // promtool prints values with %g: six significant digits.
    CHECK(it->second == Approx(value).epsilon(1e-5));
    matched += it->second == Approx(value).epsilon(1e-5);
  }
  CHECK(matched == want.size());
  CHECK(got.count({"controller_requests_total", "demo", ms_of("2026-01-01T00:00:01.000000000Z")}) ==
        1);
}
