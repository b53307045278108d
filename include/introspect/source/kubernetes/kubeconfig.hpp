#pragma once
//! kubeconfig files: the current (or a named) context's cluster server, CA and user
//! credentials, read with a parser for the YAML subset kubectl writes.
//!
//! @code
//! auto c = ix::kubernetes::load_kubeconfig(ix::kubernetes::default_kubeconfig_path());
//! if (!c) std::fprintf(stderr, "%s\n", c.error.c_str());
//! @endcode
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/detail/base64.hpp>
#include <introspect/source/kubernetes/detail/read_file.hpp>
#include <introspect/source/kubernetes/detail/yaml_subset.hpp>

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

// The entry of a named list (clusters, contexts, users) whose `name` is `name`.
inline const yaml_node* named_entry(const yaml_node& root, std::string_view list,
                                    std::string_view name, std::string_view member) {
  const yaml_node* l = root.get(list);
  if (!l || l->t != yaml_node::type::seq) return nullptr;
  for (const auto& e : l->children)
    if (e.str("name") == name) return e.get(member);
  return nullptr;
}

// A `<field>-data` (base64) or `<field>` (a path, relative to the kubeconfig's directory).
inline bool inline_or_file(const yaml_node& n, std::string_view field,
                           const std::filesystem::path& base, std::string& out,
                           std::string& error) {
  const std::string data_key = std::string{field} + "-data";
  if (auto d = n.str(data_key); !d.empty()) {
    auto decoded = base64_decode(d);
    if (!decoded) {
      error = data_key + " is not valid base64";
      return false;
    }
    out = std::move(*decoded);
    return true;
  }
  if (auto p = n.str(field); !p.empty()) {
    std::filesystem::path path{std::string{p}};
    if (path.is_relative()) path = base / path;
    return read_file(path, out, error);
  }
  return true;
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
  detail::yaml_node root;
  detail::yaml_subset_parser parser;
  if (!parser.parse(text, root, error)) return result::failed(where + error);
  if (root.t != detail::yaml_node::type::map)
    return result::failed(where + "not a mapping at the top level");

  std::string ctx_name{context.empty() ? root.str("current-context") : context};
  if (ctx_name.empty()) return result::failed(where + "no current-context and none given");
  const auto* ctx = detail::named_entry(root, "contexts", ctx_name, "context");
  if (!ctx) return result::failed(where + "context '" + ctx_name + "' not found");
  const std::string cluster_name{ctx->str("cluster")};
  const std::string user_name{ctx->str("user")};
  const auto* cluster = detail::named_entry(root, "clusters", cluster_name, "cluster");
  if (!cluster) return result::failed(where + "cluster '" + cluster_name + "' not found");

  const auto base = path.parent_path();
  connection c;
  c.namespace_name = std::string{ctx->str("namespace")};
  c.server = std::string{cluster->str("server")};
  if (c.server.empty())
    return result::failed(where + "cluster '" + cluster_name + "' has no server");
  while (!c.server.empty() && c.server.back() == '/') c.server.pop_back();
  c.insecure_skip_tls_verify = cluster->str("insecure-skip-tls-verify") == "true";
  if (!detail::inline_or_file(*cluster, "certificate-authority", base, c.ca_pem, error))
    return result::failed(where + "cluster '" + cluster_name + "': " + error);
  if (c.insecure_skip_tls_verify && !c.ca_pem.empty())  // kubectl refuses it too
    return result::failed(where + "cluster '" + cluster_name +
                          "': certificate-authority and insecure-skip-tls-verify are given "
                          "together: remove one");

  if (user_name.empty()) return result::ok(std::move(c));  // anonymous access
  const auto* user = detail::named_entry(root, "users", user_name, "user");
  if (!user) return result::failed(where + "user '" + user_name + "' not found");
  const auto user_error = [&](std::string_view what) {
    return result::failed(where + "user '" + user_name + "': " + std::string{what});
  };
  c.token = std::string{user->str("token")};
  if (auto tf = user->str("tokenFile"); !tf.empty() && c.token.empty()) {
    c.token_file = std::filesystem::path{std::string{tf}};
    if (c.token_file.is_relative()) c.token_file = base / c.token_file;
  }
  if (!detail::inline_or_file(*user, "client-certificate", base, c.client_cert_pem, error) ||
      !detail::inline_or_file(*user, "client-key", base, c.client_key_pem, error))
    return user_error(error);
  if (c.client_cert_pem.empty() != c.client_key_pem.empty())
    return user_error("client-certificate and client-key must be given together");
  const bool has_credentials =
      !c.token.empty() || !c.token_file.empty() || !c.client_cert_pem.empty();
  if (!has_credentials && (user->get("exec") || user->get("auth-provider")))
    return user_error("exec and auth-provider credential plugins are not supported");
  if (!has_credentials && (user->get("username") || user->get("password")))
    return user_error("basic authentication is not supported");
  return result::ok(std::move(c));
}

}  // namespace introspect::inline v1::kubernetes
