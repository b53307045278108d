#pragma once
//! The record a threaded source's thread makes and the collector's thread delivers: owned, so
//! that it can wait in the hand-off queue, and turned into a record_view only for the call.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/kind.hpp>
#include <introspect/core/record.hpp>
#include <introspect/core/value.hpp>

namespace introspect::inline v1::source {

//! One state, notification or snapshot record, owned (the source's name is not stored: every
//! record of one queue has the same).
struct owned_record {
  record_kind kind = record_kind::state;
  std::int64_t ts_ns = 0;  // when the source saw it (the read time)
  severity sev = severity::info;
  std::string name;  // a state's key, a snapshot's key, or a notification's message
  value val;
  std::vector<field> fields;
};

//! Hands `r` to `emit` as a record_view of `source`, valid during the call only; `scratch` is
//! reused between calls so that delivery does not allocate per record.
template <class Emit>
requires std::invocable<Emit&, const record_view&>
void deliver(const owned_record& r, std::string_view source, Emit& emit,
             std::vector<field_view>& scratch) {
  scratch.clear();
  for (const auto& f : r.fields) scratch.push_back({f.key, to_view(f.val)});
  record_view v;
  v.ts_ns = r.ts_ns;
  v.kind = r.kind;
  v.sev = r.sev;
  v.source = source;
  v.name = r.name;
  v.val = to_view(r.val);
  v.fields = scratch;
  emit(static_cast<const record_view&>(v));
}

}  // namespace introspect::inline v1::source
