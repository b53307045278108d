#pragma once
//! Insight episodes: the records an episode emits (open, updates, close) folded into one line,
//! the way `introspect insights` shows them: onset, end or open, rule, subject, the sentence
//! that opened it, and the evidence of its latest record (what the report draws).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/query/expr/field_ref.hpp>

namespace introspect::inline v1::report {

//! One insight episode of one instance.
struct episode {
  std::string instance, name, rule, subject, message;
  severity sev = severity::info;
  std::int64_t onset = 0;
  std::int64_t end = -1;  //!< -1: still open at the end of the records
  std::int64_t last_ts = 0;
  record latest;  //!< the episode's latest record (its evidence and parameters)

  //! A numeric field of the latest record (evidence.x, param.x), NaN when absent.
  double number(std::string_view key) const {
    const auto* v = latest.find_field(key);
    if (!v) return std::nan("");
    const auto vv = to_view(*v);
    return vv.type() == value_type::integer || vv.type() == value_type::real ? vv.as_number()
                                                                             : std::nan("");
  }
  //! A field of the latest record as text ("" when absent).
  std::string text(std::string_view key) const {
    std::string s;
    if (const auto* v = latest.find_field(key)) query::expr::append_text(s, to_view(*v));
    return s;
  }
};

//! Folds insight records into episodes keyed by (instance, rule name, subject, episode number).
class episode_folder {
 public:
  void add(const std::string& instance, const record& ins) {
    auto text = [&](std::string_view k) {
      std::string s;
      if (const auto* v = ins.find_field(k)) query::expr::append_text(s, to_view(*v));
      return s;
    };
    auto integer = [&](std::string_view k, std::int64_t d) {
      const auto* v = ins.find_field(k);
      return v && to_view(*v).type() == value_type::integer ? to_view(*v).as_int() : d;
    };
    const key k{instance, ins.name, text("subject"), integer("episode", 0)};
    auto [it, fresh] = eps_.try_emplace(k);
    auto& e = it->second;
    if (fresh) {
      e.instance = instance;
      e.name = ins.name;
      e.rule = text("rule");
      e.subject = text("subject");
      e.message = text("message");
      e.onset = integer("onset", ins.ts_ns);
    }
    e.sev = std::max(e.sev, ins.sev);
    e.last_ts = ins.ts_ns;
    if (text("state") == "closed") e.end = integer("end", ins.ts_ns);
    e.latest = ins;
    e.latest.instance = instance;
  }

  //! The episodes, by onset.
  std::vector<episode> take() {
    std::vector<episode> out;
    for (auto& [k, e] : eps_) out.push_back(std::move(e));
    std::stable_sort(out.begin(), out.end(),
                     [](const episode& a, const episode& b) { return a.onset < b.onset; });
    eps_.clear();
    return out;
  }

 private:
  using key = std::tuple<std::string, std::string, std::string, std::int64_t>;
  std::map<key, episode> eps_;
};

}  // namespace introspect::inline v1::report
