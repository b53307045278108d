// The Kubernetes source against a fake kube-apiserver in ANOTHER process (fake_apiserver
// --queues, tests/source/fake_apiserver.cpp) over TLS on 127.0.0.1 (a random port, a
// certificate it makes at start), answering with fixtures shaped like real list and watch
// responses that each test queues while the server runs. No server thread lives in this
// process: it would change the process's signal handling and hide faults (issue 17).
#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <introspect/engine/kubernetes.hpp>
#include <introspect/policy/tier.hpp>
#include <introspect/source/kubernetes/in_cluster.hpp>
#include <introspect/source/kubernetes/kubernetes_source.hpp>
#include <introspect/source/kubernetes/watcher.hpp>
#include "../source/child_server.hpp"

namespace k8s = introspect::kubernetes;
namespace ix = introspect;
namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

const fs::path fixtures{INTROSPECT_K8S_FIXTURES};

std::string fixture(const std::string& name) {
  std::ifstream in(fixtures / name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  REQUIRE(!s.str().empty());
  return s.str();
}

// A fake kube-apiserver in another process. Lists answer from a queue per path (the last
// answer repeats); watches answer from a script per path; a script names the resourceVersion
// it expects, and a request with another one is refused (400) and counted, so the tests see
// how watches resume. The queues are files the server reads at each request.
class fake_api {
 public:
  struct reply {
    int status = 200;
    std::string body;
    std::string expect_rv;  // watches: the resourceVersion the request must carry
    bool hold = false;      // watches: keep the stream open (idle) after the body
    int delay_ms = 0;       // watches: the body is sent this long after the headers
  };
  struct request {
    std::string path;
    bool watch = false;
    std::string rv;
    std::string auth;
    std::string query;
  };

  fake_api() : fake_api(dir_holder_()) {}
  //! A server on `port` of a server that ran with the same directory before (a restart): it
  //! reuses that server's certificate and key, so clients that trusted it trust this one.
  fake_api(const fake_api& before, int port) : owned_(), dir_(before.dir_), cert_(before.cert_) {
    server_.emplace(
        dir_,
        std::vector<std::string>{"--queues", "--port", std::to_string(port), "--cert-in",
                                 cert_.string(), "--key-in", (dir_ / "key.pem").string()},
        false);
    port_ = server_->port();
  }
  ~fake_api() { stop(); }
  //! SIGKILL, as a crash would end it; the queues stay for a restart.
  void stop() {
    if (server_) server_->kill();
  }

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }
  //! The certificate it serves (its own CA).
  const fs::path& cert() const { return cert_; }

  void list(const std::string& path, const std::string& body, int status = 200) {
    put(path, "list", std::to_string(status) + "\n" + body);
  }
  void watch(const std::string& path, const reply& r) {
    put(path, "watch",
        std::to_string(r.status) + " " + (r.expect_rv.empty() ? "-" : r.expect_rv) + " " +
            (r.hold ? "1" : "0") + " " + std::to_string(r.delay_ms) + "\n" + r.body);
  }
  void set_token(const std::string& t) { write(dir_ / "token", t); }
  void set_idle_hold(std::chrono::milliseconds d) {
    write(dir_ / "idle_hold_ms", std::to_string(d.count()));
  }

  std::vector<request> requests() const {
    std::vector<request> out;
    std::istringstream in(ix_test::slurp(dir_ / "requests.log"));
    for (std::string line; std::getline(in, line);) {
      // "GET /path?query auth=VALUE"
      const auto sp = line.find(' ');
      const auto auth = line.find(" auth=");
      if (sp == std::string::npos || auth == std::string::npos) continue;
      const std::string target = line.substr(sp + 1, auth - sp - 1);
      request r;
      r.path = target.substr(0, target.find('?'));
      r.query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
      r.auth = line.substr(auth + 6);
      std::istringstream q(r.query);
      for (std::string kv; std::getline(q, kv, '&');) {
        if (kv.starts_with("watch=")) r.watch = true;
        if (kv.starts_with("resourceVersion=")) r.rv = kv.substr(16);
      }
      out.push_back(std::move(r));
    }
    return out;
  }
  int rv_mismatches() const {
    const auto log = ix_test::slurp(dir_ / "mismatches.log");
    return static_cast<int>(std::count(log.begin(), log.end(), '\n'));
  }
  std::size_t pending_watch_scripts(const std::string& path) const {
    std::size_t n = 0;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(queue(path), ec))
      n += e.path().filename().string().starts_with("watch.");
    return n;
  }

 private:
  // The directory is made before the server starts (it writes its certificate there).
  static std::shared_ptr<ix_test::temp_dir> dir_holder_() {
    return std::make_shared<ix_test::temp_dir>();
  }
  explicit fake_api(std::shared_ptr<ix_test::temp_dir> d)
      : owned_(std::move(d)), dir_(owned_->path()), cert_(dir_ / "cert.pem") {
    write(dir_ / "token", "test-token");
    server_.emplace(dir_,
                    std::vector<std::string>{"--queues", "--key-out", (dir_ / "key.pem").string()});
    port_ = server_->port();
  }

  fs::path queue(const std::string& path) const {
    std::string key = path;
    std::replace(key.begin(), key.end(), '/', '_');
    return dir_ / "q" / key;
  }
  // Queued as a whole file (written aside, then renamed): the server never reads half of one.
  void put(const std::string& path, const std::string& what, const std::string& text) {
    const auto q = queue(path);
    fs::create_directories(q);
    static unsigned seq = 0;  // queued in the order the test queues them, over every server
    const auto file = q / (what + "." + std::to_string(++seq));
    write(file, text);
  }
  static void write(const fs::path& file, const std::string& text) {
    const auto tmp = file.string() + ".tmp";
    std::ofstream(tmp, std::ios::binary) << text;
    fs::rename(tmp, file);
  }

  std::shared_ptr<ix_test::temp_dir> owned_;  // the first server's; a restart borrows it
  fs::path dir_, cert_;
  std::optional<ix_test::child_server> server_;
  int port_ = 0;
};

const std::string deploy_path = "/apis/apps/v1/namespaces/default/deployments";

k8s::connection conn_to(const fake_api& api) {
  k8s::connection c;
  c.server = api.url();
  c.ca_file = api.cert();
  c.token = "test-token";
  c.namespace_name = "default";
  return c;
}

k8s::options fast(std::vector<k8s::resource> rs = {k8s::deployments()}) {
  k8s::options o;
  o.events = false;  // these tests script no Events
  o.resources = std::move(rs);
  o.watch_window = 600ms;
  o.read_timeout = 300ms;
  o.connect_timeout = 500ms;
  o.min_watch_interval = 20ms;
  o.backoff_initial = 20ms;
  o.backoff_max = 160ms;
  o.backoff_jitter = 0.0;
  return o;
}

// Steps `w` until `done` or the time limit; every step must return promptly.
template <class Done>
bool run(k8s::watcher& w, std::vector<k8s::event>& evs, Done done,
         std::chrono::milliseconds limit = 5000ms) {
  const auto end = steady::now() + limit;
  while (steady::now() < end) {
    if (done()) return true;
    const auto t0 = steady::now();
    const auto wait = w.step(evs);
    // A step is bounded (window + read timeout, 0.9 s here; a held watch would be 10 s), with
    // room for a loaded machine under ASan (2.3 s seen at load 10).
    CHECK(steady::now() - t0 < 4s);
    if (wait.count() > 0)
      std::this_thread::sleep_for(std::min<std::chrono::milliseconds>(wait, 20ms));
  }
  return done();
}

const k8s::event* last_state(const std::vector<k8s::event>& evs, const std::string& key) {
  const k8s::event* found = nullptr;
  for (const auto& e : evs)
    if (e.kind == ix::record_kind::state && e.name == key) found = &e;
  return found;
}

std::vector<const k8s::event*> notes_with(const std::vector<k8s::event>& evs,
                                          const std::string& part) {
  std::vector<const k8s::event*> out;
  for (const auto& e : evs)
    if (e.kind == ix::record_kind::notification && e.name.find(part) != std::string::npos)
      out.push_back(&e);
  return out;
}

std::size_t count_notes(const std::vector<k8s::event>& evs) {
  std::size_t n = 0;
  for (const auto& e : evs) n += e.kind == ix::record_kind::notification;
  return n;
}

}  // namespace

TEST_CASE("the first list of each collection records its objects' states",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  api.list("/apis/apps/v1/namespaces/default/statefulsets", fixture("statefulsets_list.json"));
  api.list("/api/v1/namespaces/default/pods", fixture("pods_list.json"));
  k8s::watcher w{conn_to(api), fast({k8s::deployments(), k8s::statefulsets(), k8s::pods()})};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] {
    for (const auto& s : w.status())
      if (s.lists == 0) return false;
    return true;
  }));
  auto value_of = [&](const std::string& key) {
    const auto* e = last_state(evs, key);
    INFO(key);
    REQUIRE(e);
    return e->val;
  };
  CHECK(value_of("default/Deployment/web/replicas.ready") == ix::value{std::int64_t{3}});
  CHECK(value_of("default/Deployment/api/replicas.available") == ix::value{std::int64_t{1}});
  CHECK(value_of("default/Deployment/api/condition/Available") == ix::value{std::string{"False"}});
  CHECK(value_of("default/Deployment/web/generation.observed") == ix::value{std::int64_t{3}});
  CHECK(value_of("default/StatefulSet/db/replicas.desired") == ix::value{std::int64_t{3}});
  CHECK(value_of("default/StatefulSet/db/replicas.ready") == ix::value{std::int64_t{2}});
  CHECK(value_of("default/Pod/api-6d9f7b8c5-q7w3e/restarts") == ix::value{std::int64_t{4}});
  CHECK(value_of("default/Pod/web-7c5d8f9b4d-x2k9p/phase") == ix::value{std::string{"Running"}});
  CHECK(value_of("_source/pods/health") == ix::value{std::string{"ok"}});
  CHECK(count_notes(evs) == 0);  // a first list describes, it does not notify

  const auto reqs = api.requests();
  REQUIRE(reqs.size() >= 3);
  CHECK(reqs[0].path == deploy_path);
  CHECK_FALSE(reqs[0].watch);
  CHECK(reqs[0].auth == "Bearer test-token");
  CHECK(reqs[0].query.find("limit=500") != std::string::npos);
  for (const auto& s : w.status()) {
    CHECK(s.resource_version == "1000");
    CHECK(s.failures == 0);
  }
}

TEST_CASE("watch events change states, notify, and resume from the last resourceVersion",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  // Each scripted watch ends when its events are sent (the server closes the stream), and
  // names the resourceVersion the client must resume from.
  api.watch(deploy_path, {200, fixture("deployments_watch_modified.jsonl"), "1000", false});
  api.watch(deploy_path, {200, fixture("deployments_watch_deleted.jsonl"), "1010", false});
  api.watch(deploy_path, {200, "", "1020", true});
  k8s::watcher w{conn_to(api), fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(deploy_path) == 0; }));
  CHECK(api.rv_mismatches() == 0);

  const auto* ready = last_state(evs, "default/Deployment/web/replicas.ready");
  REQUIRE(ready);
  CHECK(ready->val == ix::value{std::int64_t{2}});
  const auto n = notes_with(evs, "Deployment default/web: replicas.ready 3 -> 2");
  REQUIRE(n.size() == 1);
  CHECK(n[0]->sev == ix::severity::warning);
  ix::record attrs;
  attrs.fields = n[0]->fields;
  CHECK(*attrs.find_field("resource_version") == ix::value{std::string{"1005"}});
  CHECK(notes_with(evs, "condition/Available True -> False").size() == 1);

  const auto del = notes_with(evs, "Deployment default/api deleted");
  REQUIRE(del.size() == 1);
  CHECK(del[0]->sev == ix::severity::notice);
  const auto* exists = last_state(evs, "default/Deployment/api/exists");
  REQUIRE(exists);
  CHECK(exists->val == ix::value{false});

  const auto st = w.status().at(0);
  CHECK(st.lists == 1);  // resumed three times without listing again
  CHECK(st.watches >= 3);
  CHECK(st.resource_version == "1020");
  CHECK(st.objects == 1);
  std::vector<std::string> rvs;
  for (const auto& r : api.requests())
    if (r.watch) {
      rvs.push_back(r.rv);
      CHECK(r.query.find("allowWatchBookmarks=true") != std::string::npos);
    }
  REQUIRE(rvs.size() >= 3);
  CHECK(rvs[0] == "1000");
  CHECK(rvs[1] == "1010");  // the bookmark's
  CHECK(rvs[2] == "1020");
}

TEST_CASE("410 Gone as a watch ERROR event lists again and reports what changed meanwhile",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  api.list(deploy_path, fixture("deployments_relist.json"));
  api.watch(deploy_path, {200, fixture("watch_error_gone.jsonl"), "1000", true});
  api.watch(deploy_path, {200, "", "1500", false});
  k8s::watcher w{conn_to(api), fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(deploy_path) == 0; }));
  CHECK(api.rv_mismatches() == 0);
  const auto st = w.status().at(0);
  CHECK(st.lists == 2);
  CHECK(st.relists_gone == 1);
  CHECK(st.failures == 0);
  CHECK(notes_with(evs, "expired (410 Gone)").size() == 1);
  CHECK(notes_with(evs, "Deployment default/api deleted").size() == 1);
  CHECK(notes_with(evs, "Deployment default/cache added").size() == 1);
  CHECK(last_state(evs, "default/Deployment/cache/replicas.ready"));
  // web did not change: the re-list records nothing new for it (one reading: the first list).
  std::size_t web_states = 0;
  for (const auto& e : evs) web_states += e.name == "default/Deployment/web/replicas.ready";
  CHECK(web_states == 1);
}

TEST_CASE("410 Gone as an HTTP status lists again", "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  api.list(deploy_path, fixture("deployments_relist.json"));
  api.watch(deploy_path, {410, fixture("status_gone.json"), "1000", false});
  api.watch(deploy_path, {200, "", "1500", false});
  k8s::watcher w{conn_to(api), fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(deploy_path) == 0; }));
  const auto st = w.status().at(0);
  CHECK(st.relists_gone == 1);
  CHECK(st.lists == 2);
  CHECK(st.resource_version == "1500");
  CHECK(notes_with(evs, "Deployment default/api deleted").size() == 1);
}

TEST_CASE("a server that is down: the failure is recorded, the backoff grows, then recovery",
          "[kubernetes][source][tls]") {
  fake_api probe;  // find a free port, then kill the server (a crash)
  const int port = probe.port();
  REQUIRE(port > 0);
  probe.stop();
  k8s::connection c;
  c.server = "https://127.0.0.1:" + std::to_string(port);
  c.ca_file = probe.cert();
  c.token = "test-token";
  c.namespace_name = "default";
  k8s::watcher w{c, fast()};
  std::vector<k8s::event> evs;
  std::vector<long> delays;
  const auto t0 = steady::now();
  REQUIRE(run(w, evs, [&] {
    const auto s = w.status().at(0);
    if (s.failures > delays.size()) delays.push_back(static_cast<long>(s.backoff.count()));
    return delays.size() >= 5;
  }));
  CHECK(steady::now() - t0 < 3s);
  CHECK(delays == std::vector<long>{20, 40, 80, 160, 160});  // doubling, capped
  const auto s = w.status().at(0);
  CHECK_FALSE(s.listed);
  CHECK(s.last_error.find("list: Connection") != std::string::npos);
  const auto* health = last_state(evs, "_source/deployments.apps/health");
  REQUIRE(health);
  CHECK(health->val == ix::value{std::string{"failing"}});
  const auto* err = last_state(evs, "_source/deployments.apps/last_error");
  REQUIRE(err);
  CHECK(std::get<std::string>(err->val).find("Connection") != std::string::npos);
  // One notification per cause, not one per retry.
  const auto failed = notes_with(evs, "kubernetes: deployments.apps failed");
  REQUIRE(failed.size() == 1);
  CHECK(failed[0]->sev == ix::severity::warning);

  fake_api api{probe, port};  // the server comes back on the same port, same certificate
  if (api.port() != port) {
    WARN("port " << port << " was taken meanwhile: recovery not checked");
    return;
  }
  api.list(deploy_path, fixture("deployments_list.json"));
  REQUIRE(run(w, evs, [&] { return w.status().at(0).listed; }));
  CHECK(last_state(evs, "_source/deployments.apps/health")->val == ix::value{std::string{"ok"}});
  CHECK(notes_with(evs, "deployments.apps reachable again").size() == 1);
  CHECK(w.status().at(0).failures == 0);
}

TEST_CASE("an HTTP error is a failure whose cause is the API server's message",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("status_forbidden.json"), 403);
  k8s::watcher w{conn_to(api), fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return w.status().at(0).failures >= 2; }));
  const auto s = w.status().at(0);
  CHECK(s.last_error.find("list: HTTP 403: deployments.apps is forbidden") != std::string::npos);
  CHECK(notes_with(evs, "is forbidden").size() == 1);

  // A wrong token: 401.
  k8s::connection bad = conn_to(api);
  bad.token = "wrong";
  k8s::watcher w2{bad, fast()};
  REQUIRE(run(w2, evs, [&] { return w2.status().at(0).failures >= 1; }));
  CHECK(w2.status().at(0).last_error.find("HTTP 401") != std::string::npos);
}

TEST_CASE("TLS: a server certificate the CA does not sign is refused",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  k8s::connection c = conn_to(api);
  c.ca_file.clear();  // the system's CAs do not know the test's self-signed certificate
  k8s::watcher w{c, fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return w.status().at(0).failures >= 1; }));
  CHECK(w.status().at(0).last_error.find("SSLServerVerification") != std::string::npos);
  CHECK(api.requests().empty());  // refused before any request was sent

  // The CA given in memory, as kubeconfig's certificate-authority-data gives it.
  std::ifstream in(api.cert());
  std::ostringstream pem;
  pem << in.rdbuf();
  c.ca_pem = pem.str();
  k8s::watcher w2{c, fast()};
  REQUIRE(run(w2, evs, [&] { return w2.status().at(0).listed; }));
}

TEST_CASE("custom resources, namespaced and cluster-scoped, are listed and watched",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list("/apis/example.com/v1/namespaces/default/widgets", fixture("widgets_list.json"));
  api.list("/apis/example.com/v1/backends", fixture("backends_list.json"));
  api.watch("/apis/example.com/v1/backends",
            {200,
             R"({"type":"MODIFIED","object":{"apiVersion":"example.com/v1","kind":"Backend",)"
             R"("metadata":{"name":"b1","uid":"dd000000-0000-4000-8000-000000000001",)"
             R"("resourceVersion":"2010","generation":1},"status":{"phase":"Degraded"}}})"
             "\n",
             "2005", false});
  auto o = fast({k8s::custom_resource("example.com", "v1", "widgets"),
                 k8s::custom_resource("example.com", "v1", "backends", false)});
  k8s::watcher w{conn_to(api), o};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] {
    return api.pending_watch_scripts("/apis/example.com/v1/backends") == 0 &&
           w.status().at(1).resource_version == "2010";
  }));
  CHECK(last_state(evs, "default/Widget/w1/generation")->val == ix::value{std::int64_t{4}});
  CHECK(last_state(evs, "default/Widget/w1/condition/Ready")->val ==
        ix::value{std::string{"True"}});
  CHECK(last_state(evs, "_cluster/Backend/b1/phase")->val == ix::value{std::string{"Degraded"}});
  CHECK(notes_with(evs, "Backend _cluster/b1: phase Healthy -> Degraded").size() == 1);
  CHECK(api.rv_mismatches() == 0);
}

TEST_CASE("in-cluster configuration from a service-account directory, with token rotation",
          "[kubernetes][source][tls]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  std::string t = (fs::temp_directory_path() / "ix-k8s-sa-XXXXXX").string();
  const fs::path dir = ::mkdtemp(t.data());
  std::ofstream(dir / "token") << "sa-token-1\n";
  std::ofstream(dir / "namespace") << "storage";
  fs::copy_file(api.cert(), dir / "ca.crt");
  api.set_token("sa-token-1");
  const std::string path = "/apis/apps/v1/namespaces/storage/deployments";
  api.list(path, fixture("deployments_list.json"));
  api.watch(path, {200, "", "1000", false});
  api.watch(path, {200, "", "1000", false});

  const auto c = k8s::load_in_cluster({dir, "127.0.0.1", std::to_string(api.port())});
  INFO(c.error);
  REQUIRE(c);
  k8s::watcher w{*c, fast()};
  CHECK(w.watched_namespace() == "storage");
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(path) == 1; }));
  // The kubelet rotates the projected token: the next request must carry the new one.
  std::ofstream(dir / "token") << "sa-token-2\n";
  api.set_token("sa-token-2");
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(path) == 0; }));
  const auto reqs = api.requests();
  REQUIRE(reqs.size() >= 3);
  CHECK(reqs[0].auth == "Bearer sa-token-1");
  CHECK(reqs[2].auth == "Bearer sa-token-2");
  CHECK(w.status().at(0).total_failures == 0);
  std::error_code ec;
  fs::remove_all(dir, ec);
}

TEST_CASE("the source's thread hands events to the collector and stop() interrupts a held watch",
          "[kubernetes][source][tls][threads]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.set_idle_hold(10s);  // idle watches stay open: only an interrupt ends them early
  api.list(deploy_path, fixture("deployments_list.json"));
  api.watch(deploy_path, {200, fixture("deployments_watch_modified.jsonl"), "1000", true});
  auto o = fast();
  o.read_timeout = 10s;  // so that a prompt stop() proves the interrupt, not a timeout
  o.watch_window = 10s;
  ix::source::kubernetes_source src{conn_to(api), o};
  CHECK(src.threads() == 1);  // one collection: one lane
  src.start();
  std::vector<std::string> states, notes;
  const auto end = steady::now() + 5s;
  while (steady::now() < end) {
    src.collect([&](const ix::record_view& r) {
      CHECK(r.source == "kubernetes");
      (r.kind == ix::record_kind::state ? states : notes).emplace_back(r.name);
    });
    if (!notes.empty()) break;
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(notes.size() >= 1);
  CHECK(std::find(states.begin(), states.end(), "default/Deployment/web/replicas.ready") !=
        states.end());
  CHECK(std::find(notes.begin(), notes.end(), "Deployment default/web: replicas.ready 3 -> 2") !=
        notes.end());
  // The first scripted watch holds its stream open for 10 s after its events.
  const auto t0 = steady::now();
  src.stop();
  CHECK(steady::now() - t0 < 2s);
  CHECK(src.status().at(0).lists == 1);
}

TEST_CASE("every collection has its own watch: a change is read while another watch is held",
          "[kubernetes][source][tls][threads]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.set_idle_hold(10s);  // held watches stay open: only an interrupt ends them early
  const std::string sts_path = "/apis/apps/v1/namespaces/default/statefulsets";
  api.list(deploy_path, fixture("deployments_list.json"));
  api.list(sts_path, fixture("statefulsets_list.json"));
  api.watch(deploy_path, {200, "", "1000", true});  // idle for 10 s
  api.watch(sts_path,
            {200,
             R"({"type":"MODIFIED","object":{"apiVersion":"apps/v1","kind":"StatefulSet",)"
             R"("metadata":{"name":"db","namespace":"default","resourceVersion":"1003",)"
             R"("generation":1},"spec":{"replicas":3},"status":{"replicas":3,)"
             R"("readyReplicas":1,"observedGeneration":1}}})"
             "\n",
             "1000", true, 2000});  // the change happens 2 s after the watch opens
  auto o = fast({k8s::deployments(), k8s::statefulsets()});
  o.read_timeout = 10s;  // a prompt change proves the concurrent watch, not a timeout
  o.watch_window = 10s;
  o.connect_timeout = 5s;  // a loaded machine (ASan) must not turn this into a failure
  ix::source::kubernetes_source src{conn_to(api), o};
  CHECK(src.threads() == 2);
  const auto t0 = steady::now();
  src.start();
  bool seen = false;
  while (!seen && steady::now() - t0 < 5s) {
    src.collect([&](const ix::record_view& r) {
      seen |= r.kind == ix::record_kind::notification &&
              r.name == "StatefulSet default/db: replicas.ready 2 -> 1";
    });
    std::this_thread::sleep_for(10ms);
  }
  REQUIRE(seen);
  // The deployments' watch was open meanwhile (held for 10 s): one thread for both would still
  // be inside it.
  CHECK(api.pending_watch_scripts(deploy_path) == 0);
  CHECK(steady::now() - t0 < 6s);
  const auto t1 = steady::now();
  src.stop();  // both held watches are broken off
  CHECK(steady::now() - t1 < 2s);
  for (const auto& st : src.status()) {
    INFO(st.name << ": " << st.last_error);
    CHECK(st.total_failures == 0);
  }
}

TEST_CASE("the source records a missing configuration and retries until it appears",
          "[kubernetes][source][tls][threads]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("pods_list.json"));
  std::atomic<int> calls{0};
  std::atomic<bool> available{false};
  const auto good = conn_to(api);
  ix::source::kubernetes_source src{[&]() -> k8s::loaded<k8s::connection> {
                                      ++calls;
                                      if (!available)
                                        return k8s::loaded<k8s::connection>::failed("no token yet");
                                      return k8s::loaded<k8s::connection>::ok(good);
                                    },
                                    fast()};
  src.start();
  std::vector<std::pair<std::string, std::string>> seen;  // (name, value or severity)
  auto collect = [&] {
    src.collect(
        k8s::callbacks{[&](std::string_view, std::string_view key, ix::value_view v, std::int64_t) {
                         seen.emplace_back(std::string{key}, v.type() == ix::value_type::string
                                                                 ? std::string{v.as_string()}
                                                                 : std::to_string(v.as_int()));
                       },
                       [&](ix::severity, std::string_view msg, std::span<const ix::field_view>,
                           std::int64_t) { seen.emplace_back(std::string{msg}, "notification"); }});
  };
  const auto end = steady::now() + 3s;
  while (steady::now() < end && calls < 4) std::this_thread::sleep_for(10ms);
  REQUIRE(calls >= 4);  // retried with backoff
  std::vector<std::string> errors;
  const auto report = src.collect(
      [&](const ix::record_view& r) {
        seen.emplace_back(std::string{r.name}, r.kind == ix::record_kind::notification
                                                   ? std::string{"notification"}
                                               : r.val.type() == ix::value_type::string
                                                   ? std::string{r.val.as_string()}
                                                   : std::to_string(r.val.as_int()));
      },
      [&](std::string_view part, std::string_view cause) {
        errors.push_back(std::string{part} + ": " + std::string{cause});
      });
  CHECK(report.status == ix::source::collect_status::failed);
  CHECK(report.failed_parts == 1);
  CHECK(errors == std::vector<std::string>{"config: no token yet"});
  CHECK(report.emitted > 0);
  CHECK(src.config_error() == "no token yet");
  CHECK(std::count(seen.begin(), seen.end(),
                   std::pair<std::string, std::string>{"_source/config/health", "failing"}) == 1);
  CHECK(std::count(seen.begin(), seen.end(),
                   std::pair<std::string, std::string>{"kubernetes: no connection: no token yet",
                                                       "notification"}) == 1);

  available = true;
  const auto end2 = steady::now() + 5s;
  while (steady::now() < end2 && (src.status().empty() || src.status().at(0).lists == 0))
    std::this_thread::sleep_for(10ms);
  REQUIRE_FALSE(src.status().empty());
  CHECK(src.status().at(0).lists == 1);
  CHECK(src.config_error().empty());
  src.stop();
  collect();
  CHECK(std::count(seen.begin(), seen.end(),
                   std::pair<std::string, std::string>{"_source/config/health", "ok"}) == 1);
  CHECK(src.dropped() == 0);
}

TEST_CASE("a collector that does not keep up loses the oldest events, counted and reported",
          "[kubernetes][source][tls][threads]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list("/api/v1/namespaces/default/pods", fixture("pods_list.json"));
  auto o = fast({k8s::pods()});
  o.handoff_capacity = 6;  // fewer than the states of one list
  ix::source::kubernetes_source src{conn_to(api), o};
  src.start();
  const auto end = steady::now() + 5s;
  while (steady::now() < end && (src.status().empty() || src.status().at(0).lists == 0))
    std::this_thread::sleep_for(10ms);
  src.stop();
  REQUIRE(src.dropped() > 0);
  std::vector<std::string> names;
  src.collect([&](const ix::record_view& r) { names.emplace_back(r.name); });
  CHECK(names.size() <= 8);  // the kept events plus the drop report
  bool drop_note = false, drop_state = false;
  for (const auto& n : names) {
    drop_note |= n.find("events dropped: the collector did not keep up") != std::string::npos;
    drop_state |= n == "_source/handoff/dropped";
  }
  CHECK(drop_note);
  CHECK(drop_state);
}

// --- snapshots (options::snapshots, the uber tier) ---

namespace {

std::vector<const k8s::event*> snapshots_of(const std::vector<k8s::event>& evs) {
  std::vector<const k8s::event*> out;
  for (const auto& e : evs)
    if (e.kind == ix::record_kind::snapshot) out.push_back(&e);
  return out;
}

ix::value attr(const k8s::event& e, const std::string& key) {
  for (const auto& f : e.fields)
    if (f.key == key) return f.val;
  return {};
}

std::string text(const ix::value& v) {
  return std::holds_alternative<std::string>(v) ? std::get<std::string>(v) : std::string{"?"};
}

// The snapshot records of one snapshot id: begin marker, objects, end marker, in that order.
struct one_snapshot {
  std::vector<const k8s::event*> objects;
  const k8s::event* begin = nullptr;
  const k8s::event* end = nullptr;
};
one_snapshot snapshot_with_id(const std::vector<k8s::event>& evs, std::int64_t id) {
  one_snapshot s;
  for (const auto* e : snapshots_of(evs)) {
    if (attr(*e, "snapshot_id") != ix::value{id}) continue;
    const auto op = text(attr(*e, "op"));
    if (e->name == k8s::snapshot_marker) {
      if (op == "begin") {
        CHECK(!s.begin);
        CHECK(s.objects.empty());
        s.begin = e;
      } else if (op == "end") {
        CHECK(!s.end);
        s.end = e;
      }
    } else if (op == "snapshot") {
      CHECK(s.begin);
      CHECK(!s.end);
      s.objects.push_back(e);
    }
  }
  return s;
}

}  // namespace

TEST_CASE("snapshots: each list is recorded whole at its resourceVersion, then watched changes",
          "[kubernetes][source][tls][snapshot]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  api.watch(deploy_path, {200, fixture("deployments_watch_modified.jsonl"), "1000", false});
  api.watch(deploy_path, {200, fixture("deployments_watch_deleted.jsonl"), "1010", false});
  api.watch(deploy_path, {200, "", "1020", true});
  auto o = fast();
  o.snapshots = true;
  o.snapshot_interval = 0ms;
  k8s::watcher w{conn_to(api), o};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(deploy_path) == 0; }));
  CHECK(api.rv_mismatches() == 0);

  const auto s = snapshot_with_id(evs, 1);
  REQUIRE(s.begin);
  REQUIRE(s.end);
  CHECK(s.begin->val == ix::value{std::string{"begin"}});
  CHECK(attr(*s.begin, "resource") == ix::value{std::string{"deployments.apps"}});
  CHECK(attr(*s.begin, "namespace") == ix::value{std::string{"default"}});
  CHECK(attr(*s.begin, "resource_version") == ix::value{std::string{"1000"}});
  CHECK(attr(*s.end, "resource_version") == ix::value{std::string{"1000"}});
  CHECK(attr(*s.end, "objects") == ix::value{std::int64_t{2}});
  REQUIRE(s.objects.size() == 2);
  // Key order; every object at the list's resourceVersion, its own one kept beside it.
  CHECK(s.objects[0]->name == "default/Deployment/api");
  CHECK(s.objects[1]->name == "default/Deployment/web");
  std::int64_t bytes = 0;
  simdjson::dom::parser p;
  for (const auto* e : s.objects) {
    CHECK(attr(*e, "resource_version") == ix::value{std::string{"1000"}});
    CHECK(attr(*e, "resource") == ix::value{std::string{"deployments.apps"}});
    CHECK(attr(*e, "kind") == ix::value{std::string{"Deployment"}});
    CHECK(attr(*e, "exists") == ix::value{true});
    // The value is the object's JSON.
    const auto json = text(e->val);
    bytes += static_cast<std::int64_t>(json.size());
    simdjson::dom::element doc;
    REQUIRE(p.parse(json).get(doc) == simdjson::SUCCESS);
    std::string_view name;
    REQUIRE(doc["metadata"]["name"].get_string().get(name) == simdjson::SUCCESS);
    CHECK(e->name.ends_with("/" + std::string{name}));
    std::int64_t replicas = 0;
    CHECK(doc["spec"]["replicas"].get_int64().get(replicas) == simdjson::SUCCESS);
  }
  CHECK(attr(*s.end, "bytes") == ix::value{bytes});
  CHECK(attr(*s.objects[1], "object_resource_version") == ix::value{std::string{"990"}});
  CHECK(attr(*s.objects[1], "replicas.ready") == ix::value{std::int64_t{3}});
  CHECK(attr(*s.objects[0], "condition/Available") == ix::value{std::string{"False"}});

  // Changes between snapshots: put (web modified at 1005), delete (api at 1020).
  std::vector<const k8s::event*> puts, dels;
  for (const auto* e : snapshots_of(evs)) {
    const auto op = text(attr(*e, "op"));
    if (op == "put") puts.push_back(e);
    if (op == "delete") dels.push_back(e);
  }
  REQUIRE(puts.size() == 1);
  CHECK(puts[0]->name == "default/Deployment/web");
  CHECK(attr(*puts[0], "resource_version") == ix::value{std::string{"1005"}});
  CHECK(attr(*puts[0], "snapshot_id") == ix::value{std::int64_t{1}});
  CHECK(attr(*puts[0], "replicas.ready") == ix::value{std::int64_t{2}});
  CHECK(text(puts[0]->val).find("\"readyReplicas\":2") != std::string::npos);
  REQUIRE(dels.size() == 1);
  CHECK(dels[0]->name == "default/Deployment/api");
  CHECK(attr(*dels[0], "resource_version") == ix::value{std::string{"1020"}});
  CHECK(std::holds_alternative<std::monostate>(dels[0]->val));

  // The large tier's records are still there.
  CHECK(last_state(evs, "default/Deployment/web/replicas.ready"));
  CHECK(notes_with(evs, "Deployment default/web: replicas.ready 3 -> 2").size() == 1);
  CHECK(w.status().at(0).snapshots == 1);
  CHECK(w.status().at(0).lists == 1);
}

TEST_CASE("without snapshots no snapshot record is made (the large tier is unchanged)",
          "[kubernetes][source][tls][snapshot]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  api.watch(deploy_path, {200, fixture("deployments_watch_modified.jsonl"), "1000", false});
  api.watch(deploy_path, {200, "", "1010", true});
  k8s::watcher w{conn_to(api), fast()};
  std::vector<k8s::event> evs;
  REQUIRE(run(w, evs, [&] { return api.pending_watch_scripts(deploy_path) == 0; }));
  CHECK(snapshots_of(evs).empty());
  CHECK(last_state(evs, "default/Deployment/web/replicas.ready"));
  CHECK(w.status().at(0).snapshots == 0);
}

TEST_CASE("snapshot_now() breaks a held watch and records a new snapshot through collect()",
          "[kubernetes][source][tls][snapshot][threads]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.set_idle_hold(10s);  // the watch is held open: only the demand ends it early
  api.list(deploy_path, fixture("deployments_list.json"));
  api.list(deploy_path, fixture("deployments_relist.json"));
  auto o = fast();
  o.read_timeout = 10s;
  o.watch_window = 10s;
  o.snapshots = true;
  o.snapshot_interval = 0ms;
  ix::source::kubernetes_source src{conn_to(api), o};
  src.start();
  std::vector<k8s::event> got;
  auto collect_until = [&](auto done) {
    const auto end = steady::now() + 5s;
    while (steady::now() < end && !done()) {
      src.collect([&](const ix::record_view& r) {
        CHECK(r.source == "kubernetes");
        k8s::event e;
        e.kind = r.kind;
        e.name = std::string{r.name};
        e.val = ix::to_value(r.val);
        for (const auto& f : r.fields)
          e.fields.push_back({std::string{f.key}, ix::to_value(f.value)});
        got.push_back(std::move(e));
      });
      std::this_thread::sleep_for(10ms);
    }
    return done();
  };
  REQUIRE(collect_until([&] { return snapshot_with_id(got, 1).end != nullptr; }));
  // Wait for the watch to be held open, then ask.
  REQUIRE(collect_until([&] {
    for (const auto& r : api.requests())
      if (r.watch) return true;
    return false;
  }));
  std::this_thread::sleep_for(100ms);
  const auto t0 = steady::now();
  src.snapshot_now();
  REQUIRE(collect_until([&] { return snapshot_with_id(got, 2).end != nullptr; }));
  CHECK(steady::now() - t0 < 2s);  // not the 10 s the held watch would last
  const auto s2 = snapshot_with_id(got, 2);
  CHECK(attr(*s2.end, "resource_version") == ix::value{std::string{"1500"}});
  REQUIRE(s2.objects.size() == 2);
  CHECK(s2.objects[0]->name == "default/Deployment/cache");
  CHECK(s2.objects[1]->name == "default/Deployment/web");
  for (const auto* e : s2.objects)
    CHECK(attr(*e, "resource_version") == ix::value{std::string{"1500"}});
  src.stop();
  const auto st = src.status().at(0);
  CHECK(st.snapshots == 2);
  CHECK(st.failures == 0);  // the watch broken off for the snapshot is no failure
  CHECK(st.total_failures == 0);
}

TEST_CASE("snapshots are taken again at snapshot_interval", "[kubernetes][source][tls][snapshot]") {
  fake_api api;
  REQUIRE(api.port() > 0);
  api.list(deploy_path, fixture("deployments_list.json"));
  auto o = fast();
  o.snapshots = true;
  o.snapshot_interval = 300ms;
  k8s::watcher w{conn_to(api), o};
  std::vector<k8s::event> evs;
  const auto t0 = steady::now();
  REQUIRE(run(w, evs, [&] { return w.status().at(0).snapshots >= 3; }));
  CHECK(steady::now() - t0 >= 600ms);
  const auto s3 = snapshot_with_id(evs, 3);
  REQUIRE(s3.end);
  // Unchanged objects are references to the snapshot that recorded them whole (the first).
  REQUIRE(s3.objects.size() == 2);
  for (const auto* e : s3.objects) {
    CHECK(attr(*e, "same_as_snapshot") == ix::value{std::int64_t{1}});
    CHECK(std::holds_alternative<std::monostate>(e->val));
    CHECK(attr(*e, "replicas.ready") == ix::value{});  // identity only
  }
  CHECK(attr(*s3.end, "references") == ix::value{std::int64_t{2}});
  CHECK(attr(*s3.end, "stored_bytes") == ix::value{std::int64_t{0}});
  CHECK(w.status().at(0).failures == 0);
}

TEST_CASE("the uber tier's kinds turn snapshots on; the large tier's leave them off",
          "[kubernetes][engine][snapshot]") {
  using traits = ix::source_traits<ix::source::kubernetes>;
  CHECK(traits::options_for<ix::tier::uber::kinds>().snapshots);
  CHECK_FALSE(traits::options_for<ix::tier::large::kinds>().snapshots);
  CHECK_FALSE(traits::options_for<ix::kinds<ix::kind::state, ix::kind::notification>>().snapshots);
  CHECK(traits::options_for<ix::kinds<ix::kind::state, ix::kind::snapshot>>().snapshots);
}
