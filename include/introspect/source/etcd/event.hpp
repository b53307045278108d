#pragma once
//! What the etcd source produces: owned records that cross from its thread to the collector,
//! and their delivery as record_views.
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/kind.hpp>
#include <introspect/core/record.hpp>
#include <introspect/core/value.hpp>

namespace introspect::inline v1::etcd {

//! The `source` of every record this source makes.
inline constexpr std::string_view source_name = "etcd";
//! The name of the records that open and close one prefix of a snapshot.
inline constexpr std::string_view snapshot_marker = "etcd.snapshot";

//! One record, owned so that it can wait in the hand-off queue.
struct event {
  record_kind kind = record_kind::snapshot;  // snapshot, or notification for failures
  std::int64_t ts_ns = 0;
  severity sev = severity::info;
  std::string name;  // the key, the marker's name, or the notification's message
  value val;
  std::vector<field> fields;
};

//! Hands `e` to `emit` as a record_view (source "etcd"), valid during the call only.
template <class Emit>
requires std::invocable<Emit&, const record_view&>
void deliver(const event& e, Emit& emit, std::vector<field_view>& scratch) {
  scratch.clear();
  for (const auto& f : e.fields) scratch.push_back({f.key, to_view(f.val)});
  record_view r;
  r.ts_ns = e.ts_ns;
  r.kind = e.kind;
  r.sev = e.sev;
  r.source = source_name;
  r.name = e.name;
  r.val = to_view(e.val);
  r.fields = scratch;
  emit(static_cast<const record_view&>(r));
}

}  // namespace introspect::inline v1::etcd
