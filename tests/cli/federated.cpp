// The federated query: `introspect query nats://HOST:PORT` reads every instance's streams from
// JetStream (fed by the uber tier's forwarders) and answers exactly as the union of the
// instances' local stores does. A real nats-server -js runs on a random loopback port.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <introspect/engine/jetstream.hpp>
#include <introspect/introspect.hpp>

#include "../jetstream/server.hpp"
#include "harness.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;
using cli_test::lines_of;
using cli_test::run;

namespace {

std::atomic<std::int64_t> fake_now{1'767'225'600'000'000'000LL};  // 2026-01-01T00:00:00Z
std::int64_t fake_clock() noexcept { return fake_now.fetch_add(1'000'000); }

// One instance of the uber tier writing its own store, forwarded to the server.
void write_instance(const fs::path& store, const std::string& instance, const std::string& url,
                    int n) {
  ix::uber_introspection ins{ix::config{.store = store,
                                        .instance = instance,
                                        .nats_url = url,
                                        .clock = &fake_clock,
                                        .report_errors = false}};
  for (int i = 0; i < n; ++i) {
    ins.state("container/" + std::to_string(i % 4), i % 3 ? "RUNNING" : "RECOVERING");
    ins.notify(i % 7 ? ix::severity::warning : ix::severity::error, "disk nearly full",
               {{"disk", i % 2 ? "sdb" : "sda"}, {"i", i}});
    ins.gauge("cache.bytes", 1000 + i);
  }
  ins.flush();
  // The forwarder discovers new store streams on a 500 ms scan (scan_interval) and wait_idle()
  // only waits for the streams it already knows: let one scan pass first.
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  REQUIRE(ins.engine().attachment().forwarder().wait_idle(std::chrono::seconds(20)));
}

}  // namespace

TEST_CASE("query nats:// equals the query of the instances' local stores", "[cli][federated]") {
  js_test::temp_dir tmp("cli-fed");
  js_test::nats_server srv(js_test::nats_server::in(tmp.path() / "nats"));
  srv.start();
  std::vector<std::string> stores;
  for (int i = 1; i <= 3; ++i) {
    const auto store = tmp.path() / ("store" + std::to_string(i));
    write_instance(store, "node-" + std::to_string(i), srv.url(), 300 * i);
    stores.push_back(store.string());
  }
  const auto url = srv.url();
  auto local_args = [&](std::vector<std::string> args) {
    std::vector<std::string> a{args.front()};
    a.insert(a.end(), stores.begin(), stores.end());
    a.insert(a.end(), args.begin() + 1, args.end());
    return a;
  };
  auto remote_args = [&](std::vector<std::string> args) {
    args.insert(args.begin() + 1, url);
    return args;
  };
  // The records the product made (state, notifications, its metrics), every instance merged.
  for (const auto& q : std::vector<std::vector<std::string>>{
           {"query", "--kind", "state,notification", "--format", "jsonl"},
           {"query", "--kind", "metric", "--name", "cache.*", "--format", "jsonl"},
           {"query", "--kind", "notification", "--agg", "count", "--by", "instance", "--format",
            "csv"},
           {"query", "--kind", "metric", "--name", "cache.*", "--agg", "avg", "--every", "1s",
            "--format", "csv"},
           {"query", "--kind", "notification", "--where",
            "severity >= error and fields.disk == 'sdb'", "--format", "jsonl"}}) {
    auto l = run(local_args(q));
    auto r = run(remote_args(q));
    INFO(q[1] << " " << q[2] << " " << r.err);
    CHECK(l.code == 0);
    CHECK(r.code == 0);
    CHECK(lines_of(l.out).size() > 2);
    CHECK(l.out == r.out);
  }
  auto count =
      run(remote_args({"query", "--kind", "notification", "--agg", "count", "--format", "csv"}));
  CHECK(lines_of(count.out).at(1) == "1800\r");  // csv rows end in CRLF

  // --scope selects instances.
  auto one = run(remote_args({"query", "--scope", "node-2", "--kind", "notification", "--agg",
                              "count", "--format", "csv"}));
  CHECK(lines_of(one.out).at(1) == "600\r");
  auto none = run(remote_args({"query", "--scope", "other-*"}));
  CHECK(none.code == 2);
  CHECK_THAT(none.err, Catch::Contains("--scope \"other-*\""));

  // streams lists each instance's streams; sql runs over the same records.
  auto st = run(remote_args({"streams", "--format", "jsonl"}));
  CHECK(st.code == 0);
  CHECK_THAT(st.out, Catch::Contains("\"scope\":\"node-3\""));
  CHECK_THAT(st.out, Catch::Contains("\"stream\":\"notification\""));
  const std::string sql =
      "SELECT instance, count(*) AS n FROM notification GROUP BY instance "
      "ORDER BY instance";
  auto sl = run(local_args({"sql", sql, "--format", "csv"}));
  auto sr = run(remote_args({"sql", sql, "--format", "csv"}));
  CHECK(sr.code == 0);
  CHECK(sl.out == sr.out);
  CHECK_THAT(sr.out, Catch::Contains("node-3,900"));

  // A server that is not there: exit 2 with the reason.
  auto refused = run({"query", "nats://127.0.0.1:" + std::to_string(js_test::free_port())});
  CHECK(refused.code == 2);
  CHECK_THAT(refused.err, Catch::Contains("cannot read JetStream"));
}
