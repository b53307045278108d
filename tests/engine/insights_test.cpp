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
