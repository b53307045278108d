// A real Prometheus (Debian's package), started on a random loopback port with a generated
// config, scrapes the demo's /metrics (expose::prometheus_http, with a bearer token) and
// answers /api/v1/query with the values the demo's store holds for the end of its run.
#include <catch2/catch.hpp>

#include <fstream>
#include <optional>
#include <regex>
#include <string>

#include <httplib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <chrono>
#include <csignal>
#include <thread>

#include <introspect/expose/prometheus_http.hpp>
#include <introspect/metrics/registry.hpp>

#include "../cli/harness.hpp"
#include "support.hpp"

namespace {

using prom_test::contains;
const std::string demo = INTROSPECT_TEST_BIN_DIR "/demo_product";

// The value of the last record of metric `name` in the store (`field`: a field instead).
double last_in_store(const std::string& store, const std::string& name,
                     const std::string& field = "value") {
  const auto r = cli_test::run({"query", store, "-k", "metric", "-n", name, "-o", "jsonl"});
  REQUIRE(r.code == 0);
  const auto lines = cli_test::lines_of(r.out);
  REQUIRE(!lines.empty());
  std::string last;
  for (const auto& l : lines)
    if (!l.empty()) last = l;
  const std::regex re("\"" + field + "\":(-?[0-9.eE+]+)");
  std::smatch m;
  INFO(last);
  REQUIRE(std::regex_search(last, m, re));
  return std::stod(m[1]);
}

// The single value of an instant query, or nullopt while Prometheus has none.
std::optional<double> query(httplib::Client& c, const std::string& promql) {
  httplib::Params p{{"query", promql}};
  const auto res = c.Get("/api/v1/query", p, httplib::Headers{}, httplib::Progress{});
  if (!res || res->status != 200) return std::nullopt;
  static const std::regex value(R"re("value":\[[0-9.]+,"([^"]+)"\])re");
  std::smatch m;
  if (!std::regex_search(res->body, m, value)) return std::nullopt;
  return std::stod(m[1]);
}

}  // namespace

TEST_CASE("Prometheus scrapes the demo's endpoint and answers with the store's values",
          "[prometheus][demo]") {
  REQUIRE(prom_test::have("prometheus"));
  prom_test::temp_dir d("ix-scrape");
  const auto store = (d.path() / "store").string();
  const auto token_file = (d.path() / "token").string();
  std::ofstream(token_file) << "s3cret-token\n";

  prom_test::child product(
      {demo, "--tier", "large", "--store", store, "--seed", "21", "--events", "20000",
       "--metrics-listen", "127.0.0.1:0", "--metrics-token-file", token_file},
      d.path(), "demo");
  // The run is over (final values recorded and served) when the demo says it keeps serving.
  REQUIRE(prom_test::wait_for(
      [&] {
        return contains(product.err(), "serving /metrics until stopped") || !product.running();
      },
      std::chrono::seconds(60)));
  INFO(product.err());
  REQUIRE(product.running());
  std::smatch m;
  const auto err = product.err();
  REQUIRE(std::regex_search(err, m, std::regex("on port ([0-9]+)")));
  const int port = std::stoi(m[1]);

  {  // The endpoint itself: the token is required, OpenMetrics when asked.
    httplib::Client c("127.0.0.1", port);
    auto res = c.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 401);
    res = c.Get("/metrics", {{"Authorization", "Bearer wrong-token!"}});
    REQUIRE(res);
    CHECK(res->status == 401);
    res = c.Get("/metrics", {{"Authorization", "Bearer s3cret-token"},
                             {"Accept", "application/openmetrics-text; version=1.0.0"}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(contains(res->get_header_value("Content-Type"), "application/openmetrics-text"));
    CHECK(res->body.substr(res->body.size() - 6) == "# EOF\n");
    res = c.Get("/metrics", {{"Authorization", "Bearer s3cret-token"}});
    REQUIRE(res);
    CHECK(contains(res->get_header_value("Content-Type"), "text/plain; version=0.0.4"));
    CHECK(prom_test::promtool_check_metrics(res->body) == "");
  }

  const int prom_port = prom_test::free_port();
  const auto config = (d.path() / "prometheus.yml").string();
  std::ofstream(config) << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                        << "scrape_configs:\n  - job_name: demo\n"
                        << "    authorization:\n      credentials_file: " << token_file << "\n"
                        << "    static_configs:\n      - targets: ['127.0.0.1:" << port << "']\n";
  prom_test::child prometheus(
      {"prometheus", "--config.file=" + config,
       "--storage.tsdb.path=" + (d.path() / "data").string(),
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port), "--log.level=warn"},
      d.path(), "prometheus");
  httplib::Client api("127.0.0.1", prom_port);
  api.set_connection_timeout(1);
  INFO(prometheus.err());
  // The first scrape lands within a scrape interval of Prometheus being ready.
  REQUIRE(prom_test::wait_for(
      [&] { return query(api, "controller_requests_total").has_value() || !prometheus.running(); },
      std::chrono::seconds(60)));
  REQUIRE(prometheus.running());

  CHECK(*query(api, "up{job=\"demo\"}") == 1);
  CHECK(*query(api, "controller_requests_total") ==
        Approx(last_in_store(store, "controller.requests")));
  // Names that embed a label: disk.sdb.used_bytes → disk_used_bytes{disk="sdb"}.
  CHECK(*query(api, "disk_used_bytes{disk=\"sdb\"}") ==
        Approx(last_in_store(store, "disk.sdb.used_bytes")));
  CHECK(*query(api, "segmentstore_requests_total{store=\"1\"}") ==
        Approx(last_in_store(store, "segmentstore.1.requests")));
  // Histograms: _count and _sum (us → s), and a quantile from the power-of-two buckets.
  const auto name = "bookkeeper.write.latency_us";
  CHECK(*query(api, "bookkeeper_write_latency_seconds_count") ==
        Approx(last_in_store(store, name, "count")));
  CHECK(*query(api, "bookkeeper_write_latency_seconds_sum") ==
        Approx(last_in_store(store, name, "sum") / 1e6));
  const auto p99 = query(api, "histogram_quantile(0.99, bookkeeper_write_latency_seconds_bucket)");
  REQUIRE(p99);
  const auto stored_p99 = last_in_store(store, name, "p99") / 1e6;
  CHECK(*p99 >= stored_p99 / 2);
  CHECK(*p99 <= stored_p99 * 2);
}

namespace {
struct registry_engine {
  introspect::metrics::registry reg;
  introspect::metrics::registry& registry() noexcept { return reg; }
};
}  // namespace

TEST_CASE("an endpoint stopped right after it started never hangs its owner",
          "[prometheus][endpoint]") {
  // httplib's Server::stop() does nothing before its listener runs: a product that configured
  // the endpoint and exited at once waited in the listener's join for ever. In a child, so that
  // a hang is a failure here rather than a stuck test.
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    registry_engine eng;
    eng.reg.count("controller.requests");
    for (int i = 0; i < 200; ++i) {
      introspect::expose::prometheus_http_endpoint<registry_engine> ep(
          eng, {.listen = "127.0.0.1:0", .name_patterns = {}});
      if (!ep.port()) ::_exit(2);
    }
    ::_exit(0);
  }
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      FAIL("200 start/stop cycles did not finish in 60 s: a stop hung");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  REQUIRE(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}
