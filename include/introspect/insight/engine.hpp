#pragma once
//! The insight engine: a deterministic, single-threaded object that turns records into insight
//! records. Feed it every record (observe) and evaluate it at each period (evaluate).
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/insight/detail/message.hpp>
#include <introspect/insight/detail/short_key.hpp>
#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/params.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight {

//! The rule policies compiled into an engine: `engine<rules<threshold, flapping>>` contains no
//! code of any other rule, and its rules file may only name those two.
template <class... R>
struct rules {};

//! One configured rule: its instance name, the severity and message of its insights, and its
//! parameters. An empty message means the rule's own sentence; otherwise a template where
//! {subject}, {name} and {<evidence key>} are replaced ({eta} spells evidence.eta_ns as "3 h").
template <class R>
struct rule_def {
  using rule_type = R;
  std::string name;
  severity sev = severity::warning;
  std::string message;
  typename R::params params{};
};

//! Settings of the whole engine.
struct options {
  //! The period at which evaluate() is called; the offline replay uses it for its boundaries.
  std::int64_t period_ns = 1'000'000'000;
  update_options update{};
};

//! A configuration: options and the rules in order (the order of the insights they emit).
template <class Rules>
struct config;
template <class... R>
struct config<rules<R...>> {
  options opts{};
  std::vector<std::variant<rule_def<R>...>> rules;

  template <class X>
  config& add(rule_def<X> def) {
    static_assert((std::is_same_v<X, R> || ...),
                  "insight::config<rules<...>>::add(def) requires the rule to be in the pack");
    rules.emplace_back(std::move(def));
    return *this;
  }
};

//! Something a user should know after a run: a rule that matched nothing, a missing limit.
struct diagnostic {
  std::string rule;
  std::string message;
};

namespace detail {

struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <class T, class... Ts>
inline constexpr bool distinct_types = (!std::is_same_v<T, Ts> && ...) && distinct_types<Ts...>;
template <class T>
inline constexpr bool distinct_types<T> = true;

}  // namespace detail

template <class Rules>
class engine;

//! The engine over the rules R... . Same records and same evaluate() times in, same insight
//! records out: nothing depends on the wall clock, threads, addresses or hash order.
//! @code
//! insight::engine<insight::all_rules> eng{insight::parse_rules<insight::all_rules>(json).cfg};
//! eng.observe(rec);                                  // every record, in time order
//! eng.evaluate(now_ns, [&](const record& ins) { sink.write(ins); });  // each period
//! @endcode
template <class... R>
class engine<rules<R...>> {
  static_assert(sizeof...(R) > 0, "insight::engine<rules<...>> needs at least one rule");
  static_assert(detail::distinct_types<R...>,
                "insight::engine<rules<...>> names the same rule twice");
  struct route;

 public:
  using rule_set = rules<R...>;
  using config_type = config<rules<R...>>;
  //! True if rule X is compiled into this engine.
  template <class X>
  static constexpr bool has_rule = (std::is_same_v<X, R> || ...);

  explicit engine(config_type cfg = {}) : opts_(cfg.opts) {
    for (auto& v : cfg.rules) {
      std::visit(
          [&](auto& def) {
            using D = std::decay_t<decltype(def)>;
            add_instance<index_of<typename D::rule_type>()>(std::move(def));
          },
          v);
    }
  }

  const options& opts() const noexcept { return opts_; }
  std::uint64_t ticks() const noexcept { return tick_; }
  std::size_t rule_count() const noexcept { return order_.size(); }

  //! Feeds one record (any kind; non-matching records cost one hash lookup).
  void observe(const record_view& r) {
    const auto& routes = routes_for(r);
    for (const auto& rt : routes) dispatch(rt, r, std::index_sequence_for<R...>{});
  }

  //! The rules a record's (kind, source, name) feed: a caller that interns keys looks them up
  //! once (routes(r)), then observe(routes, r) per record. Valid as long as the engine.
  class routes_ref {
   public:
    routes_ref() = default;
    //! True when no rule uses records of this key (observing them changes nothing).
    [[nodiscard]] bool empty() const noexcept { return p_ == nullptr || p_->empty(); }
    //! True when a rule reads more of these records than their head: time, kind, severity,
    //! flags, source and name (a caller with the head in hand decodes the rest only then).
    [[nodiscard]] bool needs_body() const noexcept {
      if (p_)
        for (const auto& rt : *p_)
          if (!rt.head_only) return true;
      return false;
    }

   private:
    friend class engine;
    explicit routes_ref(const std::vector<route>* p) noexcept : p_(p) {}
    const std::vector<route>* p_ = nullptr;
  };
  //! The rules records with r's kind, source and name feed (see routes_ref).
  routes_ref routes(const record_view& r) { return routes_ref{&routes_for(r)}; }
  //! Feeds one record whose routes the caller looked up: the same as observe(r).
  void observe(routes_ref rr, const record_view& r) {
    if (rr.empty()) return;
    for (const auto& rt : *rr.p_) dispatch(rt, r, std::index_sequence_for<R...>{});
  }

  //! Feeds one owning record (its field views reuse one buffer: no allocation once warm).
  void observe(const record& r) { observe(view_of(r, view_fields_)); }

  //! Evaluates every rule at `now` and calls emit(const record&) for each insight record that
  //! opens, updates or closes, in rule order then subject order (first seen first).
  template <class Emit>
  void evaluate(std::int64_t now, Emit&& emit) {
    const tick_context ctx{now, tick_, opts_.update};
    for (const auto& [type, idx] : order_)
      evaluate_one(type, idx, ctx, emit, std::index_sequence_for<R...>{});
    ++tick_;
  }

  //! What a user should know after a run (rules that matched nothing, subjects without limits).
  std::vector<diagnostic> diagnostics() const {
    std::vector<diagnostic> out;
    for (const auto& [type, idx] : order_)
      diagnose_one(type, idx, out, std::index_sequence_for<R...>{});
    return out;
  }

  //! Insights open now.
  std::size_t open_count() const {
    std::size_t n = 0;
    std::apply(
        [&](const auto&... vs) {
          (
              [&] {
                for (const auto& inst : vs)
                  for (const auto& s : inst.subjects) n += s.ep.is_open();
              }(),
              ...);
        },
        insts_);
    return n;
  }

 private:
  template <class X>
  struct subject {
    typename X::state st;
    episode ep;
  };

  template <class X>
  struct instance {
    rule_def<X> def;
    std::vector<field> param_fields;
    std::vector<subject<X>> subjects;
    std::unordered_map<std::string, std::uint32_t, detail::string_hash, std::equal_to<>> index;
    // The last subject looked up: a per-record one (by severity) mostly repeats; compare first.
    std::string last_key;
    std::uint32_t last = ~0u;
    std::uint64_t matched = 0, used = 0;
  };

  struct route {
    std::uint32_t inst = 0;
    std::uint32_t subject = 0;
    std::uint8_t type = 0;
    std::uint8_t role = 0;
    bool per_record = false;
    // A counting rule (counting(params) true: burst, rate "count") counts records by their
    // head and never reads their value or fields.
    bool head_only = false;
  };
  // A deque per name: routes_ref points into it, and a new (kind, source) must not move the
  // routes a caller holds.
  struct key_routes {
    record_kind kind;
    std::string source;
    std::vector<route> routes;
  };

  template <class X, std::size_t I = 0>
  static constexpr std::size_t index_of() {
    using T = std::tuple_element_t<I, std::tuple<R...>>;
    if constexpr (std::is_same_v<T, X>)
      return I;
    else
      return index_of<X, I + 1>();
  }
  template <std::size_t I>
  using rule_at = std::tuple_element_t<I, std::tuple<R...>>;

  template <std::size_t I, class Def>
  void add_instance(Def&& def) {
    using X = rule_at<I>;
    auto& vec = std::get<I>(insts_);
    instance<X> inst;
    inst.def = std::forward<Def>(def);
    if constexpr (requires { X::prepare(inst.def.params); }) X::prepare(inst.def.params);
    param_writer w{inst.param_fields};
    X::describe(inst.def.params, w);
    order_.emplace_back(static_cast<std::uint8_t>(I), static_cast<std::uint32_t>(vec.size()));
    vec.push_back(std::move(inst));
    cache_.clear();  // routes are computed per rule set
  }

  template <class X>
  static std::uint32_t subject_index(instance<X>& inst, std::string_view key) {
    if (inst.last != ~0u && detail::same_key(inst.last_key, key)) return inst.last;
    auto it = inst.index.find(key);
    if (it == inst.index.end()) {
      inst.subjects.emplace_back().st.subject = std::string{key};
      it = inst.index.emplace(key, static_cast<std::uint32_t>(inst.subjects.size() - 1)).first;
    }
    inst.last_key.assign(key.data(), key.size());
    return inst.last = it->second;
  }

  const std::vector<route>& routes_for(const record_view& r) {
    auto it = cache_.find(r.name);
    if (it == cache_.end())
      it = cache_.emplace(std::string{r.name}, std::deque<key_routes>{}).first;
    for (const auto& kr : it->second)
      if (kr.kind == r.kind && kr.source == r.source) return kr.routes;
    key_routes kr{r.kind, std::string{r.source}, {}};
    const record_key key{r.kind, r.source, r.name};
    for (const auto& [type, idx] : order_)
      select_one(type, idx, key, kr.routes, std::index_sequence_for<R...>{});
    it->second.push_back(std::move(kr));
    return it->second.back().routes;
  }

  template <std::size_t... I>
  void select_one(std::uint8_t type, std::uint32_t idx, const record_key& key,
                  std::vector<route>& out, std::index_sequence<I...>) {
    ((type == I ? select_in<I>(idx, key, out) : void()), ...);
  }
  template <std::size_t I>
  void select_in(std::uint32_t idx, const record_key& key, std::vector<route>& out) {
    using X = rule_at<I>;
    auto& inst = std::get<I>(insts_)[idx];
    auto m = X::select(inst.def.params, key);
    if (!m) return;
    route rt{idx, 0, static_cast<std::uint8_t>(I), m->role, m->per_record, false};
    if constexpr (requires { X::counting(inst.def.params); })
      rt.head_only = X::counting(inst.def.params);
    if (!m->per_record) rt.subject = subject_index(inst, m->subject);
    out.push_back(rt);
  }

  template <std::size_t... I>
  void dispatch(const route& rt, const record_view& r, std::index_sequence<I...>) {
    ((rt.type == I ? observe_in<I>(rt, r) : void()), ...);
  }
  template <std::size_t I>
  void observe_in(const route& rt, const record_view& r) {
    using X = rule_at<I>;
    auto& inst = std::get<I>(insts_)[rt.inst];
    ++inst.matched;
    std::uint32_t si = rt.subject;
    if constexpr (requires { X::record_subject(inst.def.params, r); }) {
      if (rt.per_record) si = subject_index(inst, X::record_subject(inst.def.params, r));
    }
    auto& sub = inst.subjects[si];
    if (X::observe(inst.def.params, sub.st, sub.ep, r, rt.role)) ++inst.used;
  }

  template <class Emit, std::size_t... I>
  void evaluate_one(std::uint8_t type, std::uint32_t idx, const tick_context& ctx, Emit& emit,
                    std::index_sequence<I...>) {
    ((type == I ? evaluate_in<I>(idx, ctx, emit) : void()), ...);
  }
  template <std::size_t I, class Emit>
  void evaluate_in(std::uint32_t idx, const tick_context& ctx, Emit& emit) {
    using X = rule_at<I>;
    auto& inst = std::get<I>(insts_)[idx];
    for (auto& sub : inst.subjects) {
      X::evaluate(inst.def.params, sub.st, sub.ep, ctx);
      if (!sub.ep.has_pending()) continue;
      sub.ep.drain(ctx.tick, [&](const transition& t) {
        const record rec = make_record(inst, sub.st.subject, t, ctx.now);
        emit(rec);
      });
    }
  }

  template <class X>
  static record make_record(const instance<X>& inst, const std::string& subj, const transition& t,
                            std::int64_t now) {
    record out;
    out.ts_ns = now;
    out.kind = record_kind::insight;
    out.sev = inst.def.sev;
    out.source = "insight";
    out.name = inst.def.name;
    if (std::isfinite(t.level)) out.val = t.level;
    auto& f = out.fields;
    f.reserve(10 + inst.param_fields.size() + t.ev.fields.size());
    f.push_back({"state", std::string{to_string(t.ph)}});
    f.push_back({"rule", std::string{X::type_name}});
    f.push_back({"subject", subj});
    f.push_back({"episode", static_cast<std::int64_t>(t.episode)});
    f.push_back({"onset", t.onset});
    if (t.ph == phase::closed) {
      f.push_back({"end", t.end});
      f.push_back({"duration_ns", t.end - t.onset});
    }
    f.push_back(
        {"message", inst.def.message.empty()
                        ? t.ev.message
                        : detail::render_message(inst.def.message, subj, inst.def.name, t.ev)});
    f.push_back({"window_ns", X::window_ns(inst.def.params)});
    f.insert(f.end(), inst.param_fields.begin(), inst.param_fields.end());
    f.insert(f.end(), t.ev.fields.begin(), t.ev.fields.end());
    return out;
  }

  template <std::size_t... I>
  void diagnose_one(std::uint8_t type, std::uint32_t idx, std::vector<diagnostic>& out,
                    std::index_sequence<I...>) const {
    ((type == I ? diagnose_in<I>(idx, out) : void()), ...);
  }
  template <std::size_t I>
  void diagnose_in(std::uint32_t idx, std::vector<diagnostic>& out) const {
    using X = rule_at<I>;
    const auto& inst = std::get<I>(insts_)[idx];
    std::string selection;
    for (const auto& f : inst.param_fields) {
      const auto k = std::string_view{f.key}.substr(6);
      if (k == "metric" || k == "key" || k == "name" || k == "source" || k == "kind" ||
          k == "field" || k == "limit_metric") {
        if (!selection.empty()) selection += ", ";
        selection += fmt::format("{}={}", k, value_text(f.val));
      }
    }
    const auto prefix = fmt::format("rule \"{}\" ({})", inst.def.name, X::type_name);
    if (inst.matched == 0) {
      out.push_back({inst.def.name, fmt::format("{}: no record matched ({})", prefix, selection)});
      return;
    }
    // A counting rule (burst, rate "count") uses only records at its severity: none on a
    // healthy store is the good case, not a misconfiguration.
    bool counting = false;
    if constexpr (requires { X::counting(inst.def.params); })
      counting = X::counting(inst.def.params);
    if (inst.used == 0 && counting) return;
    if (inst.used == 0) {
      out.push_back(
          {inst.def.name, fmt::format("{}: {} records matched but none was usable ({}; a numeric "
                                      "value or field is needed)",
                                      prefix, inst.matched, selection)});
      return;
    }
    if constexpr (requires(std::vector<std::string> & v) {
                    X::diagnose(inst.def.params, inst.subjects[0].st, v);
                  }) {
      std::vector<std::string> notes;
      for (const auto& s : inst.subjects) X::diagnose(inst.def.params, s.st, notes);
      for (auto& n : notes) out.push_back({inst.def.name, fmt::format("{}: {}", prefix, n)});
    }
  }

  options opts_;
  std::tuple<std::vector<instance<R>>...> insts_;
  std::vector<std::pair<std::uint8_t, std::uint32_t>> order_;
  std::unordered_map<std::string, std::deque<key_routes>, detail::string_hash, std::equal_to<>>
      cache_;
  std::uint64_t tick_ = 0;
  std::vector<field_view> view_fields_;  // observe(const record&) only
};

}  // namespace introspect::inline v1::insight
