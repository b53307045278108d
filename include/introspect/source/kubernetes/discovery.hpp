#pragma once
//! Finds the API server the way client-go does: an explicit kubeconfig, else the in-cluster
//! service account, else the default kubeconfig.
#include <filesystem>
#include <string>

#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/in_cluster.hpp>
#include <introspect/source/kubernetes/kubeconfig.hpp>

namespace introspect::inline v1::kubernetes {

//! Where to look for the connection.
struct discovery {
  std::filesystem::path kubeconfig;  // non-empty: only this file is used
  std::string context;               // kubeconfig context; empty: current-context
  in_cluster_paths in_cluster{};
};

//! The connection `d` describes, or why none was found (every place tried is named).
inline loaded<connection> discover(const discovery& d = {}) {
  if (!d.kubeconfig.empty()) return load_kubeconfig(d.kubeconfig, d.context);
  auto in = load_in_cluster(d.in_cluster);
  if (in) return in;
  const auto path = default_kubeconfig_path();
  auto kc = load_kubeconfig(path, d.context);
  if (kc) return kc;
  return loaded<connection>::failed("no Kubernetes configuration: in-cluster: " + in.error + "; " +
                                    kc.error);
}

}  // namespace introspect::inline v1::kubernetes
