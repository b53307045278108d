// The etcd source against a real etcd started per test case on 127.0.0.1 random ports.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <introspect/source/etcd/etcd_source.hpp>

#include "etcd_server.hpp"

namespace ix = introspect;
namespace etcd = introspect::etcd;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

// Records taken from the source, owned.
struct collected {
  std::vector<ix::record> records;
  std::vector<std::pair<std::string, std::string>> errors;
  ix::source::collect_report last;

  void take(ix::source::etcd_source& src) {
    last = src.collect(
        [&](const ix::record_view& r) {
          ix::record o;
          o.ts_ns = r.ts_ns;
          o.kind = r.kind;
          o.sev = r.sev;
          o.source = std::string(r.source);
          o.name = std::string(r.name);
          o.val = ix::to_value(r.val);
          for (const auto& f : r.fields)
            o.fields.push_back({std::string(f.key), ix::to_value(f.value)});
          records.push_back(std::move(o));
        },
        [&](std::string_view part, std::string_view cause) {
          errors.emplace_back(std::string(part), std::string(cause));
        });
  }
};

// Collects until `done()` holds or `timeout` passes; returns whether it held.
template <class Pred>
bool pump(ix::source::etcd_source& src, collected& c, Pred done,
          std::chrono::milliseconds timeout = 10s) {
  const auto end = clk::now() + timeout;
  for (;;) {
    c.take(src);
    if (done()) return true;
    if (clk::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
}

std::int64_t int_field(const ix::record& r, std::string_view k) {
  const auto* v = r.find_field(k);
  return v && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : -1;
}
std::string str_field(const ix::record& r, std::string_view k) {
  const auto* v = r.find_field(k);
  return v && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string{};
}
std::string str_value(const ix::record& r) {
  return std::holds_alternative<std::string>(r.val) ? std::get<std::string>(r.val) : "<none>";
}

bool is_marker(const ix::record& r) { return r.name == etcd::snapshot_marker; }

// The key records of snapshot `id` (op "snapshot"), by key.
std::map<std::string, const ix::record*> snapshot_keys(const collected& c, std::int64_t id) {
  std::map<std::string, const ix::record*> out;
  for (const auto& r : c.records)
    if (r.kind == ix::record_kind::snapshot && !is_marker(r) && int_field(r, "snapshot_id") == id &&
        str_field(r, "op") == "snapshot")
      out[r.name] = &r;
  return out;
}

// The marker of snapshot `id` for `prefix` with op `op`, or nullptr.
const ix::record* marker(const collected& c, std::int64_t id, std::string_view op,
                         std::string_view prefix) {
  for (const auto& r : c.records)
    if (is_marker(r) && int_field(r, "snapshot_id") == id && str_field(r, "op") == op &&
        str_field(r, "prefix") == prefix)
      return &r;
  return nullptr;
}

etcd::options fast_options(const etcd_test::server& s, std::vector<std::string> prefixes) {
  etcd::options o;
  o.endpoint = s.url();
  o.prefixes = std::move(prefixes);
  o.snapshot_interval = 0ms;  // tests ask for snapshots explicitly
  o.watch_window = 500ms;
  o.connect_timeout = 500ms;
  o.request_timeout = 2000ms;
  o.backoff_initial = 50ms;
  o.backoff_max = 200ms;
  return o;
}

// The whole state of [prefix, end) at `revision`, read straight from etcd.
std::map<std::string, std::string> read_at(const etcd_test::server& s, const std::string& prefix,
                                           std::int64_t revision) {
  etcd::response_parser p;
  etcd::range_page page;
  const auto r = s.post("/v3/kv/range",
                        etcd::range_request(prefix, etcd::prefix_range_end(prefix), 0, revision));
  REQUIRE(r.status == 200);
  REQUIRE_FALSE(p.range(r.body, page).has_value());
  std::map<std::string, std::string> out;
  for (auto& kv : page.kvs) out[kv.key] = kv.value;
  return out;
}

}  // namespace

TEST_CASE("a snapshot of a prefix holds exactly the keys written, at one revision",
          "[etcd][threads]") {
  etcd_test::server s;
  const auto lease = s.grant_lease(600);
  std::map<std::string, std::string> written;
  std::map<std::string, std::int64_t> mod;
  for (int i = 0; i < 40; ++i) {
    const auto k = "/app/key-" + std::to_string(i);
    written[k] = "value " + std::to_string(i * i);
    mod[k] = s.put(k, written[k]);
  }
  const std::string binary("\xff\x00\x01 bin\xc3", 9);
  written["/app/binary"] = binary;
  mod["/app/binary"] = s.put("/app/binary", binary);
  written["/app/leased"] = "with a lease";
  mod["/app/leased"] = s.put("/app/leased", "with a lease", lease);
  mod["/app/key-3"] = s.put("/app/key-3", written["/app/key-3"] = "rewritten");
  s.put("/other/x", "outside the prefix");
  const auto last = s.put("/app0", "just past the prefix");

  ix::source::etcd_source src(fast_options(s, {"/app/"}));
  src.start();
  collected c;
  REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/app/") != nullptr; }));
  src.stop();

  const auto st = src.status();
  CHECK(st.snapshots == 1);
  CHECK(st.snapshot_revision == last);
  CHECK(st.snapshot_keys == written.size());
  CHECK(st.errors == 0);

  const auto keys = snapshot_keys(c, 1);
  std::set<std::string> got, want;
  for (const auto& [k, r] : keys) got.insert(k);
  for (const auto& [k, v] : written) want.insert(k);
  CHECK(got == want);
  for (const auto& [k, r] : keys) {
    INFO(k);
    CHECK(r->source == "etcd");
    CHECK(str_value(*r) == written[k]);
    CHECK(int_field(*r, "revision") == last);
    CHECK(int_field(*r, "mod_revision") == mod[k]);
    CHECK(int_field(*r, "lease") == (k == "/app/leased" ? lease : 0));
    CHECK(int_field(*r, "version") == (k == "/app/key-3" ? 2 : 1));
    if (k != "/app/binary") CHECK(r->find_field("value_b64") == nullptr);
  }
  REQUIRE(keys.count("/app/binary"));
  CHECK(str_field(*keys.at("/app/binary"), "value_b64") == etcd::detail::base64_encode(binary));

  const auto* begin = marker(c, 1, "begin", "/app/");
  const auto* end = marker(c, 1, "end", "/app/");
  REQUIRE(begin != nullptr);
  REQUIRE(end != nullptr);
  CHECK(begin->kind == ix::record_kind::snapshot);
  CHECK(int_field(*begin, "revision") == last);
  CHECK(int_field(*end, "revision") == last);
  CHECK(int_field(*end, "keys") == static_cast<std::int64_t>(written.size()));
  std::int64_t bytes = 0;
  for (const auto& [k, v] : written) bytes += static_cast<std::int64_t>(k.size() + v.size());
  CHECK(int_field(*end, "bytes") == bytes);
  // begin, the keys, end: in this order.
  CHECK(begin < keys.begin()->second);
  CHECK(end > keys.rbegin()->second);
}

TEST_CASE("pagination: many pages and two prefixes read at one revision while writes go on",
          "[etcd][threads]") {
  etcd_test::server s;
  // cat(), not `"/a/" + to_string(..)`: GCC 12 -O3 reports a false -Wrestrict on the latter.
  auto cat = [](const char* a, int i) { return std::string(a).append(std::to_string(i)); };
  for (int i = 0; i < 120; ++i) s.put(cat("/a/", 1000 + i), cat("a", i));
  for (int i = 0; i < 30; ++i) s.put(cat("/b/", i), cat("b", i));

  auto o = fast_options(s, {"/a/", "/b/"});
  o.page_size = 4;  // 30 + 8 pages
  ix::source::etcd_source src(o);
  // A writer changes both prefixes during the snapshot: the snapshot must still be the state
  // at one revision.
  std::atomic<bool> writing{true};
  std::thread writer([&] {
    for (int i = 0; writing.load() && i < 400; ++i) {
      s.put(cat("/a/", 1000 + (i * 7) % 150), cat("w", i));
      s.put(cat("/b/", (i * 3) % 40), cat("w", i));
      if (i % 5 == 0) s.del(cat("/a/", 1000 + (i * 11) % 120));
    }
  });
  struct join_guard {
    std::atomic<bool>& w;
    std::thread& t;
    ~join_guard() {
      w = false;
      if (t.joinable()) t.join();
    }
  } guard{writing, writer};
  std::this_thread::sleep_for(20ms);
  src.start();
  collected c;
  REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/b/") != nullptr; }));
  src.stop();
  writing = false;
  writer.join();

  const auto rev = src.status().snapshot_revision;
  REQUIRE(rev > 150);
  const auto keys = snapshot_keys(c, 1);
  std::map<std::string, std::string> got_a, got_b;
  for (const auto& [k, r] : keys) {
    CHECK(int_field(*r, "revision") == rev);
    CHECK(int_field(*r, "mod_revision") <= rev);
    (k.starts_with("/a/") ? got_a : got_b)[k] = str_value(*r);
  }
  CHECK(got_a == read_at(s, "/a/", rev));
  CHECK(got_b == read_at(s, "/b/", rev));
  CHECK(int_field(*marker(c, 1, "end", "/a/"), "keys") == static_cast<std::int64_t>(got_a.size()));
  CHECK(int_field(*marker(c, 1, "end", "/b/"), "revision") == rev);
}

TEST_CASE("the watch records puts and deletes between snapshots with their revisions",
          "[etcd][threads]") {
  etcd_test::server s;
  s.put("/cfg/a", "1");
  s.put("/cfg/b", "2");
  ix::source::etcd_source src(fast_options(s, {"/cfg/"}));
  src.start();
  collected c;
  REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/cfg/") != nullptr; }));

  const auto r1 = s.put("/cfg/c", "3");
  const auto r2 = s.put("/cfg/a", "1b");
  const auto r3 = s.del("/cfg/b");
  s.put("/elsewhere", "ignored");
  auto changes = [&] {
    std::vector<const ix::record*> out;
    for (const auto& r : c.records) {
      const auto op = str_field(r, "op");
      if (op == "put" || op == "delete") out.push_back(&r);
    }
    return out;
  };
  REQUIRE(pump(src, c, [&] { return changes().size() >= 3; }));
  const auto ch = changes();
  REQUIRE(ch.size() == 3);
  CHECK(ch[0]->name == "/cfg/c");
  CHECK(str_field(*ch[0], "op") == "put");
  CHECK(str_value(*ch[0]) == "3");
  CHECK(int_field(*ch[0], "mod_revision") == r1);
  CHECK(int_field(*ch[0], "create_revision") == r1);
  CHECK(ch[1]->name == "/cfg/a");
  CHECK(str_value(*ch[1]) == "1b");
  CHECK(int_field(*ch[1], "mod_revision") == r2);
  CHECK(int_field(*ch[1], "version") == 2);
  CHECK(ch[2]->name == "/cfg/b");
  CHECK(str_field(*ch[2], "op") == "delete");
  CHECK(int_field(*ch[2], "mod_revision") == r3);
  CHECK(int_field(*ch[2], "revision") == r3);
  CHECK(std::holds_alternative<std::monostate>(ch[2]->val));
  for (const auto* r : ch) CHECK(int_field(*r, "snapshot_id") == 1);
  CHECK(src.status().watch_events == 3);

  // On demand: a new snapshot at a later revision that reflects the changes.
  src.snapshot_now();
  REQUIRE(pump(src, c, [&] { return marker(c, 2, "end", "/cfg/") != nullptr; }));
  const auto keys = snapshot_keys(c, 2);
  REQUIRE(keys.size() == 2);
  CHECK(str_value(*keys.at("/cfg/a")) == "1b");
  CHECK(str_value(*keys.at("/cfg/c")) == "3");
  CHECK(int_field(*keys.at("/cfg/a"), "revision") >= r3 + 1);  // "/elsewhere" came later
  src.stop();
  CHECK(src.status().errors == 0);
}

TEST_CASE(
    "a full hand-off makes the source wait, never drop; the watch of two prefixes "
    "records each change once across a restart",
    "[etcd][threads]") {
  etcd_test::server s;
  for (int i = 0; i < 60; ++i) s.put("/q/" + std::to_string(100 + i), std::to_string(i));
  auto o = fast_options(s, {"/q/", "/r/"});
  o.page_size = 3;
  o.handoff_capacity = 5;  // far fewer than a snapshot's records
  ix::source::etcd_source src(o);
  src.start();
  collected c;
  std::this_thread::sleep_for(300ms);  // the source fills the queue and waits for the collector
  REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/r/") != nullptr; }));
  CHECK(snapshot_keys(c, 1).size() == 60);
  CHECK(int_field(*marker(c, 1, "end", "/q/"), "keys") == 60);

  std::map<std::int64_t, std::string> written;  // revision -> key
  auto changes = [&] {
    std::multimap<std::int64_t, std::string> out;
    for (const auto& r : c.records)
      if (str_field(r, "op") == "put") out.emplace(int_field(r, "mod_revision"), r.name);
    return out;
  };
  for (int i = 0; i < 10; ++i) {
    const auto k = (i % 2 ? "/q/w" : "/r/w") + std::to_string(i);
    written[s.put(k, "v")] = k;
  }
  REQUIRE(pump(src, c, [&] { return changes().size() >= 10; }));
  src.stop();
  for (int i = 10; i < 20; ++i) {
    const auto k = (i % 3 ? "/q/w" : "/r/w") + std::to_string(i);
    written[s.put(k, "v")] = k;
  }
  s.put("/s/not-watched", "x");
  src.start();
  REQUIRE(pump(src, c, [&] { return changes().size() >= 20; }));
  std::this_thread::sleep_for(600ms);  // a window ends and the watch reopens: no repeats
  c.take(src);
  src.stop();
  const auto got = changes();
  CHECK(got.size() == 20);
  for (const auto& [rev, key] : written) {
    INFO(key << " at " << rev);
    CHECK(got.count(rev) == 1);
    const auto it = got.find(rev);
    if (it != got.end()) CHECK(it->second == key);
  }
  CHECK(src.status().snapshots == 1);
  CHECK(src.status().watch_events == 20);
}

TEST_CASE("a compacted watch revision forces a new snapshot", "[etcd][threads]") {
  etcd_test::server s;
  s.put("/k/1", "one");
  s.put("/k/2", "two");
  ix::source::etcd_source src(fast_options(s, {"/k/"}));
  src.start();
  collected c;
  REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/k/") != nullptr; }));
  const auto rev1 = src.status().snapshot_revision;
  src.stop();  // the watch resumes after rev1 when started again

  s.put("/k/3", "three");
  s.del("/k/1");
  const auto last = s.put("/k/2", "two again");
  s.compact(last);
  src.start();
  REQUIRE(pump(src, c, [&] { return marker(c, 2, "end", "/k/") != nullptr; }));
  src.stop();

  const auto st = src.status();
  CHECK(st.compactions == 1);
  CHECK(st.snapshots == 2);
  CHECK(st.snapshot_revision >= last);
  CHECK(st.snapshot_revision > rev1);
  const auto keys = snapshot_keys(c, 2);
  REQUIRE(keys.size() == 2);
  CHECK(str_value(*keys.at("/k/2")) == "two again");
  CHECK(str_value(*keys.at("/k/3")) == "three");
  bool noted = false;
  for (const auto& r : c.records)
    if (r.kind == ix::record_kind::notification && r.name.find("compacted") != std::string::npos)
      noted = str_field(r, "cause").find("compact") != std::string::npos;
  CHECK(noted);
}

TEST_CASE("a server that goes down: errors counted with cause, retried, no hang",
          "[etcd][threads]") {
  etcd_test::server s;
  s.put("/svc/x", "1");
  ix::source::etcd_source src(fast_options(s, {"/svc/"}));
  src.start();
  collected c;
  REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/svc/") != nullptr; }));

  s.kill();
  REQUIRE(pump(src, c, [&] { return src.status().errors >= 3; }));
  auto st = src.status();
  CHECK(st.consecutive_failures >= 3);
  CHECK(st.last_error.find("Connection") != std::string::npos);
  CHECK(st.next_attempt != clk::time_point::max());
  // The collector's side never waits on the network.
  const auto t0 = clk::now();
  c.take(src);
  CHECK(clk::now() - t0 < 100ms);
  CHECK(c.last.status == ix::source::collect_status::failed);
  REQUIRE_FALSE(c.errors.empty());
  CHECK(c.errors.back().second.find("127.0.0.1:" + std::to_string(s.port())) != std::string::npos);
  bool recorded = false;
  for (const auto& r : c.records)
    if (r.kind == ix::record_kind::notification && r.sev == ix::severity::warning &&
        str_field(r, "cause").find("Connection") != std::string::npos &&
        int_field(r, "retry_in_ms") > 0)
      recorded = true;
  CHECK(recorded);

  // Back up: the source recovers and serves an on-demand snapshot.
  s.start();
  s.put("/svc/y", "2");
  src.snapshot_now();
  REQUIRE(pump(src, c, [&] { return marker(c, 2, "end", "/svc/") != nullptr; }));
  CHECK(snapshot_keys(c, 2).size() == 2);
  REQUIRE(pump(src, c, [&] { return src.status().consecutive_failures == 0; }));
  c.take(src);
  CHECK(c.last.status == ix::source::collect_status::ok);
  const auto t1 = clk::now();
  src.stop();
  CHECK(clk::now() - t1 < 1s);
}

TEST_CASE("a refused connection or a wrong URL is an error with its cause, never a hang",
          "[etcd][threads]") {
  SECTION("refused") {
    etcd::options o;
    o.endpoint = "http://127.0.0.1:" + std::to_string(etcd_test::free_port());
    o.prefixes = {"/x/"};
    o.backoff_initial = 20ms;
    o.backoff_max = 50ms;
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(
        src, c, [&] { return src.status().errors >= 3; }, 5s));
    CHECK(src.status().last_error_part == "snapshot");
    CHECK(src.status().last_error.find("Connection") != std::string::npos);
    const auto t0 = clk::now();
    src.stop();
    CHECK(clk::now() - t0 < 1s);
  }
  SECTION("not a URL") {
    for (const char* bad : {"ftp://127.0.0.1:2379", "http://127.0.0.1:99999", "http://:2379",
                            "http://127.0.0.1:23x9"}) {
      INFO(bad);
      etcd::options o;
      o.endpoint = bad;
      o.prefixes = {"/x/"};
      o.backoff_initial = 20ms;
      ix::source::etcd_source src(o);
      src.start();
      collected c;
      REQUIRE(pump(
          src, c, [&] { return !c.errors.empty(); }, 5s));
      CHECK(c.errors[0].first == "config");
      CHECK(c.errors[0].second.find("invalid etcd endpoint") != std::string::npos);
      CHECK(c.last.status == ix::source::collect_status::failed);
      src.stop();
    }
  }
  SECTION("no prefixes") {
    etcd::options o;
    o.backoff_initial = 20ms;
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(
        src, c, [&] { return !c.errors.empty(); }, 5s));
    CHECK(c.errors[0].second.find("no key prefixes") != std::string::npos);
  }
}

TEST_CASE("authentication: a wrong password is a counted auth error, the right one works",
          "[etcd][threads]") {
  etcd_test::server s;
  s.put("/sec/a", "secret");
  REQUIRE(s.post("/v3/auth/user/add", R"({"name":"root","password":"pw"})").status == 200);
  REQUIRE(s.post("/v3/auth/role/add", R"({"name":"root"})").status == 200);
  REQUIRE(s.post("/v3/auth/user/grant", R"({"user":"root","role":"root"})").status == 200);
  REQUIRE(s.post("/v3/auth/enable", "{}").status == 200);

  SECTION("no credentials") {
    ix::source::etcd_source src(fast_options(s, {"/sec/"}));
    src.start();
    collected c;
    REQUIRE(pump(src, c, [&] { return src.status().errors >= 2; }));
    CHECK(src.status().snapshots == 0);
    INFO(src.status().last_error);
    CHECK(src.status().last_error_part == "snapshot");
    CHECK(src.status().last_error.find("user name is empty") != std::string::npos);
  }
  SECTION("a password is not sent over plain http unless allowed") {
    auto o = fast_options(s, {"/sec/"});
    o.username = "root";
    o.password = "pw-that-must-stay-home";
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(src, c, [&] { return src.status().errors >= 1; }));
    INFO(src.status().last_error);
    CHECK(src.status().last_error_part == "config");
    CHECK(src.status().last_error.find("plain http") != std::string::npos);
    CHECK(src.status().snapshots == 0);
  }
  SECTION("wrong password") {
    auto o = fast_options(s, {"/sec/"});
    o.username = "root";
    o.password = "wrong";
    o.allow_password_over_http = true;  // a test cluster on loopback
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(src, c, [&] { return src.status().errors >= 2; }));
    INFO(src.status().last_error);
    CHECK(src.status().last_error_part == "auth");
    CHECK(src.status().last_error.find("authentication failed") != std::string::npos);
    CHECK(src.status().snapshots == 0);
  }
  SECTION("right password") {
    auto o = fast_options(s, {"/sec/"});
    o.username = "root";
    o.password = "pw";
    o.allow_password_over_http = true;  // a test cluster on loopback
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/sec/") != nullptr; }));
    CHECK(str_value(*snapshot_keys(c, 1).at("/sec/a")) == "secret");
    CHECK(src.status().errors == 0);
  }
}

TEST_CASE("periodic snapshots, and stop() is prompt while a watch is held open",
          "[etcd][threads]") {
  etcd_test::server s;
  s.put("/p/a", "1");
  SECTION("periodic") {
    auto o = fast_options(s, {"/p/"});
    o.snapshot_interval = 300ms;
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(src, c, [&] { return marker(c, 3, "end", "/p/") != nullptr; }));
    src.stop();
    CHECK(src.status().snapshots >= 3);
    CHECK(src.status().errors == 0);
  }
  SECTION("stop during a long watch") {
    auto o = fast_options(s, {"/p/"});
    o.watch_window = 30s;  // the watch would hold the request open far longer than the test
    o.request_timeout = 30s;
    ix::source::etcd_source src(o);
    src.start();
    collected c;
    REQUIRE(pump(src, c, [&] { return marker(c, 1, "end", "/p/") != nullptr; }));
    std::this_thread::sleep_for(300ms);  // the watch is open and idle now
    const auto t0 = clk::now();
    src.stop();
    CHECK(clk::now() - t0 < 1s);
    // snapshot_now() breaks a held watch too: restart, then ask.
    src.start();
    std::this_thread::sleep_for(300ms);
    const auto t1 = clk::now();
    src.snapshot_now();
    REQUIRE(pump(src, c, [&] { return marker(c, 2, "end", "/p/") != nullptr; }));
    CHECK(clk::now() - t1 < 2s);
    src.stop();
    CHECK(src.status().errors == 0);
  }
}
