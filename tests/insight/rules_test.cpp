// Each rule on synthetic record sequences: it opens at the right onset (exact, or within the
// tolerance stated in the test), updates, closes with its end, never repeats, and stays silent
// on healthy sequences (noise, normal variation).
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "support.hpp"

using namespace ixt;
using ix::severity;

// ---------------------------------------------------------------------------------------------
TEST_CASE("threshold opens at the first crossing after the minimum duration and closes at clear",
          "[insight][threshold]") {
  ins::threshold::params p;
  p.metric = "disk.*.temp";
  p.above = 90;
  p.clear = 80;
  p.min_duration = {10 * s};
  std::vector<ix::record> recs;
  noise n(1);
  for (int i = 0; i < 400; ++i) {
    double v = n(50, 3);
    if (i >= 100 && i < 200) v = 95 + n(0, 2);  // above, with noise crossing 90 and back
    if (i >= 200 && i < 220) v = 85;            // between clear and level: still open
    recs.push_back(metric(t0 + i * s, "disk.sdb.temp", v));
  }
  const auto out = run(one<ins::threshold>(p), recs);
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  CHECK(i64(opens[0], "onset") == t0 + 100 * s);
  CHECK(opens[0].ts_ns >= t0 + 110 * s);  // confirmed after `for`
  CHECK(opens[0].ts_ns <= t0 + 111 * s);
  CHECK(i64(closes[0], "end") == t0 + 220 * s);
  CHECK(str(opens[0], "subject") == "disk.sdb.temp");
  CHECK(str(opens[0], "rule") == "threshold");
  CHECK(str(opens[0], "param.for") == "10s");
  CHECK(num(opens[0], "evidence.level") == 90);
  CHECK(i64(opens[0], "evidence.trigger_ts") == t0 + 100 * s);
}

TEST_CASE("threshold: excursions shorter than the minimum duration give nothing",
          "[insight][threshold]") {
  ins::threshold::params p;
  p.metric = "x";
  p.above = 10;
  p.min_duration = {30 * s};
  std::vector<ix::record> recs;
  for (int i = 0; i < 600; ++i)
    recs.push_back(metric(t0 + i * s, "x", (i % 60) < 20 ? 11.0 : 5.0));  // 20 s above each min
  CHECK(run(one<ins::threshold>(p), recs).empty());
}

TEST_CASE("threshold below, updates on a growing excursion, a second episode counts up",
          "[insight][threshold]") {
  ins::threshold::params p;
  p.metric = "free";
  p.below = 100;
  p.clear = 120;
  std::vector<ix::record> recs;
  int i = 0;
  for (; i < 50; ++i) recs.push_back(metric(t0 + i * s, "free", 500));
  for (double v = 99; v > 1; v *= 0.97, ++i) recs.push_back(metric(t0 + i * s, "free", v));
  const auto first_end = i;
  for (int k = 0; k < 50; ++k, ++i) recs.push_back(metric(t0 + i * s, "free", 500));
  const auto second = i;
  for (int k = 0; k < 20; ++k, ++i) recs.push_back(metric(t0 + i * s, "free", 50));
  const auto out = run(one<ins::threshold>(p), recs);
  const auto opens = with_state(out, "open"), ups = with_state(out, "update");
  REQUIRE(opens.size() == 2);
  CHECK(i64(opens[0], "onset") == t0 + 50 * s);
  CHECK(i64(opens[1], "onset") == t0 + second * s);
  CHECK(i64(opens[1], "episode") == 2);
  REQUIRE(with_state(out, "closed").size() == 1);
  CHECK(i64(with_state(out, "closed")[0], "end") == t0 + first_end * s);
  // Evidence moved a lot: updates, each at least 10 periods apart and 25% further.
  REQUIRE(ups.size() >= 3);
  for (std::size_t k = 1; k < ups.size(); ++k) {
    CHECK(ups[k].ts_ns - ups[k - 1].ts_ns >= 10 * s);
    CHECK(std::get<double>(ups[k].val) <= 0.75 * std::get<double>(ups[k - 1].val));
  }
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("rate (count): errors per minute above N opens within the window and closes",
          "[insight][rate]") {
  ins::rate::params p;
  p.min_severity = severity::error;
  p.above = 60;  // per minute
  std::vector<ix::record> recs;
  std::int64_t t = t0;
  for (; t < t0 + 600 * s; t += 30 * s) recs.push_back(note(t, severity::error));  // 2/min
  for (int i = 0; i < 600; ++i) recs.push_back(note(t0 + 600 * s + i * s / 5, severity::error));
  for (t = t0 + 720 * s; t < t0 + 1800 * s; t += 30 * s) {
    recs.push_back(note(t, severity::error));
    recs.push_back(note(t + s, severity::warning));  // below min_severity: not counted
  }
  const auto out = run(one<ins::rate>(p), recs);
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  // Tolerance: the onset is the first event of the window that crossed, so <= 1 window early.
  CHECK(i64(opens[0], "onset") >= t0 + 540 * s);
  CHECK(i64(opens[0], "onset") <= t0 + 600 * s);
  CHECK(opens[0].ts_ns <= t0 + 600 * s + 14 * s);  // 61 errors at 5/s: found within 13 s
  CHECK(i64(closes[0], "end") >= t0 + 720 * s - s);
  CHECK(i64(closes[0], "end") <= t0 + 780 * s);
  CHECK(num(opens[0], "evidence.rate") > 60);
}

TEST_CASE("rate (counter): a counter's increase per minute, resets counted as restarts",
          "[insight][rate]") {
  ins::rate::params p;
  p.mode = "counter";
  p.name = "requests";
  p.above = 3000;  // per minute = 50/s
  double c = 0;
  std::vector<ix::record> recs;
  for (int i = 0; i < 1200; ++i) {
    c += (i >= 600 && i < 780) ? 100 : 10;
    if (i == 300 || i == 900) c = 5;  // restarts: must not look like a fall or a jump
    recs.push_back(metric(t0 + i * s, "requests", c));
  }
  const auto out = run(one<ins::rate>(p), recs);
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  // (3000 - 600) / 90 per s more: the windowed rate crosses ~27 s after the change.
  CHECK(i64(opens[0], "onset") >= t0 + 600 * s);
  CHECK(i64(opens[0], "onset") <= t0 + 660 * s);
  CHECK(i64(closes[0], "end") >= t0 + 780 * s);
  CHECK(i64(closes[0], "end") <= t0 + 840 * s);
}

// ---------------------------------------------------------------------------------------------
namespace {
std::vector<ix::record> disk(std::int64_t fill_from, std::int64_t fill_to, double rate_per_s,
                             std::int64_t total, std::uint64_t seed, bool capacity = true) {
  std::vector<ix::record> recs;
  noise n(seed);
  double used = 500e9;
  for (std::int64_t i = 0; i < total; ++i) {
    if (i >= fill_from && i < fill_to) used += rate_per_s;
    if (i == fill_to) used = 400e9;  // cleaned up
    recs.push_back(metric(t0 + i * s, "disk.sdb.used_bytes", used + n(0, 50e6)));
    if (capacity) recs.push_back(metric(t0 + i * s, "disk.sdb.capacity_bytes", 1000e9));
  }
  return recs;
}
ins::exhaustion::params disk_params() {
  ins::exhaustion::params p;
  p.metric = "disk.*.used_bytes";
  p.limit_metric = "disk.*.capacity_bytes";
  p.window = {600 * s};
  p.horizon = {6 * 3600 * s};
  return p;
}
}  // namespace

TEST_CASE("exhaustion predicts 'disk sdb full in ~3 h' within one window of the fill's start",
          "[insight][exhaustion]") {
  const double rate = 500e9 / (3 * 3600.0);  // fills the remaining 500 GB in 3 h
  auto cfg = one<ins::exhaustion>(disk_params(), "disk-full");
  std::get<0>(cfg.rules[0]).message = "disk {match} full in ~{eta}";
  const auto out = run(cfg, disk(1800, 3600, rate, 5400, 7));
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  // Tolerance: one window (10 min) after the fill starts; never before.
  CHECK(i64(opens[0], "onset") >= t0 + 1800 * s);
  CHECK(i64(opens[0], "onset") <= t0 + 2400 * s);
  // The first prediction mixes flat history with the fill (it opens once it is under 6 h);
  // updates follow as the prediction moves by 25%, and the last one is within 10% of the truth.
  CHECK(i64(opens[0], "evidence.eta_ns") < 6 * 3600 * s);
  const auto ups = with_state(out, "update");
  REQUIRE_FALSE(ups.empty());
  const auto truth = t0 + 1800 * s + 3 * 3600 * s;
  CHECK(std::abs(i64(ups.back(), "evidence.full_ts") - truth) < 3 * 3600 * s / 10);
  CHECK(str(opens[0], "message").starts_with("disk sdb full in ~"));
  CHECK(str(opens[0], "evidence.match") == "sdb");
  CHECK(num(opens[0], "evidence.limit") == 1000e9);
  // The clean-up at 3600 s stops the growth; the insight closes within one window.
  CHECK(i64(closes[0], "end") >= t0 + 3600 * s);
  CHECK(i64(closes[0], "end") <= t0 + 4200 * s);
}

TEST_CASE("exhaustion: a noisy flat gauge and a slow growth far from the limit give nothing",
          "[insight][exhaustion]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    // 2 GB/h: 250 h to the limit.
    CHECK(run(one<ins::exhaustion>(disk_params()), disk(0, 7200, 2e9 / 3600, 7200, seed)).empty());
  }
}

TEST_CASE("exhaustion without its companion limit says so in the diagnostics",
          "[insight][exhaustion]") {
  ins::engine<ins::rules<ins::exhaustion>> e{one<ins::exhaustion>(disk_params(), "disk-full")};
  for (const auto& r : disk(0, 600, 1e9, 600, 1, false)) e.observe(r);
  const auto d = e.diagnostics();
  REQUIRE(d.size() == 1);
  CHECK(d[0].rule == "disk-full");
  CHECK(d[0].message.find("disk.sdb.capacity_bytes") != std::string::npos);
}

// ---------------------------------------------------------------------------------------------
namespace {
std::vector<ix::record> latency(std::int64_t total, std::int64_t spike_from, std::int64_t spike_to,
                                double spike, std::uint64_t seed, bool lone_outliers = false) {
  std::vector<ix::record> recs;
  noise n(seed);
  for (std::int64_t i = 0; i < total; ++i) {
    double v = n(100, 5);
    if (i >= spike_from && i < spike_to) v = spike + n(0, 10);
    if (lone_outliers && i % 300 == 150) v = 400;  // one bad sample every 5 min
    recs.push_back(metric(t0 + i * s, "bookkeeper.write.latency_us", v));
  }
  return recs;
}
ins::anomaly::params latency_params() {
  ins::anomaly::params p;
  p.metric = "bookkeeper.write.latency_us";
  return p;
}
}  // namespace

TEST_CASE("anomaly opens at the first anomalous sample and closes at the first normal one",
          "[insight][anomaly]") {
  const auto out = run(one<ins::anomaly>(latency_params()), latency(1800, 600, 660, 300, 3));
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  CHECK(i64(opens[0], "onset") == t0 + 600 * s);
  CHECK(i64(closes[0], "end") == t0 + 660 * s);
  CHECK(num(opens[0], "evidence.baseline") == Approx(100).margin(3));
  CHECK(num(opens[0], "evidence.z") > 6);
}

TEST_CASE("anomaly: noise, lone outliers and a slow drift give nothing", "[insight][anomaly]") {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    CHECK(run(one<ins::anomaly>(latency_params()), latency(7200, 0, 0, 0, seed, true)).empty());
  }
  std::vector<ix::record> drift;
  noise n(9);
  for (int i = 0; i < 7200; ++i)
    drift.push_back(metric(t0 + i * s, "bookkeeper.write.latency_us", 100 + i * 0.01 + n(0, 5)));
  CHECK(run(one<ins::anomaly>(latency_params()), drift).empty());
}

TEST_CASE("anomaly over a cumulative histogram uses the mean of each interval",
          "[insight][anomaly]") {
  auto p = latency_params();
  p.input = "interval_mean";
  std::vector<ix::record> recs;
  noise n(4);
  double sum = 0, count = 0;
  for (int i = 0; i < 1200; ++i) {
    for (int k = 0; k < 50; ++k) {
      sum += (i >= 700 && i < 760) ? 500 + n(0, 20) : n(100, 10);
      count += 1;
    }
    auto r = metric(t0 + i * s, "bookkeeper.write.latency_us", count);
    r.mtype = ix::metric_type::histogram;
    r.fields = {{"count", static_cast<std::int64_t>(count)}, {"sum", sum}};
    recs.push_back(r);
  }
  const auto out = run(one<ins::anomaly>(p), recs);
  REQUIRE(with_state(out, "open").size() == 1);
  CHECK(i64(with_state(out, "open")[0], "onset") == t0 + 700 * s);
  CHECK(i64(with_state(out, "closed")[0], "end") == t0 + 760 * s);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("flapping: a container cycling RECOVERING/RUNNING opens at its first change",
          "[insight][flapping]") {
  ins::flapping::params p;
  p.key = "segmentstore/*/container/*";
  p.changes = 4;
  p.window = {300 * s};
  std::vector<ix::record> recs;
  recs.push_back(state(t0, "segmentstore/1/container/3", "STARTING"));
  recs.push_back(state(t0 + 5 * s, "segmentstore/1/container/3", "RECOVERING"));
  recs.push_back(state(t0 + 9 * s, "segmentstore/1/container/3", "RUNNING"));
  std::string cur = "RUNNING";
  for (int i = 10; i < 3600; ++i) {
    if (i >= 1000 && i < 1120 && i % 10 == 0) {
      cur = (i / 10) % 2 ? "RUNNING" : "RECOVERING";
      recs.push_back(state(t0 + i * s + 1, "segmentstore/1/container/3", cur));
    }
    // The periodic state table repeats the current value: not a change.
    if (i % 10 == 0) recs.push_back(state(t0 + i * s + 2, "segmentstore/1/container/3", cur, true));
  }
  const auto out = run(one<ins::flapping>(p), recs);
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  CHECK(i64(opens[0], "onset") == t0 + 1000 * s + 1);
  CHECK(opens[0].ts_ns <= t0 + 1041 * s);  // the 5th change is at 1040 s
  CHECK(i64(closes[0], "end") == t0 + 1110 * s + 1);
  CHECK(str(opens[0], "evidence.transitions").find("RUNNING>RECOVERING@") != std::string::npos);
  CHECK_FALSE(with_state(out, "update").empty());  // 5 changes grew to 12
}

TEST_CASE("flapping: occasional changes give nothing", "[insight][flapping]") {
  ins::flapping::params p;
  p.key = "container/*";
  p.changes = 4;
  p.window = {300 * s};
  std::vector<ix::record> recs;
  for (int i = 0; i < 36000; i += 80)  // a change every 80 s: at most 4 per 5 min
    recs.push_back(state(t0 + i * s, "container/1", (i / 80) % 2 ? "A" : "B"));
  CHECK(run(one<ins::flapping>(p), recs).empty());
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("heartbeat: a silent source opens at its last record and closes when it resumes",
          "[insight][heartbeat]") {
  ins::heartbeat::params p;
  p.kind = "metric";
  p.timeout = {30 * s};
  std::vector<ix::record> recs;
  for (int i = 0; i < 600; ++i) {
    recs.push_back(metric(t0 + i * s, "cpu", 1, "a"));
    if (i < 200 || i >= 290) recs.push_back(metric(t0 + i * s, "cpu", 1, "b"));
  }
  const auto out = run(one<ins::heartbeat>(p), recs);
  REQUIRE(out.size() >= 2);
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  CHECK(str(opens[0], "subject") == "b");
  CHECK(i64(opens[0], "onset") == t0 + 199 * s);
  CHECK(opens[0].ts_ns == t0 + 230 * s);  // the first boundary with > 30 s of silence
  CHECK(i64(closes[0], "end") == t0 + 290 * s);
}

TEST_CASE("heartbeat: a silence between two evaluations still opens and closes once",
          "[insight][heartbeat]") {
  auto cfg = one<ins::heartbeat>({});
  std::get<0>(cfg.rules[0]).params.timeout = {10 * s};
  cfg.opts.period_ns = 60 * s;
  std::vector<ix::record> recs;
  for (int i = 0; i < 300; ++i)
    if (i < 100 || i >= 120) recs.push_back(metric(t0 + i * s, "cpu", 1));
  const auto out = run(cfg, recs);
  REQUIRE(out.size() == 2);
  CHECK(str(out[0], "state") == "open");
  CHECK(str(out[1], "state") == "closed");
  CHECK(i64(out[0], "onset") == t0 + 99 * s);
  CHECK(i64(out[1], "end") == t0 + 120 * s);
}

TEST_CASE("heartbeat: a counter that snapshots repeat is no sign of life with require_change",
          "[insight][heartbeat]") {
  ins::heartbeat::params p;
  p.name = "*heartbeat*";
  p.by = "name";
  p.require_change = true;
  p.timeout = {30 * s};
  std::vector<ix::record> recs;
  double beats = 0;
  for (int i = 0; i < 300; ++i) {
    if (i < 100 || i >= 200) beats += 1;  // the component stops beating for 100 s
    recs.push_back(metric(t0 + i * s, "segmentstore.1.heartbeat", beats));
    recs.push_back(metric(t0 + i * s, "segmentstore.2.heartbeat", i));
  }
  const auto out = run(one<ins::heartbeat>(p), recs);
  REQUIRE(with_state(out, "open").size() == 1);
  CHECK(str(out[0], "subject") == "segmentstore.1.heartbeat");
  CHECK(i64(out[0], "onset") == t0 + 99 * s);
  CHECK(i64(with_state(out, "closed")[0], "end") == t0 + 200 * s);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("burst: more than N errors within a window, counted per severity", "[insight][burst]") {
  ins::burst::params p;
  p.min_severity = severity::warning;
  p.count = 20;
  p.window = {60 * s};
  std::vector<ix::record> recs;
  for (int i = 0; i < 3600; i += 5) recs.push_back(note(t0 + i * s, severity::warning));  // 12/min
  for (int i = 0; i < 30; ++i) recs.push_back(note(t0 + 1000 * s + i * s / 3, severity::error));
  recs.push_back(note(t0 + 1000 * s, severity::info));
  std::stable_sort(recs.begin(), recs.end(),
                   [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
  const auto out = run(one<ins::burst>(p), recs);
  const auto opens = with_state(out, "open"), closes = with_state(out, "closed");
  REQUIRE(opens.size() == 1);
  REQUIRE(closes.size() == 1);
  CHECK(str(opens[0], "subject") == "error");
  CHECK(i64(opens[0], "onset") == t0 + 1000 * s);
  CHECK(i64(closes[0], "end") == t0 + 1000 * s + 29 * s / 3);
  CHECK(i64(opens[0], "evidence.count") == 21);
}
