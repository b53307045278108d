// Trust and secrets of the Kubernetes and etcd sources, against fake_apiserver in another
// process: only a named CA is trusted, credentials never cross plain http unless allowed,
// insecure-skip-tls-verify is on the record and refused with a CA, snapshots are redacted (the
// secrets planted in the fake server's objects must not reach the store), and nesting in
// kubeconfig and snapshot JSON is bounded.
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <catch2/catch.hpp>

#include <introspect/engine/kubernetes.hpp>
#include <introspect/introspect.hpp>
#include <introspect/source/etcd/etcd_source.hpp>
#include <introspect/source/kubernetes/kubeconfig.hpp>
#include <introspect/source/kubernetes/kubernetes_source.hpp>
#include <introspect/source/kubernetes/snapshot.hpp>
#include <introspect/source/kubernetes/watcher.hpp>

#include "child_server.hpp"

namespace ix = introspect;
namespace k8s = introspect::kubernetes;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using ix_test::child_server;
using ix_test::slurp;
using ix_test::temp_dir;

namespace {

const fs::path secrets_fixtures = fs::path{INTROSPECT_SOURCE_DIR} / "tests/source/fixtures/secrets";

k8s::options fast() {
  k8s::options o;
  o.resources = {k8s::pods()};
  o.read_timeout = 500ms;
  o.watch_window = 500ms;
  o.backoff_initial = 20ms;
  o.backoff_max = 50ms;
  return o;
}

// Steps `w` until `done` holds (at most 10 s).
template <class Done>
bool run(k8s::watcher& w, std::vector<k8s::event>& evs, Done done) {
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    const auto wait = w.step(evs);
    std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(wait, 20ms));
  }
  return true;
}

// Every byte of every file under `dir`.
std::string all_bytes(const fs::path& dir) {
  std::string s;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file()) s += slurp(e.path());
  return s;
}

}  // namespace

TEST_CASE("kubernetes: a named CA is the only one trusted, not the system's", "[source][tls]") {
  temp_dir da, db;
  child_server a(da.path()), b(db.path());
  // The system's trust store as OpenSSL's default paths see it now holds a's certificate: the
  // connection below must still refuse a, whose certificate the named CA (b's) did not sign.
  REQUIRE(::setenv("SSL_CERT_FILE", a.cert().c_str(), 1) == 0);
  k8s::connection c;
  c.server = a.url();
  c.ca_pem = slurp(b.cert());
  {
    k8s::watcher w{c, fast()};
    std::vector<k8s::event> evs;
    REQUIRE(run(w, evs, [&] { return w.status().at(0).failures >= 1; }));
    INFO(w.status().at(0).last_error);
    CHECK(w.status().at(0).last_error.find("SSLServerVerification") != std::string::npos);
    CHECK(a.requests().empty());
  }
  // Control: the right CA in memory connects.
  c.ca_pem = slurp(a.cert());
  k8s::watcher w{c, fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return w.status().at(0).listed; }));
  ::unsetenv("SSL_CERT_FILE");
}

TEST_CASE("kubernetes: a bearer token is not sent over plain http unless allowed",
          "[source][tls]") {
  temp_dir d;
  child_server s(d.path(), {"--plain"});
  k8s::connection c;
  c.server = s.url("http");
  c.token = "PLANTED-TOKEN-HTTP";
  {
    k8s::watcher w{c, fast()};
    std::vector<k8s::event> evs;
    REQUIRE(run(w, evs, [&] { return w.status().at(0).failures >= 1; }));
    const auto err = w.status().at(0).last_error;
    INFO(err);
    CHECK(err.find("plain http") != std::string::npos);
    CHECK(err.find("PLANTED") == std::string::npos);
    CHECK(s.requests().empty());
  }
  auto o = fast();
  o.allow_token_over_http = true;  // explicitly allowed: sent
  k8s::watcher w{c, o};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return w.status().at(0).listed; }));
  CHECK(s.count("auth=Bearer PLANTED-TOKEN-HTTP") >= 1);
}

TEST_CASE("kubernetes: insecure-skip-tls-verify is refused with a CA and recorded without",
          "[source][tls]") {
  temp_dir d;
  child_server s(d.path());
  const auto kubeconfig = d.path() / "kubeconfig";
  const auto write_config = [&](bool with_ca) {
    std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                                 "clusters:\n- name: k\n  cluster:\n    server: "
                              << s.url() << "\n    insecure-skip-tls-verify: true\n"
                              << (with_ca ? "    certificate-authority: cert.pem\n" : "")
                              << "contexts:\n- name: c\n  context:\n    cluster: k\n";
  };
  write_config(true);
  const auto refused = k8s::load_kubeconfig(kubeconfig);
  REQUIRE_FALSE(refused);
  CHECK(refused.error.find("insecure-skip-tls-verify") != std::string::npos);
  CHECK(refused.error.find(kubeconfig.string()) != std::string::npos);

  // A connection built in code with both is refused by the client too.
  k8s::connection both;
  both.server = s.url();
  both.ca_pem = slurp(s.cert());
  both.insecure_skip_tls_verify = true;
  {
    k8s::watcher w{both, fast()};
    std::vector<k8s::event> evs;
    REQUIRE(run(w, evs, [&] { return w.status().at(0).failures >= 1; }));
    CHECK(w.status().at(0).last_error.find("insecure-skip-tls-verify") != std::string::npos);
  }

  // Alone it connects (the certificate is self-signed), and each connection leaves a warning.
  write_config(false);
  const auto loaded = k8s::load_kubeconfig(kubeconfig);
  REQUIRE(loaded);
  ix::source::kubernetes_source src{[&] { return k8s::load_kubeconfig(kubeconfig); }, fast()};
  src.start();
  std::vector<std::string> warnings;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (s.count("GET /api/v1/pods") == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  src.stop();
  src.collect([&](const ix::record_view& r) {
    if (r.kind == ix::record_kind::notification &&
        r.name.find("TLS verification is off") != std::string_view::npos) {
      CHECK(r.sev == ix::severity::warning);
      warnings.emplace_back(r.name);
    }
  });
  CHECK(s.count("GET /api/v1/pods") >= 1);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].find(s.url()) != std::string::npos);
}

TEST_CASE("etcd: a password is not sent over plain http unless allowed", "[source][tls]") {
  temp_dir d;
  child_server s(d.path(), {"--plain"});
  introspect::etcd::options o;
  o.endpoint = s.url("http");
  o.prefixes = {"/app/"};
  o.username = "root";
  o.password = "PLANTED-PASSWORD";
  o.backoff_initial = 20ms;
  ix::source::etcd_source src(o);
  src.start();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (src.status().errors == 0 && std::chrono::steady_clock::now() < until)
    std::this_thread::sleep_for(5ms);
  src.stop();
  INFO(src.status().last_error);
  CHECK(src.status().last_error_part == "config");
  CHECK(src.status().last_error.find("plain http") != std::string::npos);
  CHECK(src.status().last_error.find("PLANTED") == std::string::npos);
  CHECK(s.requests().empty());  // nothing at all went out
}

TEST_CASE("kubeconfig nesting is bounded with a clear error", "[source][limits]") {
  temp_dir d;
  const auto path = d.path() / "deep";
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "- ";
  std::ofstream(path) << deep << "x\n";
  const auto c = k8s::load_kubeconfig(path);
  REQUIRE_FALSE(c);
  CHECK(c.error.find("nested deeper than") != std::string::npos);
  CHECK(c.error.find(path.string()) != std::string::npos);
}

TEST_CASE("snapshot JSON: secrets are redacted by default, nesting is bounded",
          "[source][limits]") {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  const auto pods = slurp(secrets_fixtures / "pods.json");
  REQUIRE(p.parse(pods).get(doc) == simdjson::SUCCESS);
  const auto pod = doc["items"].at(0).value();
  const auto red = k8s::object_json(pod, true, "Pod");
  INFO(red);
  CHECK(red.find("PLANTED") == std::string::npos);
  CHECK(red.find("VISIBLE-ENV-VALUE") != std::string::npos);
  CHECK(red.find("VISIBLE-ANNOTATION") != std::string::npos);
  CHECK(red.find("secretKeyRef") != std::string::npos);
  CHECK(red.find("<redacted>") != std::string::npos);
  simdjson::dom::parser again;
  CHECK(again.parse(red).error() == simdjson::SUCCESS);  // still JSON
  // Control: without redaction the planted values are there (only managedFields goes).
  const auto raw = k8s::object_json(pod, false, "Pod");
  CHECK(raw.find("PLANTED-SECRET-PASSWORD") != std::string::npos);
  CHECK(raw.find("PLANTED-SECRET-MANAGED") == std::string::npos);

  const std::string secret =
      R"({"metadata":{"name":"db","namespace":"default"},"type":"Opaque",)"
      R"("data":{"password":"UExBTlRFRA==","user":"PLANTED-B64"},"stringData":{"k":"PLANTED-S"}})";
  simdjson::dom::parser ps;
  const auto s = k8s::object_json(ps.parse(secret).value(), true, "Secret");
  CHECK(s.find("PLANTED") == std::string::npos);
  CHECK(s.find("UExBTlRFRA") == std::string::npos);
  CHECK(s.find("\"password\":\"<redacted>\"") != std::string::npos);

  std::string deep = R"({"metadata":{"name":"x"},"spec":)";
  for (int i = 0; i < 500; ++i) deep += "[";
  for (int i = 0; i < 500; ++i) deep += "]";
  deep += "}";
  simdjson::dom::parser pd;
  const auto d = k8s::object_json(pd.parse(deep).value(), true, "Pod");
  CHECK(d.find("nested too deep") != std::string::npos);
}

TEST_CASE("an uber build's store holds no planted secret of the cluster's objects",
          "[source][secrets]") {
  temp_dir d, st;
  fs::copy(secrets_fixtures / "pods.json", d.path() / "pods.json");
  fs::copy(secrets_fixtures / "deployments.json", d.path() / "deployments.json");
  child_server s(d.path());
  const auto kubeconfig = d.path() / "kubeconfig";
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
                               "clusters:\n- name: k\n  cluster:\n    server: "
                            << s.url()
                            << "\n    certificate-authority: cert.pem\n"
                               "users:\n- name: u\n  user:\n    token: PLANTED-TOKEN-KUBECONFIG\n"
                               "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
                               "    namespace: default\n";
  using T = ix::introspection<ix::tier::uber, ix::sink::stream_store, ix::cadence::on_demand,
                              ix::mode::kubernetes, ix::sources<ix::source::kubernetes>>;
  {
    typename T::config c{.store = st.path(), .instance = "n1"};
    c.kubernetes.kubeconfig = kubeconfig.string();
    T ins{c};
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (std::chrono::steady_clock::now() < until) {
      ins.collect();
      ins.flush();
      const auto bytes = all_bytes(st.path());
      if (bytes.find("VISIBLE-ENV-VALUE") != std::string::npos &&
          bytes.find("VISIBLE-DEPLOY-ENV") != std::string::npos)
        break;
      std::this_thread::sleep_for(50ms);
    }
  }
  const auto bytes = all_bytes(st.path());
  REQUIRE(bytes.find("VISIBLE-ENV-VALUE") != std::string::npos);  // the objects are recorded
  REQUIRE(bytes.find("VISIBLE-DEPLOY-ENV") != std::string::npos);
  CHECK(bytes.find("<redacted>") != std::string::npos);
  CHECK(bytes.find("PLANTED") == std::string::npos);
  CHECK(s.count("auth=Bearer PLANTED-TOKEN-KUBECONFIG") >= 1);  // sent where it belongs
}

TEST_CASE("etcd https: a named CA is the only one trusted; bad TLS files are named",
          "[source][tls]") {
  temp_dir da, db;
  child_server a(da.path()), b(db.path());
  REQUIRE(::setenv("SSL_CERT_FILE", a.cert().c_str(), 1) == 0);
  const auto post = [&](const introspect::etcd::tls_files& t) {
    introspect::etcd::gateway gw(a.url(), 2000ms, 2000ms, t);
    REQUIRE(gw.setup_error().empty());
    CHECK(gw.tls());
    return gw.post("/v3/kv/range", "{}");
  };
  CHECK_FALSE(post({b.cert().string(), {}, {}}).responded);  // a's certificate, b's CA
  CHECK(a.requests().empty());
  CHECK(post({a.cert().string(), {}, {}}).responded);
  ::unsetenv("SSL_CERT_FILE");

  introspect::etcd::gateway missing_ca(a.url(), 2000ms, 2000ms, {"/nonexistent/ca.pem", {}, {}});
  CHECK(missing_ca.setup_error().find("/nonexistent/ca.pem") != std::string::npos);
  introspect::etcd::gateway lone_cert(a.url(), 2000ms, 2000ms, {{}, a.cert().string(), {}});
  CHECK(lone_cert.setup_error().find("needs its key") != std::string::npos);
  introspect::etcd::gateway bad_key(a.url(), 2000ms, 2000ms,
                                    {{}, a.cert().string(), (da.path() / "nokey.pem").string()});
  CHECK(bad_key.setup_error().find("nokey.pem") != std::string::npos);
}
