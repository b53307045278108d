// Insights online (the medium tier's writer thread) and offline (the replay driver over the
// stored records) agree, and a healthy run gives none.
#include <atomic>

#include <catch2/catch.hpp>
#include <introspect/engine/online_insights.hpp>
#include <introspect/introspect.hpp>

#include "../support/temp_dir.hpp"
#include "read_back.hpp"

using ix_test::temp_dir;

namespace ix = introspect;

namespace {
std::atomic<std::int64_t> now_ns{1'767'225'600'000'000'000};
std::int64_t sim_clock() noexcept { return now_ns.load(); }
void advance_ms(int ms) { now_ns += std::int64_t{ms} * 1'000'000; }

// A container that cycles RECOVERING/RUNNING every 2 s from t=60 s to t=120 s, in a 4-minute run.
template <class T>
void run(T& ins, bool flap) {
  for (int s = 0; s < 240; ++s) {
    for (int ms = 0; ms < 1000; ms += 100) {
      advance_ms(100);
      ins.state("segmentstore/1/container/" + std::to_string(ms / 100),
                flap && ms == 0 && s >= 60 && s < 120 && s % 2 ? "RECOVERING" : "RUNNING");
      ins.notify(ix::severity::info, "append", {{"ms", ms}});
    }
    ins.flush();
  }
}

std::vector<std::string> insight_keys(const std::vector<ix::record>& rs) {
  std::vector<std::string> k;
  for (const auto& r : rs) {
    if (r.kind != ix::record_kind::insight) continue;
    const auto* state = r.find_field("state");
    k.push_back(r.name + "/" + (state ? std::get<std::string>(*state) : "?") + "@" +
                std::to_string(r.ts_ns));
  }
  return k;
}
}  // namespace

TEST_CASE("online insights equal the offline replay of the same store", "[engine][insight]") {
  temp_dir d;
  {
    ix::medium_introspection ins{
        ix::config{.store = d.path(), .instance = "n", .clock = sim_clock}};
    run(ins, true);
  }
  const auto stored = read_back(d.path(), "n");
  const auto online = insight_keys(stored);
  REQUIRE(!online.empty());
  CHECK(std::any_of(online.begin(), online.end(),
                    [](const auto& k) { return k.starts_with("container-flapping/open"); }));

  ix::insight::full_engine eng{ix::insight::default_config()};
  ix::insight::replay<ix::insight::full_engine> rp{eng};
  std::vector<ix::record> offline;
  for (const auto& r : stored)
    if (r.kind != ix::record_kind::insight)
      rp.observe(r, [&](const ix::record& i) { offline.push_back(i); });
  rp.finish([&](const ix::record& i) { offline.push_back(i); });
  auto off = insight_keys(offline);
  // The online engine has not evaluated the boundary after the last record (the store ended).
  if (off.size() > online.size()) off.resize(online.size());
  CHECK(online == off);
}

TEST_CASE("a healthy medium-tier run records no insight", "[engine][insight]") {
  temp_dir d;
  {
    ix::medium_introspection ins{
        ix::config{.store = d.path(), .instance = "n", .clock = sim_clock}};
    run(ins, false);
  }
  const auto online = insight_keys(read_back(d.path(), "n"));
  INFO(online.size() << " insights, first: " << (online.empty() ? "" : online.front()));
  CHECK(online.empty());
}

// The counting rules (error-burst, warning-rate) get notifications the writer never decodes
// past their name (it hands them the payload's head: time, severity, source, name); they must
// conclude what the offline replay concludes from fully decoded records. Notifications of a few
// names alternate (the writer's last-key cache misses and hits), beside a state and a metric of
// the same name (the same key bytes under another kind).
TEST_CASE("counting rules fed the records' heads conclude what the full replay does",
          "[engine][insight][head]") {
  temp_dir d;
  {
    ix::medium_introspection ins{
        ix::config{.store = d.path(), .instance = "h", .clock = sim_clock}};
    for (int s = 0; s < 30; ++s) {
      for (int i = 0; i < 40; ++i) {
        advance_ms(25);
        // 40 warnings a second: above warning-rate's 100 a minute within seconds.
        ins.notify(ix::severity::warning, i % 2 ? "disk nearly full" : "slow write",
                   {{"disk", "sdb"}, {"used_pct", i}});
        // A burst of errors from s = 10 to s = 12: more than 20 within a minute.
        if (s >= 10 && s < 13 && i % 4 == 0)
          ins.notify(ix::severity::error, "disk nearly full", {{"n", i}});
        if (i % 10 == 0) ins.state("disk nearly full", i % 20 ? "FULL" : "OK");
        if (i % 10 == 5) ins.gauge("disk nearly full", 1.0 * i);
      }
      ins.flush();
    }
  }
  const auto stored = read_back(d.path(), "h");
  const auto online = insight_keys(stored);
  CHECK(std::any_of(online.begin(), online.end(),
                    [](const auto& k) { return k.starts_with("warning-rate/open"); }));
  CHECK(std::any_of(online.begin(), online.end(),
                    [](const auto& k) { return k.starts_with("error-burst/open"); }));

  ix::insight::full_engine eng{ix::insight::default_config()};
  ix::insight::replay<ix::insight::full_engine> rp{eng};
  std::vector<ix::record> offline;
  for (const auto& r : stored)
    if (r.kind != ix::record_kind::insight)
      rp.observe(r, [&](const ix::record& i) { offline.push_back(i); });
  rp.finish([&](const ix::record& i) { offline.push_back(i); });
  auto off = insight_keys(offline);
  if (off.size() > online.size()) off.resize(online.size());
  CHECK(online == off);
  // Each kind kept its own value under the shared name.
  std::size_t states = 0, gauges = 0;
  for (const auto& r : stored) {
    if (r.name != "disk nearly full") continue;
    if (r.kind == ix::record_kind::state) {
      ++states;
      CHECK(std::holds_alternative<std::string>(r.val));
    }
    if (r.kind == ix::record_kind::metric) ++gauges;
  }
  CHECK(states >= 30 * 4);
  CHECK(gauges > 0);
}
