#pragma once
//! One line of a Kubernetes watch stream applied to a watched collection: ADDED / MODIFIED /
//! DELETED objects become state changes and notifications (and, with options::snapshots,
//! `put` / `delete` snapshot records), BOOKMARKs move the resume point, Events become
//! notifications, and an ERROR event with code 410 says the watch expired.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/collection.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/events.hpp>
#include <introspect/source/kubernetes/object_state.hpp>
#include <introspect/source/kubernetes/options.hpp>
#include <introspect/source/kubernetes/snapshot.hpp>

namespace introspect::inline v1::kubernetes {

//! Applies one watch event (a JSON line) to `t`, appending its records to `out`. False stops
//! the stream: `expired` is set for 410 Gone, `bad` names a broken event.
inline bool apply_watch_event(collection& t, simdjson::dom::parser& parser, std::string_view line,
                              const options& opts, bool& expired, std::string& bad,
                              std::vector<event>& out) {
  simdjson::dom::element doc;
  if (auto err = parser.parse(line.data(), line.size()).get(doc); err) {
    bad = std::string{"invalid JSON event: "} + simdjson::error_message(err);
    return false;
  }
  ++t.st.events;
  std::string_view type, s;
  if (doc["type"].get_string().get(type) != simdjson::SUCCESS) {
    bad = "event without a type";
    return false;
  }
  simdjson::dom::element obj;
  if (doc["object"].get(obj) != simdjson::SUCCESS) {
    bad = "event without an object";
    return false;
  }
  if (type == "ERROR") {
    std::int64_t code = 0;
    detail::json_int(obj["code"], code);
    if (code == 410) {
      expired = true;
      return false;
    }
    if (obj["message"].get_string().get(s) != simdjson::SUCCESS) s = "no message";
    bad = "ERROR event " + std::to_string(code) + ": " + std::string{s};
    return false;
  }
  if (type == "BOOKMARK") {
    if (obj["metadata"]["resourceVersion"].get_string().get(s) == simdjson::SUCCESS) t.rv = s;
    return true;
  }
  if (t.res.shape == shape::event) {
    cluster_event e;
    if (!read_cluster_event(obj, e)) {
      bad = "event object without metadata.name";
      return false;
    }
    if (type == "DELETED")
      t.event_counts.erase(e.ns + "/" + e.name);  // expired: not news
    else
      record_cluster_event(e, t.event_counts, opts.clock(), out);
    if (!e.resource_version.empty()) t.rv = e.resource_version;
    return true;
  }
  object_state o;
  if (!read_object(obj, t.res, {}, o)) {
    bad = "event object without metadata.name";
    return false;
  }
  const auto key = o.ns + "/" + o.name;
  const auto ts = opts.clock();
  const auto it = t.objects.find(key);
  if (type == "DELETED") {
    // The notification carries the deletion's resourceVersion, not the last one known.
    object_state gone = it != t.objects.end() ? it->second : o;
    gone.resource_version = o.resource_version;
    deleted(gone, ts, out);
    if (it != t.objects.end()) t.objects.erase(it);
    if (opts.snapshots)
      snapshot_object(out, ts, o, {}, "delete", t.snapshot_id, o.resource_version, t.st.name);
  } else if (type == "ADDED" || type == "MODIFIED") {
    diff(it == t.objects.end() ? nullptr : &it->second, o, true, ts, out);
    if (opts.snapshots)
      snapshot_object(out, ts, o, object_json(obj, opts.redact_snapshots, o.kind), "put",
                      t.snapshot_id, o.resource_version, t.st.name);
    t.objects[key] = o;
  } else {
    bad = "unknown event type " + std::string{type};
    return false;
  }
  if (!o.resource_version.empty()) t.rv = o.resource_version;
  return true;
}

}  // namespace introspect::inline v1::kubernetes
