// Kubernetes API responses as the watcher reads them (source/kubernetes/object_state.hpp,
// changes.hpp, snapshot.hpp): a list body or a stream of watch events from an untrusted server.
// Any bytes give events or a refusal, never a crash; every event becomes a record that encodes
// and decodes (codec/binary.hpp) as the store sink would write it, and a snapshot object's JSON
// is valid JSON.
//
// Input: one byte choosing the resource shape and list or watch, then the body. The harness
// makes the same calls, in the same order, as watcher::list() and watcher::on_event(); the
// watcher itself needs an HTTP connection, which would make each run slow and nondeterministic.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <simdjson.h>

#include <introspect/codec/binary.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/events.hpp>
#include <introspect/source/kubernetes/object_state.hpp>
#include <introspect/source/kubernetes/resource.hpp>
#include <introspect/source/kubernetes/snapshot.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;
namespace k8s = introspect::kubernetes;

namespace {

k8s::resource pick(unsigned b) {
  switch (b % 6) {
    case 0:
      return k8s::deployments();
    case 1:
      return k8s::statefulsets();
    case 2:
      return k8s::pods();
    case 3:
      return k8s::custom_resource("example.com", "v1", "widgets");
    case 4:
      return k8s::custom_resource("example.com", "v1", "gadgets", false, "Gadget");
    default:
      return k8s::events();  // Events: notifications (events.hpp)
  }
}

// Every event as the engine receives it, then as the store sink writes and a reader decodes it.
void check_events(const std::vector<k8s::event>& events) {
  static simdjson::dom::parser json_check;
  std::string payload;
  ix::record back;
  auto store = [&](const ix::record_view& r) {
    payload.clear();
    ix::codec::encode(r, payload);
    INTROSPECT_FUZZ_CHECK(ix::codec::decode(payload, back));
    INTROSPECT_FUZZ_CHECK(back.name == r.name && back.fields.size() == r.fields.size());
  };
  for (const auto& e : events) {
    k8s::deliver(e, store);
    if (e.kind == ix::record_kind::snapshot && e.name != k8s::snapshot_marker) {
      if (const auto* json = std::get_if<std::string>(&e.val)) {
        simdjson::dom::element doc;
        INTROSPECT_FUZZ_CHECK(json_check.parse(*json).get(doc) == simdjson::SUCCESS);
      }
    }
  }
}

void list(simdjson::dom::parser& p, std::string_view body, const k8s::resource& res) {
  simdjson::dom::element doc;
  if (p.parse(body.data(), body.size()).get(doc) != simdjson::SUCCESS) return;
  std::string_view kind, s;
  if (doc["kind"].get_string().get(kind) != simdjson::SUCCESS) kind = {};
  std::string rv;
  if (doc["metadata"]["resourceVersion"].get_string().get(s) == simdjson::SUCCESS) rv = s;
  std::map<std::string, k8s::object_state> fresh;
  std::map<std::string, std::string> json;
  simdjson::dom::array items;
  std::vector<k8s::event> out;
  std::map<std::string, std::int64_t> seen;  // Events: count by Event
  if (doc["items"].get_array().get(items) == simdjson::SUCCESS) {
    for (auto item : items) {
      if (res.shape == k8s::shape::event) {
        k8s::cluster_event e;
        if (k8s::read_cluster_event(item, e)) k8s::record_cluster_event(e, seen, 1, out);
        continue;
      }
      k8s::object_state o;
      if (!k8s::read_object(item, res, kind, o)) continue;
      auto key = o.ns + "/" + o.name;
      json[key] = k8s::object_json(item);
      fresh[std::move(key)] = std::move(o);
    }
  }
  const std::int64_t ts = 1'767'225'600'000'000'000;
  for (const auto& [key, o] : fresh) {
    k8s::diff(nullptr, o, false, ts, out);
    k8s::snapshot_object(out, ts, o, json[key], "snapshot", 1, rv, k8s::display_name(res));
  }
  // A re-list that finds every object gone.
  for (const auto& [key, o] : fresh) k8s::deleted(o, ts + 1, out);
  check_events(out);
}

void watch(simdjson::dom::parser& p, std::string_view stream, const k8s::resource& res) {
  std::map<std::string, k8s::object_state> objects;
  std::map<std::string, std::int64_t> seen;  // Events: count by Event
  std::vector<k8s::event> out;
  std::int64_t ts = 1'767'225'600'000'000'000;
  while (!stream.empty()) {
    const auto nl = stream.find('\n');
    auto line = stream.substr(0, nl);
    stream = nl == std::string_view::npos ? std::string_view{} : stream.substr(nl + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
    if (line.empty()) continue;
    simdjson::dom::element doc;
    if (p.parse(line.data(), line.size()).get(doc) != simdjson::SUCCESS) break;
    std::string_view type;
    simdjson::dom::element obj;
    if (doc["type"].get_string().get(type) != simdjson::SUCCESS) break;
    if (doc["object"].get(obj) != simdjson::SUCCESS) break;
    if (type == "ERROR") break;  // the watcher reads only the Status message here
    if (type == "BOOKMARK") continue;
    if (res.shape == k8s::shape::event) {
      k8s::cluster_event e;
      if (!k8s::read_cluster_event(obj, e)) break;
      if (type != "DELETED") k8s::record_cluster_event(e, seen, ++ts, out);
      continue;
    }
    k8s::object_state o;
    if (!k8s::read_object(obj, res, {}, o)) break;
    const auto key = o.ns + "/" + o.name;
    const auto it = objects.find(key);
    ++ts;
    if (type == "DELETED") {
      k8s::deleted(it != objects.end() ? it->second : o, ts, out);
      if (it != objects.end()) objects.erase(it);
      k8s::snapshot_object(out, ts, o, {}, "delete", 1, o.resource_version, k8s::display_name(res));
    } else if (type == "ADDED" || type == "MODIFIED") {
      k8s::diff(it == objects.end() ? nullptr : &it->second, o, true, ts, out);
      k8s::snapshot_object(out, ts, o, k8s::object_json(obj), "put", 1, o.resource_version,
                           k8s::display_name(res));
      objects[key] = o;
    } else {
      break;
    }
  }
  check_events(out);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static simdjson::dom::parser parser;
  if (size == 0) return 0;
  const auto res = pick(data[0]);
  const auto body = introspect_fuzz::as_text(data + 1, size - 1);
  if (data[0] & 0x80)
    watch(parser, body, res);
  else
    list(parser, body, res);
  return 0;
}
