#pragma once
//! Snapshot records of the Kubernetes source (the uber tier's way of recording resources, the
//! same shape as the etcd source's): each object of a collection's list becomes a record of kind
//! `snapshot` at the list's resourceVersion, between `begin` and `end` markers, and each change
//! the watch sees afterwards a `put` or `delete` snapshot record.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include <introspect/source/kubernetes/detail/redact.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/object_state.hpp>

namespace introspect::inline v1::kubernetes {

//! The name of the records that open and close one collection's snapshot.
inline constexpr std::string_view snapshot_marker = "kubernetes.snapshot";

//! The object's JSON, minified, without `metadata.managedFields` (server-side apply
//! bookkeeping that is often larger than the object and says nothing about its state). With
//! `redact` (options::redact_snapshots, the default) credentials are replaced by "<redacted>"
//! (detail/redact.hpp); `kind` is the object's kind ("Secret": every data value goes).
inline std::string object_json(simdjson::dom::element obj, bool redact = true,
                               std::string_view kind = {}) {
  std::string out;
  simdjson::dom::object top;
  if (obj.get_object().get(top) != simdjson::SUCCESS) {
    detail::append_redacted(out, obj, false);
    return out;
  }
  std::string_view own_kind;
  if (obj["kind"].get_string().get(own_kind) != simdjson::SUCCESS) own_kind = kind;
  if (!redact) {
    // Only managedFields is left out.
    out = "{";
    bool first = true;
    for (auto [key, val] : top) {
      if (!first) out.push_back(',');
      first = false;
      detail::append_json_string(out, key);
      out.push_back(':');
      simdjson::dom::object meta;
      if (key != "metadata" || val.get_object().get(meta) != simdjson::SUCCESS) {
        out += simdjson::to_string(val);
        continue;
      }
      out.push_back('{');
      bool first_meta = true;
      for (auto [mkey, mval] : meta) {
        if (mkey == "managedFields") continue;
        if (!first_meta) out.push_back(',');
        first_meta = false;
        detail::append_json_string(out, mkey);
        out.push_back(':');
        out += simdjson::to_string(mval);
      }
      out.push_back('}');
    }
    out.push_back('}');
    return out;
  }
  detail::append_redacted(out, obj, own_kind == "Secret" || kind == "Secret");
  return out;
}

//! Appends one object's snapshot record: `op` is "snapshot" (in a list), "put" or "delete" (seen
//! by the watch); `resource_version` is the list's (snapshot) or the change's (put, delete).
//! The object's recorded state fields ride along, so a query can filter on them.
inline void snapshot_object(std::vector<event>& out, std::int64_t ts, const object_state& o,
                            std::string json, std::string_view op, std::uint64_t snapshot_id,
                            const std::string& resource_version, const std::string& resource) {
  event e;
  e.kind = record_kind::snapshot;
  e.ts_ns = ts;
  e.name = o.key_prefix();
  const bool deleted = op == "delete";
  if (!deleted) e.val = std::move(json);
  e.fields.reserve(8 + (deleted ? 0 : o.fields.size()));
  e.fields.push_back({"op", std::string{op}});
  e.fields.push_back({"snapshot_id", static_cast<std::int64_t>(snapshot_id)});
  e.fields.push_back({"resource_version", resource_version});
  e.fields.push_back({"resource", resource});
  e.fields.push_back({"namespace", o.ns});
  e.fields.push_back({"kind", o.kind});
  e.fields.push_back({"object", o.name});
  if (!o.resource_version.empty())
    e.fields.push_back({"object_resource_version", o.resource_version});
  if (!deleted)
    for (const auto& [k, v] : o.fields) e.fields.push_back({k, v});
  out.push_back(std::move(e));
}

//! Appends a `begin` or `end` marker of one collection's snapshot (`objects` on `end` only).
inline void snapshot_marker_event(std::vector<event>& out, std::int64_t ts, std::string_view op,
                                  std::uint64_t snapshot_id, const std::string& resource_version,
                                  const std::string& resource, const std::string& watched_ns,
                                  std::int64_t objects, std::int64_t bytes) {
  event e;
  e.kind = record_kind::snapshot;
  e.ts_ns = ts;
  e.name = std::string{snapshot_marker};
  e.val = std::string{op};
  e.fields = {{"snapshot_id", static_cast<std::int64_t>(snapshot_id)},
              {"op", std::string{op}},
              {"resource", resource},
              {"namespace", watched_ns},
              {"resource_version", resource_version}};
  if (op != "begin") {
    e.fields.push_back({"objects", objects});
    e.fields.push_back({"bytes", bytes});
  }
  out.push_back(std::move(e));
}

}  // namespace introspect::inline v1::kubernetes
