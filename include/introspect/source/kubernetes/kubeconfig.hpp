#pragma once
//! kubeconfig files: the current (or a named) context's cluster server, CA and user
//! credentials, read with yaml-cpp (Debian's libyaml-cpp-dev; the kubernetes component links
//! it): block and flow style alike, so `kubectl config view --flatten -o json` output loads too.
//!
//! @code
//! auto c = ix::kubernetes::load_kubeconfig(ix::kubernetes::default_kubeconfig_path());
//! if (!c) std::fprintf(stderr, "%s\n", c.error.c_str());
//! @endcode
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/yaml.h>

#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/detail/base64.hpp>
#include <introspect/source/kubernetes/detail/read_file.hpp>

namespace introspect::inline v1::kubernetes {

//! $KUBECONFIG's first entry (merging several files is not supported), else ~/.kube/config.
inline std::filesystem::path default_kubeconfig_path() {
  if (const char* k = std::getenv("KUBECONFIG"); k && *k) {
    const std::string_view v{k};
    return std::filesystem::path{std::string{v.substr(0, v.find(':'))}};
  }
  const char* home = std::getenv("HOME");
  return std::filesystem::path{home ? home : "."} / ".kube" / "config";
}

namespace detail {

// A scalar member of a mapping as text ("" when absent, not a mapping, or not a scalar).
inline std::string yaml_str(const YAML::Node& n, const char* key) {
  if (!n || !n.IsMap()) return {};
  const YAML::Node v = n[key];
  return v && v.IsScalar() ? v.Scalar() : std::string{};
}

// Whether a mapping has the member at all (null or not).
inline bool yaml_has(const YAML::Node& n, const char* key) {
  return n && n.IsMap() && n[key].IsDefined();
}

// The entry of a named list (clusters, contexts, users) whose `name` is `name`.
inline YAML::Node named_entry(const YAML::Node& root, const char* list, std::string_view name,
                              const char* member) {
  const YAML::Node l = root[list];
  if (l && l.IsSequence())
    for (const auto& e : l)
      if (yaml_str(e, "name") == name) {
        const YAML::Node m = e[member];
        if (m && m.IsMap()) return m;
        if (m && m.IsNull()) return YAML::Node{YAML::NodeType::Map};  // `context:` with nothing
      }
  return YAML::Node{YAML::NodeType::Undefined};
}

// A `<field>-data` (base64) or `<field>` (a path, relative to the kubeconfig's directory).
inline bool inline_or_file(const YAML::Node& n, std::string_view field,
                           const std::filesystem::path& base, std::string& out,
                           std::string& error) {
  const std::string data_key = std::string{field} + "-data";
  if (auto d = yaml_str(n, data_key.c_str()); !d.empty()) {
    auto decoded = base64_decode(d);
    if (!decoded) {
      error = data_key + " is not valid base64";
      return false;
    }
    out = std::move(*decoded);
    return true;
  }
  if (auto p = yaml_str(n, std::string{field}.c_str()); !p.empty()) {
    std::filesystem::path path{std::string{p}};
    if (path.is_relative()) path = base / path;
    return read_file(path, out, error);
  }
  return true;
}

inline loaded<connection> from_yaml(const YAML::Node& root, const std::filesystem::path& path,
                                    std::string_view context, const std::string& where) {
  using result = loaded<connection>;
  std::string error;
  std::string ctx_name{context.empty() ? yaml_str(root, "current-context") : std::string{context}};
  if (ctx_name.empty()) return result::failed(where + "no current-context and none given");
  const auto ctx = named_entry(root, "contexts", ctx_name, "context");
  if (!ctx) return result::failed(where + "context '" + ctx_name + "' not found");
  const std::string cluster_name = yaml_str(ctx, "cluster");
  const std::string user_name = yaml_str(ctx, "user");
  const auto cluster = named_entry(root, "clusters", cluster_name, "cluster");
  if (!cluster) return result::failed(where + "cluster '" + cluster_name + "' not found");

  const auto base = path.parent_path();
  connection c;
  c.namespace_name = yaml_str(ctx, "namespace");
  c.server = yaml_str(cluster, "server");
  if (c.server.empty())
    return result::failed(where + "cluster '" + cluster_name + "' has no server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  c.insecure_skip_tls_verify = yaml_str(cluster, "insecure-skip-tls-verify") == "true";
  if (!inline_or_file(cluster, "certificate-authority", base, c.ca_pem, error))
    return result::failed(where + "cluster '" + cluster_name + "': " + error);
  if (c.insecure_skip_tls_verify && !c.ca_pem.empty())  // kubectl refuses it too
    return result::failed(where + "cluster '" + cluster_name +
                          "': certificate-authority and insecure-skip-tls-verify are given "
                          "together: remove one");

  if (user_name.empty()) return result::ok(std::move(c));  // anonymous access
  const auto user = named_entry(root, "users", user_name, "user");
  if (!user) return result::failed(where + "user '" + user_name + "' not found");
  const auto user_error = [&](std::string_view what) {
    return result::failed(where + "user '" + user_name + "': " + std::string{what});
  };
  c.token = yaml_str(user, "token");
  if (auto tf = yaml_str(user, "tokenFile"); !tf.empty() && c.token.empty()) {
    c.token_file = std::filesystem::path{std::string{tf}};
    if (c.token_file.is_relative()) c.token_file = base / c.token_file;
  }
  if (!inline_or_file(user, "client-certificate", base, c.client_cert_pem, error) ||
      !inline_or_file(user, "client-key", base, c.client_key_pem, error))
    return user_error(error);
  if (c.client_cert_pem.empty() != c.client_key_pem.empty())
    return user_error("client-certificate and client-key must be given together");
  const bool has_credentials =
      !c.token.empty() || !c.token_file.empty() || !c.client_cert_pem.empty();
  if (!has_credentials && (yaml_has(user, "exec") || yaml_has(user, "auth-provider")))
    return user_error("exec and auth-provider credential plugins are not supported");
  if (!has_credentials && (yaml_has(user, "username") || yaml_has(user, "password")))
    return user_error("basic authentication is not supported");
  return result::ok(std::move(c));
}

}  // namespace detail

//! The connection of `context` (empty: current-context) in the kubeconfig at `path`, or why
//! not. Supports server, certificate-authority(-data), insecure-skip-tls-verify, token,
//! tokenFile and client-certificate/key(-data); exec and auth-provider plugins are refused.
inline loaded<connection> load_kubeconfig(const std::filesystem::path& path,
                                          std::string_view context = {}) {
  using result = loaded<connection>;
  const std::string where = "kubeconfig " + path.string() + ": ";
  std::string text, error;
  if (!detail::read_file(path, text, error)) return result::failed("kubeconfig " + error);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::DeepRecursion& e) {
    return result::failed(where + "line " + std::to_string(e.mark.line + 1) +
                          ": nested deeper than " + std::to_string(e.depth()) +
                          " levels (yaml-cpp's limit)");
  } catch (const YAML::Exception& e) {
    return result::failed(where + "line " + std::to_string(e.mark.line + 1) + ", column " +
                          std::to_string(e.mark.column + 1) + ": " + e.msg);
  }
  if (!root.IsMap()) return result::failed(where + "not a mapping at the top level");
  try {
    return detail::from_yaml(root, path, context, where);
  } catch (const YAML::Exception& e) {
    return result::failed(where + e.what());
  }
}

}  // namespace introspect::inline v1::kubernetes
