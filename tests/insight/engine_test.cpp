// The engine's guarantees: batch and one-at-a-time feeding give identical insights (online ==
// offline by construction), runs are deterministic, insight records flow through the JSON-lines
// and binary encoders, unused rules are compiled out, diagnostics and message templates.
#include <string>
#include <vector>

#include <simdjson.h>
#include <catch2/catch.hpp>

#include <introspect/codec/binary.hpp>
#include <introspect/insight/default_rules.hpp>
#include <introspect/insight/rules_file.hpp>

#include "support.hpp"

using namespace ixt;
using ix::severity;

namespace {

// An hour of a storage product with one of each fault: disk fill, container flapping, latency
// spike, a silent source, an error burst, plus noise everywhere else.
std::vector<ix::record> mixed_scenario(std::uint64_t seed, bool faults = true) {
  std::vector<ix::record> recs;
  noise n(seed);
  double used = 400e9, beats = 0, lat_sum = 0, lat_count = 0;
  std::string cont = "RUNNING";
  for (int i = 0; i < 3600; ++i) {
    const std::int64_t t = t0 + i * s;
    if (faults && i >= 1200) used += 500e9 / (2 * 3600.0);
    recs.push_back(metric(t, "disk.sdb.used_bytes", used + n(0, 20e6)));
    recs.push_back(metric(t, "disk.sdb.capacity_bytes", 1000e9));
    recs.push_back(metric(t, "disk.sdc.used_bytes", 300e9 + n(0, 20e6)));
    recs.push_back(metric(t, "disk.sdc.capacity_bytes", 1000e9));
    // A cumulative histogram, as the metric registry snapshots it.
    for (int k = 0; k < 20; ++k) {
      lat_sum += (faults && i >= 2000 && i < 2060) ? 900 + n(0, 30) : n(100, 8);
      lat_count += 1;
    }
    auto h = metric(t, "bookkeeper.write.latency_us", lat_count);
    h.mtype = ix::metric_type::histogram;
    h.fields = {{"count", static_cast<std::int64_t>(lat_count)}, {"sum", lat_sum}, {"p99", 1000.0}};
    recs.push_back(std::move(h));
    if (!faults || i < 2500 || i >= 2600) beats += 1;
    recs.push_back(metric(t, "segmentstore.1.heartbeat", beats));
    recs.push_back(metric(t, "cpu", n(30, 3), "host"));
    if (!faults || i < 1500 || i >= 1600) recs.push_back(metric(t, "rss", n(1e9, 1e6), "process"));
    if ((faults && i >= 1700 && i < 1800 && i % 4 == 0) || i % 900 == 450) {
      cont = cont == "RUNNING" ? "RECOVERING" : "RUNNING";
      recs.push_back(state(t + 1, "segmentstore/1/container/3", cont));
    }
    if (i % 10 == 0) recs.push_back(state(t + 2, "segmentstore/1/container/3", cont, true));
    if (i % 97 == 0) recs.push_back(note(t + 3, severity::warning, "slow"));
    if (faults && i >= 3000 && i < 3010)
      for (int k = 0; k < 4; ++k) recs.push_back(note(t + 4 + k, severity::error, "io error"));
  }
  return recs;
}

// The "online writer": at each period boundary B, observe the records written in (B-P, B] in
// batches of `batch` (evaluating only at boundaries), then evaluate(B).
std::vector<ix::record> online(const ins::config<ins::all_rules>& cfg,
                               const std::vector<ix::record>& recs, std::size_t batch) {
  ins::full_engine e{cfg};
  std::vector<ix::record> out;
  auto emit = [&](const ix::record& r) { out.push_back(r); };
  const auto P = cfg.opts.period_ns;
  std::int64_t boundary = t0;
  std::size_t i = 0;
  while (i < recs.size()) {
    std::vector<const ix::record*> pending;
    while (i < recs.size() && recs[i].ts_ns <= boundary) pending.push_back(&recs[i++]);
    for (std::size_t k = 0; k < pending.size(); k += batch)
      for (std::size_t j = k; j < std::min(pending.size(), k + batch); ++j) e.observe(*pending[j]);
    e.evaluate(boundary, emit);
    boundary += P;
  }
  return out;
}

}  // namespace

TEST_CASE("the default rules find each fault of a mixed scenario once", "[insight][engine]") {
  const auto recs = mixed_scenario(1);
  const auto out = run(ins::default_config(), recs);
  std::map<std::string, std::vector<std::string>> opened;
  for (const auto& r : with_state(out, "open")) opened[r.name].push_back(str(r, "subject"));
  CHECK(opened["disk-full"] == std::vector<std::string>{"disk.sdb.used_bytes"});
  CHECK(opened["container-flapping"] == std::vector<std::string>{"segmentstore/1/container/3"});
  CHECK(opened["journal-latency"] == std::vector<std::string>{"bookkeeper.write.latency_us"});
  CHECK(opened["source-silent"] == std::vector<std::string>{"process"});
  CHECK(opened["component-heartbeat"] == std::vector<std::string>{"segmentstore.1.heartbeat"});
  CHECK(opened["error-burst"] == std::vector<std::string>{"error"});
  CHECK(opened.size() == 6);  // no latency-high, no warning-rate
}

TEST_CASE("the default rules say nothing about a healthy hour", "[insight][engine][healthy]") {
  for (std::uint64_t seed = 10; seed < 15; ++seed) {
    const auto out = run(ins::default_config(), mixed_scenario(seed, false));
    INFO("seed " << seed << ": " << (out.empty() ? "" : str(out[0], "message")));
    CHECK(out.empty());
  }
}

TEST_CASE("feeding records in batches or one at a time gives identical insights",
          "[insight][engine][determinism]") {
  const auto recs = mixed_scenario(2);
  const auto cfg = ins::default_config();
  const auto offline = jsonl(run(cfg, recs));
  REQUIRE_FALSE(offline.empty());
  CHECK(jsonl(online(cfg, recs, 1)) == offline);
  CHECK(jsonl(online(cfg, recs, 7)) == offline);
  CHECK(jsonl(online(cfg, recs, 100000)) == offline);
}

TEST_CASE("two runs over the same records give byte-identical insights",
          "[insight][engine][determinism]") {
  const auto recs = mixed_scenario(3);
  CHECK(jsonl(run(ins::default_config(), recs)) == jsonl(run(ins::default_config(), recs)));
}

TEST_CASE("record views and owning records are the same input", "[insight][engine]") {
  const auto recs = mixed_scenario(4);
  ins::full_engine a{ins::default_config()}, b{ins::default_config()};
  std::vector<ix::record> oa, ob;
  for (std::size_t i = 0; i < recs.size(); ++i) {
    const auto& r = recs[i];
    a.observe(r);
    std::vector<ix::field_view> fv;
    for (const auto& f : r.fields) fv.push_back({f.key, ix::to_view(f.val)});
    ix::record_view v{
        r.ts_ns, r.kind, r.sev, r.mtype, r.flags, r.source, r.name, ix::to_view(r.val), fv};
    b.observe(v);
    if (i + 1 == recs.size() || recs[i + 1].ts_ns / s != r.ts_ns / s) {
      a.evaluate(r.ts_ns, [&](const ix::record& x) { oa.push_back(x); });
      b.evaluate(r.ts_ns, [&](const ix::record& x) { ob.push_back(x); });
    }
  }
  REQUIRE_FALSE(oa.empty());
  CHECK(jsonl(oa) == jsonl(ob));
}

TEST_CASE("insight records survive the JSON-lines and binary encoders", "[insight][engine]") {
  const auto out = run(ins::default_config(), mixed_scenario(5));
  REQUIRE_FALSE(out.empty());
  simdjson::dom::parser parser;
  for (const auto& r : out) {
    const auto line = jsonl({r});
    simdjson::dom::element doc;
    REQUIRE_FALSE(parser.parse(line).get(doc));
    CHECK(std::string_view(doc["kind"]) == "insight");
    CHECK(std::string_view(doc["name"]) == r.name);
    CHECK(std::string_view(doc["fields"]["state"]) == str(r, "state"));
    CHECK(int64_t(doc["fields"]["onset"]) == i64(r, "onset"));

    std::vector<ix::field_view> fv;
    for (const auto& f : r.fields) fv.push_back({f.key, ix::to_view(f.val)});
    ix::record_view v{
        r.ts_ns, r.kind, r.sev, r.mtype, r.flags, r.source, r.name, ix::to_view(r.val), fv};
    std::string payload;
    ix::codec::encode(v, payload);
    ix::record back;
    REQUIRE(ix::codec::decode(payload, back));
    // ts and kind travel in the stream store's frame, not in the payload.
    CHECK(back.sev == r.sev);
    CHECK(back.name == r.name);
    REQUIRE(back.fields.size() == r.fields.size());
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      CHECK(back.fields[i].key == r.fields[i].key);
      CHECK(back.fields[i].val == r.fields[i].val);
    }
  }
}

// An engine over some rules contains no code of the others, and refuses their names.
using only_flapping = ins::engine<ins::rules<ins::flapping, ins::burst>>;
static_assert(only_flapping::has_rule<ins::flapping>);
static_assert(!only_flapping::has_rule<ins::anomaly>);
static_assert(!only_flapping::has_rule<ins::exhaustion>);
static_assert(std::is_same_v<only_flapping::rule_set, ins::rules<ins::flapping, ins::burst>>);

TEST_CASE("an engine over some rules rejects the others in its rules file", "[insight][engine]") {
  const auto res = ins::parse_rules<only_flapping::rule_set>(R"({"rules": [
    {"name": "f", "type": "flapping", "params": {"key": "c/*", "changes": 3, "window": "1m"}},
    {"name": "a", "type": "anomaly", "params": {"metric": "x"}}]})");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].text() ==
        "rules[1].type: unknown rule \"anomaly\" (this engine has: flapping, burst)");
}

TEST_CASE("a rule over names that never appear is reported after the run", "[insight][engine]") {
  ins::full_engine e{ins::default_config()};
  for (int i = 0; i < 10; ++i) e.observe(metric(t0 + i * s, "cpu", 1));
  const auto d = e.diagnostics();
  auto has = [&](std::string_view rule, std::string_view text) {
    for (const auto& x : d)
      if (x.rule == rule && x.message.find(text) != std::string::npos) return true;
    return false;
  };
  CHECK(has("disk-full", "no record matched (metric=disk.*.used_bytes"));
  CHECK(has("container-flapping", "no record matched (key=segmentstore/*/container/*"));
  CHECK(has("journal-latency", "no record matched"));
  CHECK_FALSE(has("source-silent", "no record matched"));
}

TEST_CASE("a numeric field that is never there is reported as unusable", "[insight][engine]") {
  ins::threshold::params p;
  p.metric = "lat";
  p.field = "p99";
  p.above = 1;
  ins::engine<ins::rules<ins::threshold>> e{one<ins::threshold>(p, "lat-high")};
  e.observe(metric(t0, "lat", 5));
  const auto d = e.diagnostics();
  REQUIRE(d.size() == 1);
  CHECK(d[0].message.find("1 records matched but none was usable") != std::string::npos);
  CHECK(d[0].message.find("field=p99") != std::string::npos);
}

TEST_CASE("message templates fill subject, evidence and durations", "[insight][engine]") {
  ins::heartbeat::params p;
  p.timeout = {10 * s};
  auto cfg = one<ins::heartbeat>(p, "silent");
  std::get<0>(cfg.rules[0]).message =
      "{name}: {subject} silent for {silent}, last {trigger_name} {x}";
  std::vector<ix::record> recs{metric(t0, "cpu", 1, "host"), metric(t0 + 100 * s, "cpu", 1, "z")};
  const auto out = run(cfg, recs);
  REQUIRE(with_state(out, "open").size() == 1);
  CHECK(str(out[0], "message") == "silent: host silent for 11 s, last cpu {x}");
  CHECK(str(out[0], "param.timeout") == "10s");
  CHECK(i64(out[0], "window_ns") == 10 * s);
}

TEST_CASE("the replay evaluates every boundary, and skips long idle gaps", "[insight][engine]") {
  ins::heartbeat::params p;
  p.timeout = {5 * s};
  ins::engine<ins::rules<ins::heartbeat>> e{one<ins::heartbeat>(p)};
  ins::replay<decltype(e)> rp{e, s, 100};
  auto none = [](const ix::record&) {};
  rp.observe(metric(t0 + s / 2, "cpu", 1), none);
  CHECK(rp.next_boundary() == t0 + s);
  rp.observe(metric(t0 + 3 * s, "cpu", 1), none);  // evaluates t0+1s, t0+2s (not t0+3s yet)
  CHECK(e.ticks() == 2);
  rp.observe(metric(t0 + 3 * s, "cpu", 1), none);
  CHECK(e.ticks() == 2);
  rp.observe(metric(t0 + 100000 * s, "cpu", 1), none);  // a long gap: 100 + 1 evaluations
  CHECK(e.ticks() == 2 + 101);
  CHECK(rp.next_boundary() == t0 + 100000 * s);
  rp.finish(none);
  CHECK(e.ticks() == 2 + 101 + 1);
}
