#pragma once
//! One collection's snapshot (options::snapshots): the list just read, recorded whole at its
//! resourceVersion between begin and end markers, unchanged objects as references.
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <introspect/source/kubernetes/collection.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/object_state.hpp>
#include <introspect/source/kubernetes/snapshot.hpp>

namespace introspect::inline v1::kubernetes {

//! The list just read, whole, at its resourceVersion: begin marker, objects in key order, end.
// With options::snapshot_references an object whose JSON is the same as in the last
// snapshot that recorded it whole is recorded without a value, with `same_as_snapshot` = that
// snapshot's id: history lasts days instead of hours (docs/kubernetes.md).
inline void record_snapshot(collection& t, const std::map<std::string, object_state>& objects,
                            std::map<std::string, std::string>& json, const std::string& rv,
                            std::int64_t ts, std::uint64_t id, const std::string& watched_ns,
                            bool references_on, std::vector<event>& out) {
  t.snapshot_id = id;
  snapshot_marker_event(out, ts, "begin", id, rv, t.st.name, watched_ns, 0, 0);
  std::int64_t bytes = 0, stored = 0, references = 0;
  std::map<std::string, collection::whole_copy> next;
  for (const auto& [key, o] : objects) {
    auto& j = json[key];
    bytes += static_cast<std::int64_t>(j.size());
    const collection::whole_copy now{std::hash<std::string>{}(j), j.size(), id};
    const auto prev = t.whole.find(key);
    if (references_on && prev != t.whole.end() && prev->second.hash == now.hash &&
        prev->second.size == now.size) {
      // Identity only: the fields are in the record it refers to.
      const object_state bare{o.ns, o.name, o.kind, o.resource_version, {}};
      snapshot_object(out, ts, bare, {}, "snapshot", id, rv, t.st.name);
      out.back().val = value{};
      out.back().fields.push_back(
          {"same_as_snapshot", static_cast<std::int64_t>(prev->second.snapshot_id)});
      next.emplace(key, prev->second);
      ++references;
      continue;
    }
    stored += static_cast<std::int64_t>(j.size());
    next.emplace(key, now);
    snapshot_object(out, ts, o, std::move(j), "snapshot", id, rv, t.st.name);
  }
  t.whole = std::move(next);
  snapshot_marker_event(out, ts, "end", id, rv, t.st.name, watched_ns,
                        static_cast<std::int64_t>(objects.size()), bytes);
  out.back().fields.push_back({"stored_bytes", stored});
  out.back().fields.push_back({"references", references});
  ++t.st.snapshots;
  t.st.snapshot_id = id;
}

}  // namespace introspect::inline v1::kubernetes
