// The Kubernetes source against a fake kube-apiserver that the test serves over TLS on
// 127.0.0.1 (a random port, a certificate generated with `openssl` at test time), answering
// with fixtures shaped like real list and watch responses.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>

#include <introspect/engine/kubernetes.hpp>
#include <introspect/policy/tier.hpp>
#include <introspect/source/kubernetes/in_cluster.hpp>
#include <introspect/source/kubernetes/kubernetes_source.hpp>
#include <introspect/source/kubernetes/watcher.hpp>

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

// A self-signed certificate for 127.0.0.1, made once per run.
struct tls_files {
  fs::path dir, cert, key;
  tls_files() {
    std::string t = (fs::temp_directory_path() / "ix-k8s-tls-XXXXXX").string();
    dir = ::mkdtemp(t.data());
    cert = dir / "cert.pem";
    key = dir / "key.pem";
    const std::string cmd = std::string{INTROSPECT_OPENSSL_EXE} +
                            " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
                            " -keyout " +
                            key.string() + " -out " + cert.string() +
                            " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
                            " >/dev/null 2>&1";
    ok = std::system(cmd.c_str()) == 0 && fs::exists(cert) && fs::exists(key);
  }
  ~tls_files() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  bool ok = false;
};

const tls_files& tls() {
  static tls_files t;
  REQUIRE(t.ok);
  return t;
}

// A fake kube-apiserver. Lists answer from a queue per path (the last answer repeats); watches
// answer from a script per path; a script names the resourceVersion it expects, and a
// request with another one is refused (400) and counted, so the tests see how watches resume.
class fake_api {
 public:
  struct reply {
    int status = 200;
    std::string body;
    std::string expect_rv;  // watches: the resourceVersion the request must carry
    bool hold = false;      // watches: keep the stream open (idle) after the body
  };
  struct request {
    std::string path;
    bool watch = false;
    std::string rv;
    std::string auth;
    std::string query;
  };

  explicit fake_api(int port = 0) {
    svr_ = std::make_unique<httplib::SSLServer>(tls().cert.c_str(), tls().key.c_str());
    REQUIRE(svr_->is_valid());
    // An idle keep-alive connection holds a server thread (and stop()) for this long.
    svr_->set_keep_alive_timeout(1);
    svr_->Get(".*", [this](const httplib::Request& q, httplib::Response& r) { handle(q, r); });
    port_ = port ? (svr_->bind_to_port("127.0.0.1", port) ? port : -1)
                 : svr_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0) return;
    thread_ = std::thread([this] { svr_->listen_after_bind(); });
    for (int i = 0; i < 200 && !svr_->is_running(); ++i) std::this_thread::sleep_for(5ms);
  }
  ~fake_api() { stop(); }
  void stop() {
    stopping_ = true;
    if (svr_) svr_->stop();
    if (thread_.joinable()) thread_.join();
  }

  int port() const { return port_; }
  std::string url() const { return "https://127.0.0.1:" + std::to_string(port_); }

  void list(const std::string& path, std::string body, int status = 200) {
    std::lock_guard l(mu_);
    lists_[path].push_back({status, std::move(body), {}, false});
  }
  void watch(const std::string& path, reply r) {
    std::lock_guard l(mu_);
    watches_[path].push_back(std::move(r));
  }
  void set_token(std::string t) {
    std::lock_guard l(mu_);
    token_ = std::move(t);
  }
  void set_idle_hold(std::chrono::milliseconds d) { idle_hold_ms_ = static_cast<int>(d.count()); }

  std::vector<request> requests() const {
    std::lock_guard l(mu_);
    return requests_;
  }
  int rv_mismatches() const {
    std::lock_guard l(mu_);
    return rv_mismatches_;
  }
  std::size_t pending_watch_scripts(const std::string& path) const {
    std::lock_guard l(mu_);
    auto it = watches_.find(path);
    return it == watches_.end() ? 0 : it->second.size();
  }

 private:
  static std::string status_json(int code, const std::string& reason, const std::string& msg) {
    return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" +
           msg + R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
  }

  void stream(httplib::Response& r, std::string body, bool hold) {
    r.status = 200;
    r.set_chunked_content_provider("application/json", [this, body = std::move(body), hold](
                                                           std::size_t, httplib::DataSink& sink) {
      if (!body.empty() && !sink.write(body.data(), body.size())) return false;
      const auto until = steady::now() + std::chrono::milliseconds(idle_hold_ms_.load());
      while (hold && !stopping_ && steady::now() < until && sink.is_writable())
        std::this_thread::sleep_for(5ms);
      sink.done();
      return true;
    });
  }

  void handle(const httplib::Request& q, httplib::Response& r) {
    request rec{q.path,
                q.has_param("watch"),
                q.get_param_value("resourceVersion"),
                q.get_header_value("Authorization"),
                {}};
    for (const auto& [k, v] : q.params) rec.query += k + "=" + v + "&";
    std::unique_lock l(mu_);
    requests_.push_back(rec);
    if (!token_.empty() && rec.auth != "Bearer " + token_) {
      r.status = 401;
      r.set_content(status_json(401, "Unauthorized", "Unauthorized"), "application/json");
      return;
    }
    if (rec.watch) {
      auto& script = watches_[q.path];
      if (script.empty()) {  // nothing scripted: an idle watch
        l.unlock();
        stream(r, {}, true);
        return;
      }
      reply next = script.front();
      if (!next.expect_rv.empty() && rec.rv != next.expect_rv) {
        ++rv_mismatches_;
        r.status = 400;
        r.set_content(status_json(400, "BadRequest", "unexpected resourceVersion " + rec.rv),
                      "application/json");
        return;
      }
      script.pop_front();
      l.unlock();
      if (next.status != 200) {
        r.status = next.status;
        r.set_content(next.body, "application/json");
        return;
      }
      stream(r, std::move(next.body), next.hold);
      return;
    }
    auto it = lists_.find(q.path);
    if (it == lists_.end() || it->second.empty()) {
      r.status = 404;
      r.set_content(
          status_json(404, "NotFound", "the server could not find the requested resource"),
          "application/json");
      return;
    }
    const reply rep = it->second.front();
    if (it->second.size() > 1) it->second.pop_front();
    r.status = rep.status;
    r.set_content(rep.body, "application/json");
  }

  std::unique_ptr<httplib::SSLServer> svr_;
  std::thread thread_;
  int port_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> idle_hold_ms_{300};
  mutable std::mutex mu_;
  std::map<std::string, std::deque<reply>> lists_;
  std::map<std::string, std::deque<reply>> watches_;
  std::vector<request> requests_;
  std::string token_ = "test-token";
  int rv_mismatches_ = 0;
};

const std::string deploy_path = "/apis/apps/v1/namespaces/default/deployments";

k8s::connection conn_to(const fake_api& api) {
  k8s::connection c;
  c.server = api.url();
  c.ca_file = tls().cert;
  c.token = "test-token";
  c.namespace_name = "default";
  return c;
}

k8s::options fast(std::vector<k8s::resource> rs = {k8s::deployments()}) {
  k8s::options o;
  o.events = false;  // the in-process server serves no Events
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
    CHECK(steady::now() - t0 < 2s);  // a step is bounded (window + read timeout)
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
  int port = 0;
  {
    fake_api probe;  // find a free port, then close it
    port = probe.port();
  }
  REQUIRE(port > 0);
  k8s::connection c;
  c.server = "https://127.0.0.1:" + std::to_string(port);
  c.ca_file = tls().cert;
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

  fake_api api{port};  // the server comes back on the same port
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
  std::ifstream in(tls().cert);
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
  fs::copy_file(tls().cert, dir / "ca.crt");
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
  STATIC_REQUIRE(ix::source::kubernetes_source::threads == 1);
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
