// What the Kubernetes source records of an object, and which changes it notifies: read from
// fixtures shaped like real API responses.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <simdjson.h>

#include <introspect/source/handoff.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/object_state.hpp>

namespace k8s = introspect::kubernetes;
namespace ix = introspect;

namespace {

const std::filesystem::path fixtures{INTROSPECT_K8S_FIXTURES};

std::vector<k8s::object_state> read_list(const std::string& file, const k8s::resource& r) {
  simdjson::dom::parser p;
  simdjson::dom::element doc;
  REQUIRE(p.load((fixtures / file).string()).get(doc) == simdjson::SUCCESS);
  std::string_view kind;
  REQUIRE(doc["kind"].get_string().get(kind) == simdjson::SUCCESS);
  std::vector<k8s::object_state> out;
  for (auto item : doc["items"].get_array()) {
    k8s::object_state o;
    REQUIRE(k8s::read_object(item, r, kind, o));
    out.push_back(o);
  }
  return out;
}

const ix::value& field(const k8s::object_state& o, std::string_view f) {
  const auto* v = o.find(f);
  INFO("field " << f);
  REQUIRE(v);
  return *v;
}

const k8s::event* find_state(const std::vector<k8s::event>& evs, std::string_view key) {
  for (const auto& e : evs)
    if (e.kind == ix::record_kind::state && e.name == key) return &e;
  return nullptr;
}

std::vector<const k8s::event*> notifications(const std::vector<k8s::event>& evs) {
  std::vector<const k8s::event*> out;
  for (const auto& e : evs)
    if (e.kind == ix::record_kind::notification) out.push_back(&e);
  return out;
}

}  // namespace

TEST_CASE("a Deployment's replicas, generations and conditions are read", "[kubernetes][state]") {
  const auto d = read_list("deployments_list.json", k8s::deployments());
  REQUIRE(d.size() == 2);
  CHECK(d[0].key_prefix() == "default/Deployment/web");
  CHECK(d[0].resource_version == "990");
  CHECK(field(d[0], "replicas.desired") == ix::value{std::int64_t{3}});
  CHECK(field(d[0], "replicas.ready") == ix::value{std::int64_t{3}});
  CHECK(field(d[0], "generation") == ix::value{std::int64_t{3}});
  CHECK(field(d[0], "generation.observed") == ix::value{std::int64_t{3}});
  CHECK(field(d[0], "condition/Available") == ix::value{std::string{"True"}});
  CHECK(field(d[1], "replicas.ready") == ix::value{std::int64_t{1}});
  CHECK(field(d[1], "condition/Available") == ix::value{std::string{"False"}});
}

TEST_CASE("a StatefulSet without some counters records them as 0", "[kubernetes][state]") {
  const auto s = read_list("statefulsets_list.json", k8s::statefulsets());
  REQUIRE(s.size() == 1);
  CHECK(s[0].kind == "StatefulSet");
  CHECK(field(s[0], "replicas.ready") == ix::value{std::int64_t{2}});
  CHECK(field(s[0], "replicas.available") == ix::value{std::int64_t{2}});
  CHECK(s[0].find("condition/Available") == nullptr);  // this one has no conditions
}

TEST_CASE("a Pod's phase, restarts and readiness are read", "[kubernetes][state]") {
  const auto p = read_list("pods_list.json", k8s::pods());
  REQUIRE(p.size() == 2);
  CHECK(p[1].key_prefix() == "default/Pod/api-6d9f7b8c5-q7w3e");
  CHECK(field(p[1], "phase") == ix::value{std::string{"Running"}});
  CHECK(field(p[1], "restarts") == ix::value{std::int64_t{4}});
  CHECK(field(p[1], "container/api/restarts") == ix::value{std::int64_t{4}});
  CHECK(field(p[1], "container/api/ready") == ix::value{false});
  CHECK(field(p[1], "condition/Ready") == ix::value{std::string{"False"}});
}

TEST_CASE("custom resources take their kind from the objects or the list", "[kubernetes][state]") {
  const auto w =
      read_list("widgets_list.json", k8s::custom_resource("example.com", "v1", "widgets"));
  REQUIRE(w.size() == 1);
  CHECK(w[0].key_prefix() == "default/Widget/w1");
  CHECK(field(w[0], "generation") == ix::value{std::int64_t{4}});
  CHECK(field(w[0], "generation.observed") == ix::value{std::int64_t{3}});
  CHECK(field(w[0], "phase") == ix::value{std::string{"Reconciling"}});
  CHECK(field(w[0], "replicas.ready") == ix::value{std::int64_t{2}});
  const auto b =
      read_list("backends_list.json", k8s::custom_resource("example.com", "v1", "backends", false));
  REQUIRE(b.size() == 1);
  CHECK(b[0].key_prefix() == "_cluster/Backend/b1");
  CHECK(b[0].find("replicas.desired") == nullptr);  // no replicas in this resource
  CHECK(b[0].find("generation.observed") == nullptr);
}

TEST_CASE("diff: the first reading is states only and changes are states and notifications",
          "[kubernetes][state]") {
  const auto d = read_list("deployments_list.json", k8s::deployments());
  std::vector<k8s::event> evs;
  k8s::diff(nullptr, d[0], false, 1, evs);
  CHECK(notifications(evs).empty());
  REQUIRE(find_state(evs, "default/Deployment/web/replicas.ready"));
  CHECK(find_state(evs, "default/Deployment/web/exists")->val == ix::value{true});

  auto after = d[0];
  after.resource_version = "1005";
  for (auto& [k, v] : after.fields) {
    if (k == "replicas.ready") v = std::int64_t{2};
    if (k == "condition/Available") v = std::string{"False"};
  }
  evs.clear();
  k8s::diff(&d[0], after, true, 2, evs);
  REQUIRE(evs.size() == 4);  // two states, two notifications
  const auto ready = find_state(evs, "default/Deployment/web/replicas.ready");
  REQUIRE(ready);
  CHECK(ready->val == ix::value{std::int64_t{2}});
  CHECK(ready->ts_ns == 2);
  const auto n = notifications(evs);
  REQUIRE(n.size() == 2);
  CHECK(n[0]->name == "Deployment default/web: replicas.ready 3 -> 2");
  CHECK(n[0]->sev == ix::severity::warning);
  CHECK(n[1]->name == "Deployment default/web: condition/Available True -> False");
  CHECK(n[1]->sev == ix::severity::warning);
  ix::record r;
  r.fields = n[0]->fields;
  CHECK(*r.find_field("namespace") == ix::value{std::string{"default"}});
  CHECK(*r.find_field("old") == ix::value{std::int64_t{3}});
  CHECK(*r.find_field("new") == ix::value{std::int64_t{2}});
  CHECK(*r.find_field("resource_version") == ix::value{std::string{"1005"}});

  // Recovery is good news: info.
  evs.clear();
  k8s::diff(&after, d[0], true, 3, evs);
  for (const auto* e : notifications(evs)) CHECK(e->sev == ix::severity::info);
}

TEST_CASE("diff: pod failures, restarts, removed fields and deletion", "[kubernetes][state]") {
  const auto p = read_list("pods_list.json", k8s::pods());
  auto failed = p[1];
  for (auto& [k, v] : failed.fields) {
    if (k == "phase") v = std::string{"Failed"};
    if (k == "container/api/restarts" || k == "restarts") v = std::int64_t{5};
  }
  std::erase_if(failed.fields, [](const auto& f) {  // a condition disappeared
    return f.first.starts_with("condition/PodScheduled");
  });
  std::vector<k8s::event> evs;
  k8s::diff(&p[1], failed, true, 5, evs);
  const auto n = notifications(evs);
  REQUIRE(n.size() == 2);
  CHECK(n[0]->name == "Pod default/api-6d9f7b8c5-q7w3e: phase Running -> Failed");
  CHECK(n[0]->sev == ix::severity::error);
  CHECK(n[1]->name == "Pod default/api-6d9f7b8c5-q7w3e: container/api/restarts 4 -> 5");
  CHECK(n[1]->sev == ix::severity::warning);
  const auto gone = find_state(evs, "default/Pod/api-6d9f7b8c5-q7w3e/condition/PodScheduled");
  REQUIRE(gone);
  CHECK(std::holds_alternative<std::monostate>(gone->val));

  evs.clear();
  k8s::deleted(p[0], 6, evs);
  REQUIRE(evs.size() == 2);
  CHECK(evs[0].name == "default/Pod/web-7c5d8f9b4d-x2k9p/exists");
  CHECK(evs[0].val == ix::value{false});
  CHECK(evs[1].name == "Pod default/web-7c5d8f9b4d-x2k9p deleted");
  CHECK(evs[1].sev == ix::severity::notice);
}

TEST_CASE("the hand-off drops the oldest beyond its capacity, and counts", "[kubernetes][state]") {
  introspect::source::handoff<introspect::source::drop_oldest> q{3};
  std::vector<k8s::event> batch(5);
  for (int i = 0; i < 5; ++i) batch[static_cast<std::size_t>(i)].name = std::to_string(i);
  q.push(batch);
  CHECK(batch.empty());
  CHECK(q.dropped() == 2);
  std::vector<std::string> got;
  CHECK(q.drain([&](const k8s::event& e) { got.push_back(e.name); }) == 3);
  CHECK(got == std::vector<std::string>{"2", "3", "4"});
  CHECK(q.size() == 0);
}

TEST_CASE("events are delivered as record_views and through callbacks", "[kubernetes][state]") {
  k8s::event s;
  s.kind = ix::record_kind::state;
  s.ts_ns = 7;
  s.name = "default/Pod/p/phase";
  s.val = std::string{"Running"};
  k8s::event n;
  n.kind = ix::record_kind::notification;
  n.sev = ix::severity::warning;
  n.name = "m";
  n.fields = {{"kind", std::string{"Pod"}}};

  std::vector<std::string> seen;
  auto emit = [&](const ix::record_view& r) {
    CHECK(r.source == "kubernetes");
    seen.push_back(std::string{r.name} + "|" + std::to_string(r.fields.size()));
    if (r.kind == ix::record_kind::state) CHECK(r.val.as_string() == "Running");
  };
  k8s::deliver(s, emit);
  k8s::deliver(n, emit);
  CHECK(seen == std::vector<std::string>{"default/Pod/p/phase|0", "m|1"});

  int states = 0, notes = 0;
  k8s::callbacks cb{
      [&](std::string_view src, std::string_view key, ix::value_view v, std::int64_t ts) {
        CHECK(src == "kubernetes");
        CHECK(key == "default/Pod/p/phase");
        CHECK(v.as_string() == "Running");
        CHECK(ts == 7);
        ++states;
      },
      [&](ix::severity sev, std::string_view msg, std::span<const ix::field_view> attrs,
          std::int64_t) {
        CHECK(sev == ix::severity::warning);
        CHECK(msg == "m");
        REQUIRE(attrs.size() == 1);
        CHECK(attrs[0].value.as_string() == "Pod");
        ++notes;
      }};
  k8s::deliver(s, cb);
  k8s::deliver(n, cb);
  CHECK(states == 1);
  CHECK(notes == 1);
}
