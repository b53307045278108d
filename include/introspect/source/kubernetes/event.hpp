#pragma once
//! What the Kubernetes source produces: owned state, notification and snapshot records
//! (source::owned_record) that cross from its thread to the collector, and the two ways to
//! deliver them to an engine.
#include <concepts>
#include <cstdint>
#include <functional>
#include <span>
#include <string_view>
#include <vector>

#include <introspect/source/owned_record.hpp>

namespace introspect::inline v1::kubernetes {

//! The `source` of every record this source makes.
inline constexpr std::string_view source_name = "kubernetes";

//! One state change, notification or snapshot record (options::snapshots), owned so that it
//! can wait in the hand-off queue: `fields` are a notification's attributes.
using event = ::introspect::source::owned_record;

//! The callback interface an engine is wired through when it does not take record_view.
struct callbacks {
  //! A state record: source is "kubernetes", key "<ns>/<Kind>/<name>/<field>".
  std::function<void(std::string_view source, std::string_view key, value_view v,
                     std::int64_t ts_ns)>
      emit_state;
  //! A notification with its attributes (namespace, kind, name, field, old, new, cause...).
  std::function<void(severity s, std::string_view message, std::span<const field_view> attributes,
                     std::int64_t ts_ns)>
      emit_notification;
};

//! Hands `e` to `emit` as a record_view (source "kubernetes"), valid during the call only.
template <class Emit>
requires std::invocable<Emit&, const record_view&>
void deliver(const event& e, Emit& emit) {
  std::vector<field_view> scratch;
  ::introspect::source::deliver(e, source_name, emit, scratch);
}

//! Hands `e` to the matching callback (a missing callback, or a snapshot event, drops it).
inline void deliver(const event& e, const callbacks& cb) {
  if (e.kind == record_kind::state) {
    if (cb.emit_state) cb.emit_state(source_name, e.name, to_view(e.val), e.ts_ns);
    return;
  }
  // Snapshot records (options::snapshots) are whole records: only the record_view interface
  // carries them.
  if (e.kind != record_kind::notification || !cb.emit_notification) return;
  std::vector<field_view> fields;
  fields.reserve(e.fields.size());
  for (const auto& a : e.fields) fields.push_back({a.key, to_view(a.val)});
  cb.emit_notification(e.sev, e.name, fields, e.ts_ns);
}

}  // namespace introspect::inline v1::kubernetes
