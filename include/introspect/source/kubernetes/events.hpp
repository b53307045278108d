#pragma once
//! Kubernetes Events (events.k8s.io/v1, or core v1) as notifications: what the cluster said
//! about an object ("Readiness probe failed", "Back-off restarting failed container"), with its
//! reason, message, involved object, count, first/last time and reporting component. The API
//! server keeps Events for about an hour; recorded, they last the stream's retention. An Event
//! repeated by its reporter is one object whose count grows: it is recorded again only when its
//! count does (series.count, or the deprecated count).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <introspect/format/rfc3339.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/object_state.hpp>

namespace introspect::inline v1::kubernetes {

//! What one Event object says, from either API version.
struct cluster_event {
  std::string ns, name;  // the Event object's own
  std::string resource_version;
  std::string type;  // "Normal" | "Warning"
  std::string reason, message;
  std::string object_kind, object_name, object_ns, field_path;
  std::string reporter;  // reportingController, or the deprecated source.component
  std::string first_time, last_time;
  std::int64_t count = 1;
};

//! Reads an Event (events.k8s.io/v1 or v1); false without metadata.name.
inline bool read_cluster_event(simdjson::dom::element obj, cluster_event& e) {
  using detail::json_string;
  e = {};
  auto meta = obj["metadata"];
  e.name = json_string(meta["name"]);
  if (e.name.empty()) return false;
  e.ns = json_string(meta["namespace"]);
  e.resource_version = json_string(meta["resourceVersion"]);
  e.type = json_string(obj["type"], "Normal");
  e.reason = json_string(obj["reason"]);
  // events.k8s.io/v1 says note/regarding/series; core v1 message/involvedObject/count.
  e.message = json_string(obj["note"], json_string(obj["message"]));
  auto about = obj["regarding"];
  if (about.error() != simdjson::SUCCESS) about = obj["involvedObject"];
  e.object_kind = json_string(about["kind"]);
  e.object_name = json_string(about["name"]);
  e.object_ns = json_string(about["namespace"], e.ns);
  e.field_path = json_string(about["fieldPath"]);
  e.reporter = json_string(obj["reportingController"], json_string(obj["reportingComponent"]));
  if (e.reporter.empty())
    e.reporter =
        json_string(obj["deprecatedSource"]["component"], json_string(obj["source"]["component"]));
  std::int64_t n = 0;
  if (detail::json_int(obj["series"]["count"], n) || detail::json_int(obj["deprecatedCount"], n) ||
      detail::json_int(obj["count"], n))
    e.count = n > 0 ? n : 1;
  e.first_time = json_string(obj["deprecatedFirstTimestamp"], json_string(obj["firstTimestamp"]));
  e.last_time = json_string(obj["series"]["lastObservedTime"]);
  if (e.last_time.empty())
    e.last_time = json_string(obj["deprecatedLastTimestamp"], json_string(obj["lastTimestamp"]));
  if (e.last_time.empty()) e.last_time = json_string(obj["eventTime"]);
  if (e.last_time.empty()) e.last_time = json_string(meta["creationTimestamp"]);
  if (e.first_time.empty()) e.first_time = json_string(obj["eventTime"], e.last_time);
  return true;
}

//! Appends the notification of `e` when it is new or its count grew since `seen` (by Event
//! "<ns>/<name>"), and remembers its count. Warning Events are warnings, the rest info.
inline void record_cluster_event(const cluster_event& e, std::map<std::string, std::int64_t>& seen,
                                 std::int64_t ts, std::vector<event>& out) {
  auto& known = seen[e.ns + "/" + e.name];
  if (known >= e.count) return;  // the same occurrence again (a no-op update, a re-list)
  known = e.count;
  event n;
  n.kind = record_kind::notification;
  n.ts_ns = ts;
  n.sev = e.type == "Warning" ? severity::warning : severity::info;
  n.name = "Event " + e.object_kind + " " + e.object_ns + "/" + e.object_name + ": " + e.reason +
           ": " + e.message;
  n.fields = {{"namespace", e.object_ns}, {"kind", e.object_kind}, {"name", e.object_name},
              {"reason", e.reason},       {"message", e.message},  {"type", e.type},
              {"count", e.count},         {"event", e.name}};
  if (!e.field_path.empty()) n.fields.push_back({"field_path", e.field_path});
  if (!e.reporter.empty()) n.fields.push_back({"reporting_component", e.reporter});
  if (!e.first_time.empty()) n.fields.push_back({"first_time", e.first_time});
  if (!e.last_time.empty()) {
    n.fields.push_back({"last_time", e.last_time});
    if (const auto t = parse_rfc3339(e.last_time)) n.fields.push_back({"event_ts", *t});
  }
  if (!e.resource_version.empty()) n.fields.push_back({"resource_version", e.resource_version});
  out.push_back(std::move(n));
}

}  // namespace introspect::inline v1::kubernetes
