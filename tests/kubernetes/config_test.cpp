// Configuration of the Kubernetes source: the kubeconfig YAML subset, kubeconfig contexts,
// in-cluster service accounts, API paths and the backoff schedule.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include <introspect/source/backoff.hpp>
#include <introspect/source/detail/jitter.hpp>
#include <introspect/source/kubernetes/detail/base64.hpp>
#include <introspect/source/kubernetes/discovery.hpp>
#include <introspect/source/kubernetes/in_cluster.hpp>
#include <introspect/source/kubernetes/kubeconfig.hpp>
#include <introspect/source/kubernetes/resource.hpp>
#include "../support/temp_dir.hpp"

namespace k8s = introspect::kubernetes;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures{INTROSPECT_K8S_FIXTURES};

using ix_test::temp_dir;

void write(const temp_dir& d, const std::string& name, const std::string& text) {
  std::ofstream(d / name) << text;
}

}  // namespace

TEST_CASE("base64 decodes kubeconfig data and rejects garbage", "[kubernetes][config]") {
  CHECK(k8s::detail::base64_decode("aGVsbG8=") == "hello");
  CHECK(k8s::detail::base64_decode("aGVsbG8") == "hello");  // padding is optional
  CHECK(k8s::detail::base64_decode("aGVs\nbG8h") == "hello!");
  CHECK_FALSE(k8s::detail::base64_decode("aGV*bG8=").has_value());
  CHECK_FALSE(k8s::detail::base64_decode("aGVsbG8=x").has_value());
}

TEST_CASE("kubeconfig: flow style and JSON load (kubectl config view --flatten -o json)",
          "[kubernetes][config]") {
  temp_dir d;
  // The shape `kubectl config view --flatten -o json` writes: JSON is YAML's flow style, which
  // the hand-written subset parser used to refuse.
  write(d, "config.json", R"({
    "kind": "Config", "apiVersion": "v1", "preferences": {},
    "clusters": [{"name": "kind-a", "cluster": {"server": "https://127.0.0.1:36443/",
                  "certificate-authority-data": "aGVsbG8="}}],
    "users": [{"name": "kind-a", "user": {"token": "t0k"}}],
    "contexts": [{"name": "kind-a", "context": {"cluster": "kind-a", "user": "kind-a",
                  "namespace": "pravega"}}],
    "current-context": "kind-a"
  })");
  auto c = k8s::load_kubeconfig(d.path() / "config.json");
  INFO(c.error);
  REQUIRE(c);
  CHECK(c->server == "https://127.0.0.1:36443");
  CHECK(c->ca_pem == "hello");
  CHECK(c->token == "t0k");
  CHECK(c->namespace_name == "pravega");
  // Mixed block and flow style, quoted keys, anchors: YAML as kubectl and people write it.
  write(d, "mixed.yaml",
        "current-context: 'x'\n"
        "clusters: [{name: c, cluster: {server: \"https://h:6443\", "
        "insecure-skip-tls-verify: true}}]\n"
        "users:\n- name: u\n  user: &creds {token: abc}\n"
        "contexts:\n- {name: x, context: {cluster: c, user: u}}\n");
  c = k8s::load_kubeconfig(d.path() / "mixed.yaml");
  INFO(c.error);
  REQUIRE(c);
  CHECK(c->insecure_skip_tls_verify);
  CHECK(c->token == "abc");
}

TEST_CASE("kubeconfig: a YAML syntax error names the file and the line", "[kubernetes][config]") {
  temp_dir d;
  write(d, "bad", "current-context: x\nclusters: [{name: c\nusers: x\n");
  const auto c = k8s::load_kubeconfig(d.path() / "bad");
  REQUIRE_FALSE(c);
  CHECK(c.error.find((d.path() / "bad").string()) != std::string::npos);
  CHECK(c.error.find("line ") != std::string::npos);
  write(d, "list", "- a\n- b\n");
  const auto l = k8s::load_kubeconfig(d.path() / "list");
  REQUIRE_FALSE(l);
  CHECK(l.error.find("not a mapping at the top level") != std::string::npos);
}

TEST_CASE("kubeconfig: the current context gives server, CA data and client certificate",
          "[kubernetes][config]") {
  const auto c = k8s::load_kubeconfig(fixtures / "kubeconfig.yaml");
  INFO(c.error);
  REQUIRE(c);
  CHECK(c->server == "https://127.0.0.1:6443");
  CHECK(c->ca_pem == "-----BEGIN CERTIFICATE-----\nMIIBfixture\n-----END CERTIFICATE-----\n");
  CHECK(c->client_cert_pem.starts_with("-----BEGIN CERTIFICATE-----\nclient"));
  CHECK(c->client_key_pem.starts_with("-----BEGIN PRIVATE KEY-----"));
  CHECK(c->token.empty());
  CHECK(c->namespace_name.empty());
  CHECK_FALSE(c->insecure_skip_tls_verify);
}

TEST_CASE("kubeconfig: a named context gives its namespace, token and a relative CA file",
          "[kubernetes][config]") {
  const auto c = k8s::load_kubeconfig(fixtures / "kubeconfig.yaml", "prod");
  INFO(c.error);
  REQUIRE(c);
  CHECK(c->server == "https://prod.example.com:443/k8s/clusters/c-abc");
  CHECK(c->namespace_name == "storage");
  CHECK(c->token == "eyJhbGciOiJSUzI1NiJ9.ops#not-a-comment");
  CHECK(c->ca_pem == "-----BEGIN CERTIFICATE-----\nfile-ca\n-----END CERTIFICATE-----\n");
  CHECK(c->client_cert_pem.empty());
}

TEST_CASE("kubeconfig: failures say why", "[kubernetes][config]") {
  auto c = k8s::load_kubeconfig(fixtures / "kubeconfig.yaml", "nope");
  CHECK_FALSE(c);
  CHECK(c.error.find("context 'nope' not found") != std::string::npos);
  c = k8s::load_kubeconfig(fixtures / "kubeconfig_exec.yaml");
  CHECK_FALSE(c);
  CHECK(c.error.find("exec and auth-provider credential plugins are not supported") !=
        std::string::npos);
  c = k8s::load_kubeconfig(fixtures / "does-not-exist.yaml");
  CHECK_FALSE(c);
  CHECK(c.error.find("No such file") != std::string::npos);

  temp_dir d;
  write(d, "bad.yaml",
        "current-context: x\ncontexts:\n- name: x\n  context:\n    cluster: c\n"
        "clusters:\n- name: c\n  cluster:\n    server: https://h\n"
        "    certificate-authority-data: '%%%'\n");
  c = k8s::load_kubeconfig(d.path() / "bad.yaml");
  CHECK_FALSE(c);
  CHECK(c.error.find("certificate-authority-data is not valid base64") != std::string::npos);
}

TEST_CASE("kubeconfig: tokenFile is kept as a file, relative to the kubeconfig",
          "[kubernetes][config]") {
  temp_dir d;
  write(d, "config", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n");
  CHECK_FALSE(k8s::load_kubeconfig(d.path() / "config"));  // flow mappings are refused
  write(d, "config",
        "current-context: x\n"
        "contexts:\n- name: x\n  context:\n    cluster: c\n    user: u\n"
        "clusters:\n- name: c\n  cluster:\n    server: https://10.0.0.1:6443/\n"
        "    insecure-skip-tls-verify: true\n"
        "users:\n- name: u\n  user:\n    tokenFile: tok\n");
  const auto c = k8s::load_kubeconfig(d.path() / "config");
  INFO(c.error);
  REQUIRE(c);
  CHECK(c->server == "https://10.0.0.1:6443");  // trailing slash removed
  CHECK(c->insecure_skip_tls_verify);
  CHECK(c->token_file == d.path() / "tok");
}

TEST_CASE("in-cluster: service account files and the service host", "[kubernetes][config]") {
  temp_dir d;
  k8s::in_cluster_paths where{d.path(), "10.96.0.1", "443"};
  auto c = k8s::load_in_cluster(where);
  CHECK_FALSE(c);
  CHECK(c.error.find("service account token") != std::string::npos);

  write(d, "token", "eyJhbGciOiJSUzI1NiIsImtpZCI6IiJ9.sa\n");
  c = k8s::load_in_cluster(where);
  CHECK_FALSE(c);
  CHECK(c.error.find("ca.crt") != std::string::npos);

  write(d, "ca.crt", "-----BEGIN CERTIFICATE-----\n");
  write(d, "namespace", "storage\n");
  c = k8s::load_in_cluster(where);
  INFO(c.error);
  REQUIRE(c);
  CHECK(c->server == "https://10.96.0.1:443");
  CHECK(c->token_file == d.path() / "token");
  CHECK(c->ca_file == d.path() / "ca.crt");
  CHECK(c->namespace_name == "storage");

  c = k8s::load_in_cluster({d.path(), "fd00::1", "6443"});
  REQUIRE(c);
  CHECK(c->server == "https://[fd00::1]:6443");
}

TEST_CASE("in-cluster: the environment names the service", "[kubernetes][config]") {
  temp_dir d;
  write(d, "token", "t");
  write(d, "ca.crt", "x");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.10", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "8443", 1);
  auto c = k8s::load_in_cluster({d.path(), "", ""});
  REQUIRE(c);
  CHECK(c->server == "https://10.96.0.10:8443");
  CHECK(c->namespace_name.empty());  // no namespace file: the options decide
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  c = k8s::load_in_cluster({d.path(), "", ""});
  CHECK_FALSE(c);
  CHECK(c.error.find("KUBERNETES_SERVICE_HOST") != std::string::npos);
  ::unsetenv("KUBERNETES_SERVICE_PORT");

  // discover(): an explicit kubeconfig wins; otherwise in-cluster, then ~/.kube/config.
  auto found = k8s::discover({fixtures / "kubeconfig.yaml", "prod", {}});
  REQUIRE(found);
  CHECK(found->namespace_name == "storage");
  ::setenv("KUBECONFIG", (d.path() / "missing").c_str(), 1);
  found = k8s::discover({{}, {}, {d.path(), "", ""}});
  CHECK_FALSE(found);
  CHECK(found.error.find("in-cluster") != std::string::npos);
  CHECK(found.error.find("missing") != std::string::npos);
  ::unsetenv("KUBECONFIG");
}

TEST_CASE("collection paths of built-in and custom resources", "[kubernetes][config]") {
  CHECK(k8s::collection_path(k8s::deployments(), "") == "/apis/apps/v1/deployments");
  CHECK(k8s::collection_path(k8s::deployments(), "ns1") ==
        "/apis/apps/v1/namespaces/ns1/deployments");
  CHECK(k8s::collection_path(k8s::pods(), "ns1") == "/api/v1/namespaces/ns1/pods");
  const auto backends = k8s::custom_resource("example.com", "v1", "backends", false);
  CHECK(k8s::collection_path(backends, "ns1") == "/apis/example.com/v1/backends");
  CHECK(k8s::display_name(k8s::statefulsets()) == "statefulsets.apps");
  CHECK(k8s::display_name(k8s::pods()) == "pods");
}

TEST_CASE("retry delays are jittered within the configured fraction", "[kubernetes][config]") {
  using std::chrono::milliseconds;
  introspect::source::detail::jitter_rng rng{42};
  CHECK(introspect::source::detail::jittered(milliseconds{100}, 0.0, rng) == milliseconds{100});
  bool below = false, above = false;
  for (int k = 0; k < 200; ++k) {
    const auto d = introspect::source::detail::jittered(milliseconds{1000}, 0.2, rng);
    CHECK(d >= milliseconds{800});
    CHECK(d <= milliseconds{1200});
    below |= d < milliseconds{1000};
    above |= d > milliseconds{1000};
  }
  CHECK(below);  // it does spread both ways
  CHECK(above);
  CHECK(introspect::source::detail::jittered(milliseconds{1000}, 5.0, rng) <=
        milliseconds{1500});  // clamped
}
