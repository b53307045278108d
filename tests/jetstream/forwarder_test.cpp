// The forwarder against a real nats-server on a random loopback port: exactly-once delivery,
// an outage with 10 000 records written meanwhile, a restart from the persisted cursor, purges,
// and every kind of bad input giving a counted error in bounded time.
#include <catch2/catch.hpp>

#include <chrono>

#include <introspect/jetstream/jetstream.hpp>
#include <introspect/store/verify.hpp>

#include "server.hpp"
#include "util.hpp"

using namespace js_test;
namespace js = introspect::jetstream;
namespace st = introspect::store;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

js::forwarder_options quiet(const std::string& url) {
  js::forwarder_options o;
  o.url = url;
  o.report_errors = false;
  o.backoff_max = milliseconds(500);
  o.ack_timeout = milliseconds(2000);
  return o;
}

}  // namespace

TEST_CASE("every record reaches JetStream exactly once, with subject, id and headers",
          "[jetstream][threads]") {
  temp_dir tmp("js-a");
  nats_server srv(nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  st::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto notif = w.stream("notification");
  auto om = write_records(w, metric, 0, 1000);
  auto on = write_records(w, notif, 0, 200);

  js::forwarder fw(root, "node-1", quiet(srv.url()));
  fw.start();
  REQUIRE(fw.wait_idle(seconds(20)));
  // More records while it runs: it follows the live writer.
  auto more = write_records(w, metric, 1000, 500);
  om.insert(om.end(), more.begin(), more.end());
  fw.wake();
  REQUIRE(fw.wait_idle(seconds(20)));

  auto h = read_back(srv.url(), "node-1");
  std::string why;
  CHECK(exactly_once(h, "metric", om, &why));
  INFO(why);
  CHECK(exactly_once(h, "notification", on, &why));
  CHECK(h.undecodable == 0);
  CHECK(h.names["metric"].count("m0") == 1);
  CHECK(h.names["metric"].count("m1499") == 1);

  auto s = fw.stats();
  CHECK(s.connected);
  CHECK(s.published == 1700);
  CHECK(s.acked == 1700);
  CHECK(s.resent == 0);
  CHECK(s.total_errors() == 0);
  CHECK(s.lag_bytes() == 0);
  REQUIRE(s.streams.size() == 2);
  CHECK(s.streams[0].js_stream == "IX_node-1_metric");
  CHECK(s.streams[0].subject == "introspect.node-1.metric");

  // Decoded records carry instance = scope and the store's ts/kind.
  js::fetcher f({srv.url(), "", "", milliseconds(3000)});
  auto streams = f.streams("node-*");
  REQUIRE(streams.size() == 2);
  CHECK(streams[0].messages == 1500);
  bool checked = false;
  f.read(streams[0], [&](js::fetched_record& r) {
    if (r.offset != om[7]) return;
    checked = true;
    CHECK(r.rec.instance == "node-1");
    CHECK(r.rec.name == "m7");
    CHECK(r.rec.kind == introspect::record_kind::metric);
    CHECK(r.rec.ts_ns == 1'700'000'000'000'000'000 + 7000);
    CHECK(std::get<std::int64_t>(r.rec.val) == 7);
  });
  CHECK(checked);
  CHECK(f.streams("other-*").empty());

  fw.stop();
  // The cursor lives in the store's metadata: verify sees no foreign file and no damage.
  auto cur = js::load_cursors(root / "node-1", "jetstream");
  CHECK(cur["metric"].acked_offset == w.end_offset(metric));
  CHECK(cur["notification"].acked_offset == w.end_offset(notif));
  auto v = st::verify(root);
  CHECK(v.clean());
  CHECK(v.foreign.empty());
}

TEST_CASE("stop() publishes what the store holds by then and reports its final progress",
          "[jetstream][threads]") {
  // A product that stops writes its last records (the engine's final snapshot) just before the
  // forwarder stops; they must reach JetStream now, not when the instance runs again (issue 19).
  temp_dir tmp("js-stop");
  nats_server srv(nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  st::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto offs = write_records(w, metric, 0, 100);
  auto o = quiet(srv.url());
  // It never polls on its own: only stop() can make it see the records written below.
  o.poll_interval = std::chrono::hours(1);
  o.scan_interval = std::chrono::hours(1);
  o.stop_timeout = seconds(30);  // a bound, not a wait: it returns as soon as all are acked
  js::forwarder fw(root, "node-1", o);
  fw.start();
  REQUIRE(eventually([&] { return fw.stats().acked == 100; }, seconds(20)));
  auto last = write_records(w, metric, 100, 50);
  offs.insert(offs.end(), last.begin(), last.end());
  fw.stop();
  auto h = read_back(srv.url(), "node-1");
  std::string why;
  CHECK(exactly_once(h, "metric", offs, &why));
  INFO(why);
  const auto end = st::reader(root).info("node-1", "metric").end_offset;
  CHECK(fw.stats().streams.at(0).acked_offset == end);

  // The final report says so: stopped, acknowledged up to the store's end.
  js::fetcher f({srv.url(), "", "", milliseconds(3000)});
  auto p = f.progress("node-1");
  REQUIRE(p);
  CHECK(p->stopped);
  REQUIRE(p->streams.size() == 1);
  CHECK(p->streams[0].stream == "metric");
  CHECK(p->streams[0].acked_offset == end);
  CHECK(p->streams[0].store_end == end);
  const auto rs = f.streams("node-1");
  REQUIRE(rs.size() == 1);  // the progress stream is not listed as a data stream
  CHECK(f.published_end(rs[0]) == end);
  CHECK_FALSE(f.progress("node-2"));
}

TEST_CASE("server killed, 10 000 records written meanwhile, restarted: each held exactly once",
          "[jetstream][threads]") {
  temp_dir tmp("js-b");
  nats_server srv(nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  st::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto offs = write_records(w, metric, 0, 100);
  js::forwarder fw(root, "node-1", quiet(srv.url()));
  fw.start();
  REQUIRE(fw.wait_idle(seconds(20)));

  srv.kill();
  REQUIRE(eventually([&] { return !fw.stats().connected; }, seconds(10)));
  // The product keeps writing locally; nothing here touches the forwarder.
  const auto t0 = std::chrono::steady_clock::now();
  auto down = write_records(w, metric, 100, 10'000);
  const auto write_time = std::chrono::steady_clock::now() - t0;
  offs.insert(offs.end(), down.begin(), down.end());
  CHECK(down.size() == 10'000);
  CHECK(write_time < seconds(5));
  std::this_thread::sleep_for(milliseconds(300));
  CHECK(fw.stats().streams.at(0).acked_offset == offs[100]);  // nothing acked while down

  srv.start();  // same store dir, same port
  REQUIRE(fw.wait_idle(seconds(40)));
  auto h = read_back(srv.url(), "node-1");
  std::string why;
  CHECK(exactly_once(h, "metric", offs, &why));
  INFO(why);
  CHECK(h.messages == 10'100);
  auto s = fw.stats();
  CHECK(s.disconnects >= 1);
  CHECK(s.streams.at(0).lag_bytes == 0);
}

TEST_CASE("a new forwarder resumes from the persisted cursor without duplicates",
          "[jetstream][threads]") {
  temp_dir tmp("js-c");
  nats_server srv(nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  st::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto offs = write_records(w, metric, 0, 2000);
  // A one-second duplicate window, waited out below: exactness must not come from the server.
  auto o = quiet(srv.url());
  o.duplicate_window = seconds(1);
  {
    js::forwarder fw(root, "node-1", o);
    fw.start();
    REQUIRE(fw.wait_idle(seconds(20)));
    CHECK(fw.stats().published == 2000);
  }  // destroyed: a new process state follows
  auto later = write_records(w, metric, 2000, 1000);
  offs.insert(offs.end(), later.begin(), later.end());
  std::this_thread::sleep_for(milliseconds(1200));
  {
    js::forwarder fw(root, "node-1", o);
    fw.start();
    REQUIRE(fw.wait_idle(seconds(20)));
    auto s = fw.stats();
    CHECK(s.published == 1000);  // exactly the records JetStream lacked
    CHECK(s.duplicates == 0);
    CHECK(s.already_present == 0);
  }
  // Without any cursor file the forwarder finds what JetStream holds and sends nothing again.
  std::filesystem::remove(root / "node-1" / ".meta" / "jetstream");
  std::this_thread::sleep_for(milliseconds(1200));
  {
    js::forwarder fw(root, "node-1", o);
    fw.start();
    REQUIRE(fw.wait_idle(seconds(20)));
    auto s = fw.stats();
    CHECK(s.published == 0);
    CHECK(s.already_present == 3000);
  }
  auto h = read_back(srv.url(), "node-1");
  std::string why;
  CHECK(exactly_once(h, "metric", offs, &why));
  INFO(why);
}

TEST_CASE("retention maps to stream limits; truncation and purge_before map to purges",
          "[jetstream][threads]") {
  temp_dir tmp("js-p");
  nats_server srv(nats_server::in(tmp.path() / "nats"));
  srv.start();
  const auto root = tmp.path() / "store";
  st::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto state = w.stream("state");
  auto om = write_records(w, metric, 0, 100);
  auto os = write_records(w, state, 0, 100);
  auto o = quiet(srv.url());
  o.limits_for = [](std::string_view s) {
    st::stream_options so;
    so.keep_for = std::chrono::hours(1);
    so.keep_count = s == "metric" ? 5000 : 7000;
    so.keep_bytes = 1u << 20;
    return js::limits_from(so);
  };
  js::forwarder fw(root, "node-1", o);
  fw.start();
  REQUIRE(fw.wait_idle(seconds(20)));

  {  // the JetStream stream carries the mapped limits and the duplicate window
    natsConnection* nc = nullptr;
    REQUIRE(natsConnection_ConnectTo(&nc, srv.url().c_str()) == NATS_OK);
    jsCtx* jc = nullptr;
    REQUIRE(natsConnection_JetStream(&jc, nc, nullptr) == NATS_OK);
    jsStreamInfo* si = nullptr;
    REQUIRE(js_GetStreamInfo(&si, jc, "IX_node-1_metric", nullptr, nullptr) == NATS_OK);
    CHECK(si->Config->MaxMsgs == 5000);
    CHECK(si->Config->MaxBytes == (1 << 20));
    CHECK(si->Config->MaxAge == std::chrono::nanoseconds(std::chrono::hours(1)).count());
    CHECK(si->Config->Duplicates == std::chrono::nanoseconds(std::chrono::minutes(2)).count());
    jsStreamInfo_Destroy(si);
    jsCtx_Destroy(jc);
    natsConnection_Destroy(nc);
  }

  // A store truncation is picked up and becomes a purge of the same prefix.
  w.truncate_offset(metric, om[40]);
  REQUIRE(eventually(
      [&] {
        auto h = read_back(srv.url(), "node-1");
        return h.count["metric"].size() == 60;
      },
      seconds(10)));
  auto h = read_back(srv.url(), "node-1");
  CHECK(h.count["metric"].begin()->first == om[40]);
  CHECK(fw.stats().streams.at(0).purged_offset == om[40]);

  // An explicit purge_before on another stream.
  auto done = fw.purge_before("state", os[90]);
  REQUIRE(done.wait_for(seconds(10)) == std::future_status::ready);
  CHECK(done.get());
  h = read_back(srv.url(), "node-1");
  CHECK(h.count["state"].size() == 10);
  CHECK(h.count["state"].begin()->first == os[90]);
  auto bad = fw.purge_before("nope", 0);
  REQUIRE(bad.wait_for(seconds(10)) == std::future_status::ready);
  CHECK_FALSE(bad.get());
  CHECK(fw.stats().errors_of(js::error_cause::stream) == 1);
}

TEST_CASE("bad URL, refused connection, auth failure, stream limit: counted, never a hang",
          "[jetstream][threads]") {
  temp_dir tmp("js-e");
  const auto root = tmp.path() / "store";
  st::writer w(root, "node-1");
  auto metric = w.stream("metric");
  auto offs = write_records(w, metric, 0, 20);

  auto bounded_stop = [](js::forwarder& fw) {
    const auto t0 = std::chrono::steady_clock::now();
    fw.stop();
    return std::chrono::steady_clock::now() - t0 < seconds(3);
  };

  SECTION("refused connection") {
    const auto url = "nats://127.0.0.1:" + std::to_string(free_port());
    std::vector<std::string> messages;
    std::mutex mu;
    auto o = quiet(url);
    o.on_error = [&](js::error_cause, std::string_view m) {
      std::lock_guard lk(mu);
      messages.emplace_back(m);
    };
    js::forwarder fw(root, "node-1", o);
    fw.start();
    REQUIRE(eventually([&] { return fw.stats().errors_of(js::error_cause::connect) >= 2; },
                       seconds(5)));
    CHECK_FALSE(fw.stats().connected);
    CHECK(fw.stats().last_error.find("cannot connect to " + url) != std::string::npos);
    {
      std::lock_guard lk(mu);
      REQUIRE(messages.size() == 1);  // the same failure is reported once, counted each time
      CHECK(messages[0].find("connect") != std::string::npos);
    }
    // The product's side is unaffected: appends still succeed.
    CHECK(write_records(w, metric, 20, 10).size() == 10);
    CHECK(bounded_stop(fw));
    CHECK_THROWS_AS(js::fetcher({url, "", "", milliseconds(500)}), js::error);
  }
  SECTION("malformed URLs") {
    for (std::string url :
         {"nats://127.0.0.1:notaport", "http://127.0.0.1:4222", "", "nats://:1"}) {
      js::forwarder fw(root, "node-1", quiet(url));
      fw.start();
      CHECK(eventually([&] { return fw.stats().errors_of(js::error_cause::bad_url) >= 1; },
                       seconds(3)));
      CHECK(fw.stats().last_error.find("bad URL") != std::string::npos);
      CHECK(bounded_stop(fw));
    }
    try {
      js::fetcher f({"nats://127.0.0.1:0", "", "", milliseconds(500)});
      FAIL("no error");
    } catch (const js::error& e) {
      CHECK(e.cause() == js::error_cause::bad_url);
    }
  }
  SECTION("authentication failure, then the right password") {
    auto c = nats_server::in(tmp.path() / "nats-auth");
    c.user = "ix";
    c.password = "secret";
    nats_server srv(c);
    srv.start();
    {
      auto o = quiet(srv.url());
      o.password = "wrong";
      o.user = "ix";
      js::forwarder fw(root, "node-1", o);
      fw.start();
      REQUIRE(
          eventually([&] { return fw.stats().errors_of(js::error_cause::auth) >= 1; }, seconds(5)));
      CHECK(fw.stats().last_error.find("uthoriz") != std::string::npos);
      CHECK(bounded_stop(fw));
    }
    auto o = quiet(srv.url());
    o.user = "ix";
    o.password = "secret";
    js::forwarder fw(root, "node-1", o);
    fw.start();
    REQUIRE(fw.wait_idle(seconds(20)));
    CHECK(fw.stats().acked == 20);
    CHECK(fw.stats().total_errors() == 0);
  }
  SECTION("a stream limit rejects messages: counted, retried with backoff, not a hang") {
    nats_server srv(nats_server::in(tmp.path() / "nats-limit"));
    srv.start();
    auto o = quiet(srv.url());
    o.discard_new = true;
    o.limits_for = [](std::string_view) { return js::limits{std::nullopt, std::nullopt, 10}; };
    js::forwarder fw(root, "node-1", o);
    fw.start();
    REQUIRE(
        eventually([&] { return fw.stats().errors_of(js::error_cause::limit) >= 1; }, seconds(10)));
    CHECK(fw.stats().last_error.find("maximum messages") != std::string::npos);
    CHECK(
        eventually([&] { return fw.stats().streams.at(0).acked_offset == offs[10]; }, seconds(5)));
    CHECK(bounded_stop(fw));
    auto h = read_back(srv.url(), "node-1");
    std::string why;
    CHECK(exactly_once(h, "metric", {offs.begin(), offs.begin() + 10}, &why));
    INFO(why);
  }
  SECTION("the server vanishes mid-stream: stop() is still bounded") {
    nats_server srv(nats_server::in(tmp.path() / "nats-gone"));
    srv.start();
    js::forwarder fw(root, "node-1", quiet(srv.url()));
    fw.start();
    REQUIRE(fw.wait_idle(seconds(20)));
    srv.kill();
    write_records(w, metric, 100, 2000);
    fw.wake();
    std::this_thread::sleep_for(milliseconds(200));
    CHECK(bounded_stop(fw));
  }
}
