#pragma once
//! The API resources the source lists and watches: Deployments, StatefulSets, Pods and
//! configured custom resources (group/version/plural, namespaced or cluster-scoped).
#include <string>
#include <string_view>

namespace introspect::inline v1::kubernetes {

//! Which fields of an object are recorded (see docs/kubernetes.md for each one).
enum class shape { deployment, statefulset, pod, custom, event };

//! One collection of the API: where it is and how its objects are read.
struct resource {
  std::string group;    // "" for the core group (/api/v1)
  std::string version;  // "v1", "v1beta1", ...
  std::string plural;   // "deployments", "myresources", ...
  std::string kind;     // in keys; empty: taken from the objects or the list ("FooList" -> "Foo")
  bool namespaced = true;
  kubernetes::shape shape = shape::custom;
};

//! apps/v1 Deployments.
inline resource deployments() {
  return {"apps", "v1", "deployments", "Deployment", true, shape::deployment};
}
//! apps/v1 StatefulSets.
inline resource statefulsets() {
  return {"apps", "v1", "statefulsets", "StatefulSet", true, shape::statefulset};
}
//! v1 Pods.
inline resource pods() { return {"", "v1", "pods", "Pod", true, shape::pod}; }
//! events.k8s.io/v1 Events: recorded as notifications (events.hpp), not as object states.
inline resource events() { return {"events.k8s.io", "v1", "events", "Event", true, shape::event}; }
//! Core v1 Events (clusters older than 1.19, or RBAC granted only on the core group).
inline resource core_events() { return {"", "v1", "events", "Event", true, shape::event}; }
//! A custom resource, e.g. custom_resource("example.com", "v1", "widgets").
inline resource custom_resource(std::string group, std::string version, std::string plural,
                                bool namespaced = true, std::string kind = {}) {
  return {std::move(group), std::move(version), std::move(plural),
          std::move(kind),  namespaced,         shape::custom};
}

//! The collection's URL path: /api/v1[/namespaces/NS]/pods or /apis/G/V[/namespaces/NS]/P.
//! An empty `ns` (or a cluster-scoped resource) means every namespace.
inline std::string collection_path(const resource& r, std::string_view ns) {
  std::string p = r.group.empty() ? "/api/" + r.version : "/apis/" + r.group + "/" + r.version;
  if (r.namespaced && !ns.empty()) {
    p += "/namespaces/";
    p += ns;
  }
  p += "/";
  p += r.plural;
  return p;
}

//! A short name for the collection in failure records: "deployments.apps", "pods".
inline std::string display_name(const resource& r) {
  return r.group.empty() ? r.plural : r.plural + "." + r.group;
}

}  // namespace introspect::inline v1::kubernetes
