#pragma once
//! Insights computed inside the product (medium tier up), on the writer thread, never on the
//! product's calling thread: every stored record goes through the same replay driver the
//! offline `introspect insights` uses, so both give the same insights for the same records.
#include <cstdint>
#include <utility>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/default_rules.hpp>
#include <introspect/insight/replay.hpp>

namespace introspect::inline v1 {

//! Calls fn(record_view) viewing an owning record.
template <class Fn>
void with_view(const record& r, Fn&& fn) {
  std::vector<field_view> f;
  fn(view_of(r, f));
}

//! Without the insight kind: an empty type.
template <bool Enabled>
struct online_insights {
  struct routes_ref {
    [[nodiscard]] constexpr bool empty() const noexcept { return true; }
  };
  routes_ref routes(const record_view&) noexcept { return {}; }
  template <class Emit>
  void observe(const record_view&, Emit&&) noexcept {}
  template <class Emit>
  void observe(routes_ref, const record_view&, Emit&&) noexcept {}
};

//! With the insight kind: the default rules (docs/insights.md) over every stored record.
template <>
class online_insights<true> {
  // The replay driver over the engine, with the routes of the record being observed handed
  // beside it: the writer thread looks a key's routes up once (its interned keys), and a
  // record that no rule uses, or only rules that count records by their head use
  // (routes_ref::needs_body), is never decoded past its name.
  struct routed_engine {
    insight::full_engine& e;
    insight::full_engine::routes_ref next{};
    bool looked_up = false;
    const insight::options& opts() const noexcept { return e.opts(); }
    template <class Emit>
    void evaluate(std::int64_t now, Emit&& emit) {
      e.evaluate(now, std::forward<Emit>(emit));
    }
    void observe(const record_view& r) {
      if (looked_up)
        e.observe(next, r);
      else
        e.observe(r);
    }
  };

 public:
  using routes_ref = insight::full_engine::routes_ref;

  //! The rules records of r's key feed (held by the caller for every record of that key).
  routes_ref routes(const record_view& r) { return engine_.routes(r); }

  //! Observes a stored record; insights it completes are passed to emit(record_view).
  template <class Emit>
  void observe(const record_view& r, Emit&& emit) {
    if (r.kind == record_kind::insight) return;  // conclusions are not evidence
    routed_.looked_up = false;
    replay_.observe(r, [&](const record& ins) { with_view(ins, emit); });
  }

  //! Observes a stored record whose routes the caller looked up. When `routes` is empty, `r`
  //! only needs its time and kind: it still moves the period boundaries (as in the offline
  //! replay), and no rule reads the rest.
  template <class Emit>
  void observe(routes_ref routes, const record_view& r, Emit&& emit) {
    if (r.kind == record_kind::insight) return;
    routed_.next = routes;
    routed_.looked_up = true;
    replay_.observe(r, [&](const record& ins) { with_view(ins, emit); });
  }

 private:
  insight::full_engine engine_{insight::default_config()};
  routed_engine routed_{engine_};
  insight::replay<routed_engine> replay_{routed_};
};

}  // namespace introspect::inline v1
