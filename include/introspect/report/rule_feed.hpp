#pragma once
//! The insight rules replayed from an unordered scan: while the records of a store go by in any
//! order (each stream in its own order: query/read/unordered_scan.hpp), a rule_feed keeps only what
//! the rules read (the records their select() picks, thinned where a rule cannot tell the
//! difference) and the periods that held any record; replay() then sorts that little and
//! drives the engine exactly as insight::replay over every record in time order would: the
//! same boundaries evaluated, the same records observed by the same rules.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/replay.hpp>

namespace introspect::inline v1::report {

namespace detail {

inline value_view as_view(const value& v) noexcept { return to_view(v); }
inline value_view as_view(const value_view& v) noexcept { return v; }

// `out` becomes an owning copy of `r` (a record or a view), reusing its strings' capacity.
template <class R>
void assign_record(record& out, const R& r, std::string_view instance) {
  out.ts_ns = r.ts_ns;
  out.kind = r.kind;
  out.sev = r.sev;
  out.mtype = r.mtype;
  out.flags = r.flags;
  out.instance.assign(instance);
  out.source.assign(r.source);
  out.name.assign(r.name);
  out.val = to_value(as_view(r.val));
  out.fields.resize(r.fields.size());
  for (std::size_t i = 0; i < r.fields.size(); ++i) {
    out.fields[i].key.assign(r.fields[i].key);
    if constexpr (requires { r.fields[i].val; })
      out.fields[i].val = r.fields[i].val;
    else
      out.fields[i].val = to_value(r.fields[i].value);
  }
}

}  // namespace detail

//! What the rules of a configuration want of a record, by its (kind, source, name).
class rule_interest {
 public:
  using config_type = insight::config<insight::all_rules>;

  //! none: no rule reads it; keep: replay it; thin: only the first and the last record of each
  //! period per `subject` matter (a heartbeat that only watches for silence: a gap inside one
  //! period is shorter than its timeout, and no evaluation falls between them).
  struct verdict {
    enum what_t : std::uint8_t { none, keep, thin } what = none;
    std::string subject;  //!< thin: the rule and the subject, as one key
  };

  explicit rule_interest(const config_type& cfg) : original_(cfg), cfg_(cfg) {
    period_ = cfg.opts.period_ns > 0 ? cfg.opts.period_ns : 1'000'000'000;
    // The engine prepares each rule's parameters before it selects with them.
    for (auto& v : cfg_.rules)
      std::visit(
          [](auto& def) {
            using X = typename std::decay_t<decltype(def)>::rule_type;
            if constexpr (requires { X::prepare(def.params); }) X::prepare(def.params);
          },
          v);
  }

  //! The configuration as given (the engine prepares its own parameters).
  const config_type& config() const noexcept { return original_; }
  std::int64_t period_ns() const noexcept { return period_; }

  verdict classify(record_kind kind, std::string_view source, std::string_view name) const {
    const insight::record_key key{kind, source, name};
    verdict out;
    int matches = 0;
    for (std::size_t i = 0; i < cfg_.rules.size(); ++i)
      std::visit(
          [&](const auto& def) {
            using X = typename std::decay_t<decltype(def)>::rule_type;
            const auto m = X::select(def.params, key);
            if (!m) return;
            bool thin = false;
            if constexpr (std::is_same_v<X, insight::heartbeat>)
              thin =
                  !def.params.require_change && def.params.timeout.ns >= period_ && !m->per_record;
            if (++matches == 1 && thin) {
              out.what = verdict::thin;
              out.subject = std::to_string(i) + '\n' + m->subject;
            } else {
              out.what = verdict::keep;
            }
          },
          cfg_.rules[i]);
    if (matches > 1) out.what = verdict::keep, out.subject.clear();
    return out;
  }

 private:
  config_type original_, cfg_;  // cfg_: parameters prepared, for select()
  std::int64_t period_ = 1'000'000'000;
};

//! One instance's records for its rules, gathered in any order and replayed in time order.
class rule_feed {
 public:
  explicit rule_feed(std::int64_t period_ns) : period_(period_ns) {}

  //! The period of a record at `ts`: k with (k-1)·period < ts <= k·period, as insight::replay
  //! groups records between two evaluations.
  std::int64_t period_of(std::int64_t ts) const noexcept {
    const auto t = ts - 1;
    const auto q = t / period_;
    return (t % period_ < 0 ? q - 1 : q) + 1;
  }

  //! Every record the replay would see (selected or not): its period is evaluated.
  void note(std::int64_t ts) {
    const auto p = period_of(ts);
    if (periods_.empty() || periods_.back() != p) periods_.push_back(p);
  }

  //! A record a rule reads.
  template <class R>
  void keep(const R& r, std::string_view instance) {
    kept_.emplace_back();
    detail::assign_record(kept_.back(), r, instance);
  }

  //! A record only a silence-watching rule reads: kept when it is the first or the last of its
  //! period for `slot` (a number from slot_of()).
  template <class R>
  void thin(std::uint32_t slot, const R& r, std::string_view instance) {
    auto& s = slots_[slot];
    const auto p = period_of(r.ts_ns);
    if (!s.used || s.period != p) {
      s = {true, p, static_cast<std::uint32_t>(kept_.size()),
           static_cast<std::uint32_t>(kept_.size())};
      keep(r, instance);
      return;
    }
    if (r.ts_ns >= kept_[s.last].ts_ns) {
      if (s.last == s.first)
        s.last = static_cast<std::uint32_t>(kept_.size()), kept_.emplace_back();
      detail::assign_record(kept_[s.last], r, instance);
    } else if (r.ts_ns < kept_[s.first].ts_ns) {
      if (s.last == s.first)
        s.first = static_cast<std::uint32_t>(kept_.size()), kept_.emplace_back();
      detail::assign_record(kept_[s.first], r, instance);
    }
  }

  //! The slot of a thinned subject (rule_interest::verdict::subject).
  std::uint32_t slot_of(const std::string& subject) {
    auto [it, fresh] = slot_ids_.try_emplace(subject, static_cast<std::uint32_t>(slots_.size()));
    if (fresh) slots_.emplace_back();
    return it->second;
  }

  std::size_t kept() const noexcept { return kept_.size(); }

  //! Replays the kept records in time order through a new engine of `interest`'s rules, with
  //! an evaluation at every boundary a full replay evaluates; emit(const record&) gets the
  //! insights. Returns the engine's diagnostics. The feed is consumed.
  template <class Emit>
  std::vector<insight::diagnostic> replay(const rule_interest& interest, Emit&& emit) {
    std::sort(periods_.begin(), periods_.end());
    periods_.erase(std::unique(periods_.begin(), periods_.end()), periods_.end());
    // Records of equal time keep the order they were read in (one stream's own order).
    std::stable_sort(kept_.begin(), kept_.end(),
                     [](const record& a, const record& b) { return a.ts_ns < b.ts_ns; });
    insight::full_engine engine{interest.config()};
    insight::replay<insight::full_engine> rp{engine, period_};
    std::size_t j = 0;
    for (const auto p : periods_) {
      rp.advance(p * period_, emit);
      while (j < kept_.size() && period_of(kept_[j].ts_ns) <= p) rp.observe(kept_[j++], emit);
    }
    rp.finish(emit);
    kept_.clear();
    periods_.clear();
    return engine.diagnostics();
  }

 private:
  struct slot {
    bool used = false;
    std::int64_t period = 0;
    std::uint32_t first = 0, last = 0;
  };
  std::int64_t period_;
  std::vector<record> kept_;
  std::vector<std::int64_t> periods_;
  std::vector<slot> slots_;
  std::unordered_map<std::string, std::uint32_t> slot_ids_;
};

}  // namespace introspect::inline v1::report
