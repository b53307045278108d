#pragma once
//! Insights computed inside the product (medium tier up), on the writer thread, never on the
//! product's calling thread: every stored record goes through the same replay driver the
//! offline `introspect insights` uses, so both give the same insights for the same records.
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
  template <class Emit>
  void observe(const record_view&, Emit&&) noexcept {}
};

//! With the insight kind: the default rules (docs/insights.md) over every stored record.
template <>
class online_insights<true> {
 public:
  //! Observes a stored record; insights it completes are passed to emit(record_view).
  template <class Emit>
  void observe(const record_view& r, Emit&& emit) {
    if (r.kind == record_kind::insight) return;  // conclusions are not evidence
    replay_.observe(r, [&](const record& ins) { with_view(ins, emit); });
  }

 private:
  insight::full_engine engine_{insight::default_config()};
  insight::replay<insight::full_engine> replay_{engine_};
};

}  // namespace introspect::inline v1
