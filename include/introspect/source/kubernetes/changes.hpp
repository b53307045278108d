#pragma once
//! Turns the difference between two readings of an object into events: a state record per
//! changed field, and notifications for the changes an operator cares about (replicas,
//! conditions, pod phase, restarts, spec generation, creation and deletion).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <introspect/format/rfc3339.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/object_state.hpp>

namespace introspect::inline v1::kubernetes {

namespace detail {

inline std::string value_text(const value& v) {
  struct {
    std::string operator()(std::monostate) const { return "(none)"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(double d) const { return std::to_string(d); }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(const std::string& s) const { return s; }
  } text;
  return std::visit(text, v);
}

inline std::int64_t as_int(const value* v) {
  return v && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : 0;
}

// Conditions whose "True" is bad news; for every other condition "False" is.
inline bool negative_condition(std::string_view type) {
  return type == "ReplicaFailure" || type.ends_with("Pressure") || type == "Degraded" ||
         type == "Stalled" || type == "Failed";
}

// The severity of a change of `field`, or false when it is not notified (state only).
inline bool notified(std::string_view field, const value* before, const value& after,
                     severity& sev) {
  if (field == "replicas.desired" || field == "generation") {
    sev = severity::info;
    return true;
  }
  if (field == "replicas.ready" || field == "replicas.available") {
    sev = as_int(&after) < as_int(before) ? severity::warning : severity::info;
    return true;
  }
  if (field.starts_with("condition/")) {
    const auto type = field.substr(10);
    if (type.find('.') != std::string_view::npos) return false;  // .reason, .message: the why
    const bool is_true =
        std::holds_alternative<std::string>(after) && std::get<std::string>(after) == "True";
    const bool bad = negative_condition(type) ? is_true : !is_true;
    sev = bad ? severity::warning : severity::info;
    return true;
  }
  if (field == "phase") {
    const std::string p =
        std::holds_alternative<std::string>(after) ? std::get<std::string>(after) : "";
    sev = p == "Failed" ? severity::error : p == "Unknown" ? severity::warning : severity::info;
    return true;
  }
  if (field.starts_with("container/") && field.ends_with("/restarts")) {
    if (as_int(&after) <= as_int(before)) return false;
    sev = severity::warning;
    return true;
  }
  if (field.starts_with("container/") && field.ends_with("/waiting.reason")) {
    // A container that cannot start: the reasons kubelet gives for a failing container.
    const std::string r =
        std::holds_alternative<std::string>(after) ? std::get<std::string>(after) : "";
    if (r != "CrashLoopBackOff" && r != "ErrImagePull" && r != "ImagePullBackOff" &&
        r != "CreateContainerConfigError" && r != "CreateContainerError" &&
        r != "InvalidImageName" && r != "RunContainerError")
      return false;
    sev = severity::warning;
    return true;
  }
  return false;
}

// The text of a string field of `o`, or nullptr.
inline const std::string* text_of(const object_state& o, const std::string& name) {
  const value* v = o.find(name);
  return v && std::holds_alternative<std::string>(*v) ? &std::get<std::string>(*v) : nullptr;
}

// The why of a notified change of `name`, as attributes: reason, message, exit code and the
// time the change happened by the object's own account (`event_ts`, ns since the epoch, from
// lastTransitionTime or finishedAt), beside the time it was read (the record's ts).
inline void add_why(const object_state& o, std::string_view name, std::vector<field>& out) {
  std::string base, container, when_key;
  if (name.starts_with("condition/")) {
    base = std::string{name} + ".";
    when_key = "last_transition";
  } else if (name.starts_with("container/") &&
             (name.ends_with("/restarts") || name.ends_with("/waiting.reason"))) {
    const auto rest = name.substr(10);
    container = std::string{rest.substr(0, rest.rfind('/'))};
    base = "container/";
    base += container;
    base += name.ends_with("/restarts") ? "/last." : "/waiting.";
    when_key = "finished_at";
    out.push_back({"container", container});
  } else if (name == "phase") {
    base.clear();
  } else {
    return;
  }
  if (const auto* r = text_of(o, base + "reason")) out.push_back({"reason", *r});
  if (const auto* m = text_of(o, base + "message")) out.push_back({"message", *m});
  if (const value* code = o.find(base + "exit_code")) out.push_back({"exit_code", *code});
  if (when_key.empty()) return;
  if (const auto* t = text_of(o, base + when_key)) {
    out.push_back({when_key == "finished_at" ? "finished_at" : "last_transition_time", *t});
    if (const auto ns = parse_rfc3339(*t)) out.push_back({"event_ts", *ns});
  }
}

inline void notify(std::vector<event>& out, std::int64_t ts, severity sev, std::string message,
                   const object_state& o, std::vector<field> extra = {}) {
  event e;
  e.kind = record_kind::notification;
  e.ts_ns = ts;
  e.sev = sev;
  e.name = std::move(message);
  e.fields = {{"namespace", o.ns}, {"kind", o.kind}, {"name", o.name}};
  for (auto& f : extra) e.fields.push_back(std::move(f));
  for (const char* where : {"node", "owner"})
    if (const auto* t = text_of(o, where)) e.fields.push_back({where, *t});
  if (!o.resource_version.empty()) e.fields.push_back({"resource_version", o.resource_version});
  out.push_back(std::move(e));
}

inline void state(std::vector<event>& out, std::int64_t ts, const std::string& prefix,
                  std::string_view field, value v) {
  event e;
  e.kind = record_kind::state;
  e.ts_ns = ts;
  e.name = prefix;
  e.name += '/';
  e.name += field;
  e.val = std::move(v);
  out.push_back(std::move(e));
}

}  // namespace detail

//! Appends the events of `after` replacing `before` (nullptr: a new object). A new object's
//! fields are all recorded as states; it is notified only if `announce_new` (not during the
//! first list, which describes what exists rather than what changed).
inline void diff(const object_state* before, const object_state& after, bool announce_new,
                 std::int64_t ts, std::vector<event>& out) {
  const auto prefix = after.key_prefix();
  const auto who = after.kind + " " + after.ns + "/" + after.name;
  if (!before && announce_new) detail::notify(out, ts, severity::info, who + " added", after);
  for (const auto& [field, v] : after.fields) {
    const value* old = before ? before->find(field) : nullptr;
    if (old && *old == v) continue;
    detail::state(out, ts, prefix, field, v);
    severity sev{};
    if (!before || !detail::notified(field, old, v, sev)) continue;
    const auto old_text = old ? detail::value_text(*old) : std::string{"(none)"};
    std::vector<introspect::field> extra{
        {"field", field}, {"old", old ? *old : value{}}, {"new", v}};
    detail::add_why(after, field, extra);
    detail::notify(out, ts, sev,
                   who + ": " + field + " " + old_text + " -> " + detail::value_text(v), after,
                   std::move(extra));
  }
  if (!before) return;
  // A field that disappeared (a condition removed, a container gone) is recorded as none.
  for (const auto& [field, v] : before->fields)
    if (!after.find(field)) detail::state(out, ts, prefix, field, value{});
}

//! Appends the events of `gone` being deleted: `exists` = false and a notification.
inline void deleted(const object_state& gone, std::int64_t ts, std::vector<event>& out) {
  detail::state(out, ts, gone.key_prefix(), "exists", false);
  detail::notify(out, ts, severity::notice,
                 gone.kind + " " + gone.ns + "/" + gone.name + " deleted", gone);
}

}  // namespace introspect::inline v1::kubernetes
