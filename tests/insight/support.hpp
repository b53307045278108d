// Helpers for the insight tests: synthetic records, a seeded noise source, running an engine
// through the offline replay, and the lifecycle check every test applies to its output.
#pragma once
#include <cmath>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <catch2/catch.hpp>

#include <introspect/format/jsonl.hpp>
#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/replay.hpp>

namespace ixt {

namespace ix = introspect;
namespace ins = introspect::insight;

inline constexpr std::int64_t s = 1'000'000'000;
inline constexpr std::int64_t t0 = 1'767'225'600 * s;  // 2026-01-01T00:00:00Z

inline ix::record metric(std::int64_t ts, std::string name, double v,
                         std::string source = "product") {
  ix::record r;
  r.ts_ns = ts;
  r.kind = ix::record_kind::metric;
  r.mtype = ix::metric_type::gauge;
  r.source = std::move(source);
  r.name = std::move(name);
  r.val = v;
  return r;
}

inline ix::record state(std::int64_t ts, std::string key, std::string v, bool table = false) {
  ix::record r;
  r.ts_ns = ts;
  r.kind = ix::record_kind::state;
  r.source = "product";
  r.name = std::move(key);
  r.val = std::move(v);
  if (table) r.flags = ix::flag_table;
  return r;
}

inline ix::record note(std::int64_t ts, ix::severity sev, std::string name = "something failed") {
  ix::record r;
  r.ts_ns = ts;
  r.kind = ix::record_kind::notification;
  r.sev = sev;
  r.source = "product";
  r.name = std::move(name);
  return r;
}

//! Deterministic Gaussian noise (Box–Muller over mt19937_64, which the standard pins down).
class noise {
 public:
  explicit noise(std::uint64_t seed) : g_(seed) {}
  double operator()(double mean, double sd) {
    const double u1 = (static_cast<double>(g_() >> 11) + 0.5) / 9007199254740992.0;
    const double u2 = (static_cast<double>(g_() >> 11) + 0.5) / 9007199254740992.0;
    return mean + sd * std::sqrt(-2 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }

 private:
  std::mt19937_64 g_;
};

inline std::string str(const ix::record& r, std::string_view key) {
  const auto* v = r.find_field(key);
  if (!v) return {};
  return ins::value_text(*v);
}
inline std::int64_t i64(const ix::record& r, std::string_view key) {
  const auto* v = r.find_field(key);
  if (v && std::holds_alternative<std::int64_t>(*v)) return std::get<std::int64_t>(*v);
  FAIL("field " << key << " is not an integer in insight " << r.name);
  return 0;
}
inline double num(const ix::record& r, std::string_view key) {
  const auto* v = r.find_field(key);
  if (v && std::holds_alternative<double>(*v)) return std::get<double>(*v);
  if (v && std::holds_alternative<std::int64_t>(*v))
    return static_cast<double>(std::get<std::int64_t>(*v));
  FAIL("field " << key << " is not a number in insight " << r.name);
  return 0;
}

//! Every insight's life is open (update)* closed, per (rule name, subject); episodes count up.
inline void check_lifecycle(const std::vector<ix::record>& out) {
  std::map<std::pair<std::string, std::string>, std::pair<bool, std::int64_t>> open;
  for (const auto& r : out) {
    REQUIRE(r.kind == ix::record_kind::insight);
    const auto key = std::make_pair(r.name, str(r, "subject"));
    auto& [is_open, episode] = open[key];
    const auto st = str(r, "state");
    INFO(r.name << " " << key.second << " " << st << " at " << (r.ts_ns - t0) / s << " s");
    if (st == "open") {
      CHECK_FALSE(is_open);
      CHECK(i64(r, "episode") == episode + 1);
      episode = i64(r, "episode");
      is_open = true;
    } else {
      CHECK(is_open);
      CHECK(i64(r, "episode") == episode);
      if (st == "closed") {
        CHECK(i64(r, "end") >= i64(r, "onset"));
        is_open = false;
      } else {
        CHECK(st == "update");
      }
    }
    CHECK_FALSE(str(r, "message").empty());
  }
}

//! Runs records (in time order) through an engine with the offline replay; checks lifecycles.
template <class Rules>
std::vector<ix::record> run(ins::config<Rules> cfg, const std::vector<ix::record>& recs) {
  ins::engine<Rules> e{std::move(cfg)};
  ins::replay<ins::engine<Rules>> rp{e};
  std::vector<ix::record> out;
  auto emit = [&](const ix::record& r) { out.push_back(r); };
  for (const auto& r : recs) rp.observe(r, emit);
  rp.finish(emit);
  check_lifecycle(out);
  return out;
}

//! The insight records of one state ("open", "update", "closed").
inline std::vector<ix::record> with_state(const std::vector<ix::record>& out, std::string_view st) {
  std::vector<ix::record> v;
  for (const auto& r : out)
    if (str(r, "state") == st) v.push_back(r);
  return v;
}

//! A single-rule configuration.
template <class R>
ins::config<ins::rules<R>> one(typename R::params p, std::string name = "rule") {
  ins::config<ins::rules<R>> c;
  c.add(ins::rule_def<R>{std::move(name), ix::severity::warning, "", std::move(p)});
  return c;
}

//! Every insight as JSON lines: byte equality is the strictest comparison of two runs.
inline std::string jsonl(const std::vector<ix::record>& out) {
  ix::jsonl_encoder enc("i");
  std::string text;
  for (const auto& r : out) {
    std::vector<ix::field_view> fv;
    for (const auto& f : r.fields) fv.push_back({f.key, ix::to_view(f.val)});
    ix::record_view v;
    v.ts_ns = r.ts_ns;
    v.kind = r.kind;
    v.sev = r.sev;
    v.source = r.source;
    v.name = r.name;
    v.val = ix::to_view(r.val);
    v.fields = fv;
    enc.encode(v, text);
  }
  return text;
}

}  // namespace ixt
