#pragma once
//! Reads the recorded fields of one Kubernetes object (Deployment, StatefulSet, Pod or a
//! custom resource) from its JSON: replicas, generation, conditions, phase, restarts.
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include <introspect/core/value.hpp>
#include <introspect/source/kubernetes/resource.hpp>

namespace introspect::inline v1::kubernetes {

//! The namespace part of the keys of cluster-scoped objects ('_' is never in a namespace name).
inline constexpr std::string_view cluster_scope = "_cluster";

//! What is recorded of one object: its identity and its fields, in a stable order.
struct object_state {
  std::string ns;  // cluster_scope for cluster-scoped objects
  std::string name;
  std::string kind;
  std::string resource_version;
  std::vector<std::pair<std::string, value>> fields;

  //! "<ns>/<Kind>/<name>": the prefix of every key of this object.
  std::string key_prefix() const { return ns + "/" + kind + "/" + name; }
  //! A field's value, or nullptr.
  const value* find(std::string_view field) const noexcept {
    for (const auto& [k, v] : fields)
      if (k == field) return &v;
    return nullptr;
  }
};

namespace detail {

using simdjson::dom::element;

// simdjson's get() assigns even on error: read into a temporary so that a default survives.
inline std::string_view json_string(simdjson::simdjson_result<element> e,
                                    std::string_view default_value = {}) {
  std::string_view s;
  return e.get_string().get(s) == simdjson::SUCCESS ? s : default_value;
}

inline bool json_int(simdjson::simdjson_result<element> e, std::int64_t& out) {
  std::int64_t v = 0;
  if (e.get_int64().get(v) != simdjson::SUCCESS) return false;
  out = v;
  return true;
}

inline void add(object_state& o, std::string field, value v) {
  o.fields.emplace_back(std::move(field), std::move(v));
}

// A non-empty string member as a field (nothing when absent or empty).
inline void read_text(simdjson::simdjson_result<element> e, object_state& o, std::string field) {
  std::string_view s;
  if (e.get_string().get(s) == simdjson::SUCCESS && !s.empty())
    add(o, std::move(field), std::string{s});
}

// A container state (`state` or `lastState`): which one, and its reason, message, exit code
// and times under `prefix` ("container/<c>/" + "waiting." / "terminated." / "last.").
inline void read_container_state(simdjson::simdjson_result<element> st, object_state& o,
                                 const std::string& c, bool last) {
  for (const char* which : {"waiting", "running", "terminated"}) {
    auto s = st[which];
    simdjson::dom::object obj;
    if (s.get_object().get(obj) != simdjson::SUCCESS) continue;
    if (last && std::string_view{which} != "terminated") continue;
    std::string p = "container/";
    p += c;
    p += '/';
    if (!last) add(o, p + "state", std::string{which});
    p += last ? "last" : which;
    p += '.';
    if (std::string_view{which} == "running") return;
    read_text(s["reason"], o, p + "reason");
    read_text(s["message"], o, p + "message");
    if (std::string_view{which} == "terminated") {
      std::int64_t code = 0;
      if (json_int(s["exitCode"], code)) add(o, p + "exit_code", code);
      read_text(s["finishedAt"], o, p + "finished_at");
    }
    return;
  }
}

// status.conditions[]: "condition/<type>" = "True" | "False" | "Unknown" per entry, and the
// why beside it: "condition/<type>.reason", ".message", ".last_transition" (RFC 3339).
inline void read_conditions(simdjson::simdjson_result<element> status, object_state& o) {
  simdjson::dom::array conds;
  if (status["conditions"].get_array().get(conds) != simdjson::SUCCESS) return;
  for (element c : conds) {
    std::string_view type, st;
    if (c["type"].get_string().get(type) != simdjson::SUCCESS) continue;
    if (c["status"].get_string().get(st) != simdjson::SUCCESS) st = "Unknown";
    const std::string key = "condition/" + std::string{type};
    add(o, key, std::string{st});
    read_text(c["reason"], o, key + ".reason");
    read_text(c["message"], o, key + ".message");
    read_text(c["lastTransitionTime"], o, key + ".last_transition");
  }
}

// Workload replicas: absent status counters are 0 (the API server omits zero values).
inline void read_replicas(element obj, object_state& o, bool always) {
  auto spec = obj["spec"];
  auto status = obj["status"];
  std::int64_t desired = 1, n = 0;
  const bool has_desired = json_int(spec["replicas"], desired);
  const bool has_status = json_int(status["replicas"], n);
  if (!always && !has_desired && !has_status) return;
  add(o, "replicas.desired", desired);  // spec.replicas defaults to 1
  add(o, "replicas.current", n);
  n = 0;
  json_int(status["readyReplicas"], n);
  add(o, "replicas.ready", n);
  n = 0;
  json_int(status["availableReplicas"], n);
  add(o, "replicas.available", n);
  n = 0;
  json_int(status["updatedReplicas"], n);
  add(o, "replicas.updated", n);
}

inline void read_generation(element obj, object_state& o, bool always) {
  std::int64_t g = 0, og = 0;
  const bool has_g = json_int(obj["metadata"]["generation"], g);
  const bool has_og = json_int(obj["status"]["observedGeneration"], og);
  if (has_g || always) add(o, "generation", g);
  if (has_og || always) add(o, "generation.observed", og);
}

inline void read_pod(element obj, object_state& o) {
  auto status = obj["status"];
  std::string_view phase;
  if (status["phase"].get_string().get(phase) == simdjson::SUCCESS)
    add(o, "phase", std::string{phase});
  std::string_view reason;
  if (status["reason"].get_string().get(reason) == simdjson::SUCCESS)
    add(o, "reason", std::string{reason});
  read_text(status["message"], o, "message");
  read_text(obj["spec"]["nodeName"], o, "node");
  std::int64_t total = 0;
  std::vector<std::pair<std::string, value>> per_container;
  for (const char* list : {"initContainerStatuses", "containerStatuses"}) {
    simdjson::dom::array cs;
    if (status[list].get_array().get(cs) != simdjson::SUCCESS) continue;
    for (element c : cs) {
      const std::string name{json_string(c["name"], "?")};
      std::int64_t restarts = 0;
      json_int(c["restartCount"], restarts);
      total += restarts;
      bool ready = false;
      if (c["ready"].get_bool().get(ready) != simdjson::SUCCESS) ready = false;
      per_container.emplace_back("container/" + name + "/restarts", restarts);
      per_container.emplace_back("container/" + name + "/ready", ready);
      object_state why;  // state and lastState: the why of a restart or a wait
      read_container_state(c["state"], why, name, false);
      read_container_state(c["lastState"], why, name, true);
      for (auto& f : why.fields) per_container.push_back(std::move(f));
    }
  }
  add(o, "restarts", total);
  for (auto& f : per_container) o.fields.push_back(std::move(f));
}

}  // namespace detail

//! Reads `obj` as an object of `r`; `list_kind` ("DeploymentList") names the kind when
//! neither the resource nor the object does. False when the object has no metadata.name.
inline bool read_object(simdjson::dom::element obj, const resource& r, std::string_view list_kind,
                        object_state& out) {
  out = {};
  auto meta = obj["metadata"];
  std::string_view s;
  if (meta["name"].get_string().get(s) != simdjson::SUCCESS) return false;
  out.name = s;
  out.ns = meta["namespace"].get_string().get(s) == simdjson::SUCCESS && !s.empty()
               ? std::string{s}
               : std::string{cluster_scope};
  if (meta["resourceVersion"].get_string().get(s) == simdjson::SUCCESS) out.resource_version = s;
  if (!r.kind.empty()) {
    out.kind = r.kind;
  } else if (obj["kind"].get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
    out.kind = s;
  } else if (list_kind.size() > 4 && list_kind.ends_with("List")) {
    out.kind = list_kind.substr(0, list_kind.size() - 4);
  } else {
    out.kind = r.plural;
  }
  detail::add(out, "exists", true);
  // The controller that owns it ("ReplicaSet/web-7c5d8f9b4d", "StatefulSet/segmentstore").
  simdjson::dom::array owners;
  if (meta["ownerReferences"].get_array().get(owners) == simdjson::SUCCESS) {
    for (simdjson::dom::element ref : owners) {
      bool controller = false;
      if (ref["controller"].get_bool().get(controller) != simdjson::SUCCESS || !controller)
        continue;
      detail::add(out, "owner",
                  std::string{detail::json_string(ref["kind"], "?")} + "/" +
                      std::string{detail::json_string(ref["name"], "?")});
      break;
    }
  }
  switch (r.shape) {
    case shape::deployment:
    case shape::statefulset:
      detail::read_replicas(obj, out, true);
      detail::read_generation(obj, out, true);
      break;
    case shape::pod:
      detail::read_pod(obj, out);
      break;
    case shape::custom: {
      // Custom resources have no fixed schema: record the conventional fields they carry.
      detail::read_replicas(obj, out, false);
      detail::read_generation(obj, out, false);
      if (obj["status"]["phase"].get_string().get(s) == simdjson::SUCCESS)
        detail::add(out, "phase", std::string{s});
      break;
    }
    case shape::event:  // recorded as notifications (events.hpp), never as states
      break;
  }
  detail::read_conditions(obj["status"], out);
  return true;
}

}  // namespace introspect::inline v1::kubernetes
