#pragma once
//! In-cluster configuration: the pod's service account (token, CA, namespace) and the
//! KUBERNETES_SERVICE_HOST/PORT environment the kubelet sets.
#include <cstdlib>
#include <filesystem>
#include <string>

#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/detail/read_file.hpp>

namespace introspect::inline v1::kubernetes {

//! Where the in-cluster configuration is read from; every default is what a pod sees.
struct in_cluster_paths {
  std::filesystem::path dir = "/var/run/secrets/kubernetes.io/serviceaccount";
  std::string host;  // empty: $KUBERNETES_SERVICE_HOST
  std::string port;  // empty: $KUBERNETES_SERVICE_PORT (443 if unset)
};

//! The connection of a pod's service account, or why there is none (not in a cluster, no
//! token). The token is read from its file before each request, since kubelets rotate it.
inline loaded<connection> load_in_cluster(const in_cluster_paths& where = {}) {
  using result = loaded<connection>;
  std::string host = where.host;
  std::string port = where.port;
  if (host.empty()) {
    const char* h = std::getenv("KUBERNETES_SERVICE_HOST");
    if (!h || !*h) return result::failed("not in a cluster: KUBERNETES_SERVICE_HOST is not set");
    host = h;
  }
  if (port.empty()) {
    const char* p = std::getenv("KUBERNETES_SERVICE_PORT");
    port = p && *p ? p : "443";
  }
  connection c;
  // An IPv6 service address needs brackets in a URL.
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  c.server = "https://" + (v6 ? "[" + host + "]" : host) + ":" + port;
  c.token_file = where.dir / "token";
  std::string text, error;
  if (!detail::read_file(c.token_file, text, error))
    return result::failed("service account token: " + error);
  if (detail::trimmed(text).empty())
    return result::failed("service account token: " + c.token_file.string() + " is empty");
  c.ca_file = where.dir / "ca.crt";
  if (!std::filesystem::exists(c.ca_file))
    return result::failed("service account CA: " + c.ca_file.string() + " does not exist");
  // The namespace file is optional (older clusters); without it the options decide the scope.
  if (detail::read_file(where.dir / "namespace", text, error))
    c.namespace_name = detail::trimmed(text);
  return result::ok(std::move(c));
}

}  // namespace introspect::inline v1::kubernetes
