// The federated query: `introspect query nats://HOST:PORT` reads every instance's streams from
// JetStream (fed by the uber tier's forwarders) and answers exactly as the union of the
// instances' local stores does once the forwarders have published everything; while they have
// not, it names each instance that is behind and by how much. A real nats-server -js runs on a
// random loopback port.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <introspect/engine/jetstream.hpp>
#include <introspect/introspect.hpp>
#include <introspect/jetstream/jetstream.hpp>

#include "../jetstream/report_watch.hpp"
#include "../jetstream/server.hpp"
#include "../jetstream/util.hpp"
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
  ix::uber_introspection::config c{
      .store = store, .instance = instance, .clock = &fake_clock, .on_error = ix::ignore_errors};
  c.jetstream.url = url;
  ix::uber_introspection ins{c};
  for (int i = 0; i < n; ++i) {
    ins.state("container/" + std::to_string(i % 4), i % 3 ? "RUNNING" : "RECOVERING");
    ins.notify(i % 7 ? ix::severity::warning : ix::severity::error, "disk nearly full",
               {{"disk", i % 2 ? "sdb" : "sda"}, {"i", i}});
    ins.gauge("cache.bytes", 1000 + i);
  }
  ins.flush();
  // wait_idle() rescans the store's streams first, so streams created by this flush count.
  REQUIRE(ins.engine().attachment().forwarder().wait_idle(std::chrono::seconds(20)));
  // Destroying `ins` writes one more metric snapshot (the engine's last period) while the
  // forwarder is stopping: its stop() publishes it (bounded by stop_timeout).
}

// Waits until the forwarder's own cursor of `scope` reached the end of every stream of its
// store: the persisted cursor after a stop, or, when the stop ran out of its stop_timeout (a
// loaded machine), a forwarder's next run over the same store, as the product's next start
// would do. Returns whether the next run was needed. Never a wait on time: on the cursor.
bool wait_until_published(const fs::path& store, const std::string& scope, const std::string& url) {
  namespace js = ix::jetstream;
  const ix::store::reader rd(store);
  auto behind = [&](const js::cursor_map& cur) {
    for (const auto& si : rd.streams(scope)) {
      const auto it = cur.find(si.name);
      if (it == cur.end() || it->second.acked_offset != si.end_offset) return true;
    }
    return false;
  };
  if (!behind(js::load_cursors(store / scope, "jetstream"))) return false;
  js::forwarder_options o;
  o.url = url;
  o.report_errors = false;
  js::forwarder fw(store, scope, o);
  fw.start();
  auto acked = [&] {
    js::cursor_map m;
    for (const auto& s : fw.stats().streams) m[s.stream].acked_offset = s.acked_offset;
    return m;
  };
  REQUIRE(js_test::eventually([&] { return !behind(acked()); }, std::chrono::seconds(60)));
  fw.stop();
  return true;
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
  for (int i = 1; i <= 3; ++i) {
    const auto scope = "node-" + std::to_string(i);
    if (wait_until_published(stores[i - 1], scope, srv.url()))
      WARN(scope << ": its stop() ran out of stop_timeout; the next run published the rest");
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
    // Every instance published all it stored and said so: no warning.
    CHECK(r.err.empty());
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

TEST_CASE("a federated query names each instance that is behind, with its lag",
          "[cli][federated]") {
  namespace js = ix::jetstream;
  js_test::temp_dir tmp("cli-fed-lag");
  js_test::nats_server srv(js_test::nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  ix::store::writer w(root, "node-1");
  auto metric = w.stream("metric");
  const auto offs = js_test::write_records(w, metric, 0, 30);
  const auto end = ix::store::reader(root).info("node-1", "metric").end_offset;
  // JetStream takes 10 records and rejects the rest: the instance stays behind, and its
  // forwarder keeps reporting how far (it retries, never skips).
  js::forwarder_options o;
  o.url = srv.url();
  o.report_errors = false;
  o.discard_new = true;
  o.limits_for = [](std::string_view) { return js::limits{std::nullopt, std::nullopt, 10}; };
  o.stop_timeout = std::chrono::milliseconds(200);
  js::forwarder fw(root, "node-1", o);
  // Subscribed before the forwarder starts: no JetStream request races the creation of the
  // report stream (report_watch.hpp).
  js_test::report_watch watch(srv.url(), "node-1");
  fw.start();
  std::string last_report;
  const auto caught_up = [&](const js::scope_progress& p) {
    return p.streams.size() == 1 && p.streams[0].store_end == end &&
           p.streams[0].acked_offset == offs[10];
  };
  // Generous: under a loaded CI run a report can wait for the forwarder's 5 s heartbeat.
  const bool reported =
      watch.wait_for(caught_up, std::chrono::seconds(60), last_report).has_value();
  INFO("last progress report: " << last_report << "; nats-server: " << srv.health());
  REQUIRE(reported);

  auto r = run({"query", srv.url(), "--kind", "metric", "--format", "jsonl"});
  INFO(r.err);
  CHECK(r.code == 0);
  CHECK(lines_of(r.out).size() == 10);  // the answer holds what JetStream holds...
  // ...and stderr says what it lacks: which instance and stream, from where, how much.
  CHECK_THAT(r.err, Catch::Contains("instance node-1 stream metric is behind"));
  CHECK_THAT(r.err, Catch::Contains("up to offset " + std::to_string(offs[10]) + " of " +
                                    std::to_string(end) + " (" + std::to_string(end - offs[10]) +
                                    " bytes not yet published"));
  CHECK_THAT(r.err, Catch::Contains("forwarder running"));
  // `streams` opens the same store: the same warning.
  auto st = run({"streams", srv.url()});
  CHECK(st.code == 0);
  CHECK_THAT(st.err, Catch::Contains("instance node-1 stream metric is behind"));
  fw.stop();

  // An instance without any progress report (its report stream deleted here, as with a
  // forwarder that never reported): completeness cannot be told, and the query says so.
  {
    ix::jetstream::detail::conn_ptr c;
    ix::jetstream::detail::js_ptr j;
    js::connect_reader({srv.url(), "", "", std::chrono::milliseconds(3000)}, "test", false, c, j);
    jsErrCode code{};
    REQUIRE(js_DeleteStream(j.get(), js::progress_stream_of("node-1").c_str(), nullptr, &code) ==
            NATS_OK);
  }
  auto none = run({"query", srv.url(), "--kind", "metric", "--format", "jsonl"});
  CHECK(none.code == 0);
  CHECK(lines_of(none.out).size() == 10);
  CHECK_THAT(none.err, Catch::Contains("instance node-1 has no progress report"));
}
