#pragma once
//! sources<...>: what is collected at the cadence besides the product's own calls.
#include <type_traits>

#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1 {

namespace source {
struct process {
  static constexpr const char* name = "process";
};
struct host {
  static constexpr const char* name = "host";
};
//! Kubernetes resources (needs mode::kubernetes, <introspect/engine/kubernetes.hpp> and the
//! introspect::kubernetes component).
struct kubernetes {
  static constexpr const char* name = "kubernetes";
};
//! Consistent snapshots of etcd key prefixes, and a watch between them (needs
//! <introspect/engine/etcd.hpp>, introspect::http and introspect::simdjson).
struct etcd {
  static constexpr const char* name = "etcd";
};
}  // namespace source

template <class... Sources>
struct sources {
  using category = tag::sources;
  template <class S>
  static constexpr bool contains = (std::is_same_v<S, Sources> || ...);
  static constexpr bool empty = sizeof...(Sources) == 0;
};

}  // namespace introspect::inline v1
