#pragma once
//! One watched collection of the Kubernetes source: where it is, what is known of its objects,
//! where its watch resumes, and its health — with the records of its successes, failures and
//! expired watches (410 Gone).
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include <introspect/source/backoff.hpp>
#include <introspect/source/detail/jitter.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/object_state.hpp>
#include <introspect/source/kubernetes/resource.hpp>
#include <introspect/source/kubernetes/resource_status.hpp>

namespace introspect::inline v1::kubernetes {

namespace detail {

inline std::string url_encode(std::string_view s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(hex[c >> 4]);
      out.push_back(hex[c & 15]);
    }
  }
  return out;
}

// The message of a Kubernetes Status object (error bodies, ERROR events), or the body's start.
inline std::string status_message(simdjson::dom::parser& p, std::string_view body) {
  simdjson::dom::element doc;
  std::string_view m;
  if (p.parse(body.data(), body.size()).get(doc) == simdjson::SUCCESS &&
      doc["message"].get_string().get(m) == simdjson::SUCCESS)
    return std::string{m};
  return std::string{body.substr(0, 200)};
}

}  // namespace detail

//! The state of one watched collection (the stepping thread's only).
struct collection {
  using clock = std::chrono::steady_clock;
  collection(resource r, std::string p, introspect::source::backoff b)
      : res(std::move(r)), path(std::move(p)), bo(b), gone_bo(b) {}
  resource res;
  std::string path;
  introspect::source::backoff bo;
  introspect::source::backoff gone_bo;  // repeated 410s back off too (client-go's reflector)
  clock::time_point due{};
  bool listed = false;
  bool health_reported = false;
  std::string rv;
  std::map<std::string, object_state> objects;       // by "<ns>/<name>"
  std::map<std::string, std::int64_t> event_counts;  // Events: the count recorded, by "<ns>/<name>"
  resource_status st;
  std::uint64_t snapshot_id = 0;  // the last snapshot of this collection
  //! Where each object's JSON was last recorded whole (options::snapshot_references).
  struct whole_copy {
    std::size_t hash = 0;
    std::size_t size = 0;
    std::uint64_t snapshot_id = 0;
  };
  std::map<std::string, whole_copy> whole;  // by "<ns>/<name>"

  //! A success: health "ok" when it was failing (or first), and "reachable again".
  void succeeded(std::int64_t ts, std::vector<event>& out) {
    const bool was_failing = st.failures > 0;
    const bool first = !health_reported;
    health_reported = true;
    bo.succeeded();
    st.failures = 0;
    st.backoff = std::chrono::milliseconds{0};
    st.last_error.clear();
    if (was_failing || first) health(ts, "ok", out);
    if (was_failing) {
      event e;
      e.kind = record_kind::notification;
      e.ts_ns = ts;
      e.sev = severity::info;
      e.name = "kubernetes: " + st.name + " reachable again";
      e.fields = {{"resource", st.name}};
      out.push_back(std::move(e));
    }
  }

  //! A failure after which the next attempt waits `delay`: recorded as states always, as a
  //! notification only when the cause changed. Returns whether the cause is new.
  bool failed(std::string cause, std::chrono::milliseconds delay, std::int64_t ts,
              std::vector<event>& out) {
    due = clock::now() + delay;
    st.next_attempt = due;
    ++st.total_failures;
    st.failures = bo.failures();
    st.backoff = delay;
    const auto prefix = "_source/" + st.name;
    if (st.failures == 1) health(ts, "failing", out);
    detail::state(out, ts, prefix, "failures", static_cast<std::int64_t>(st.failures));
    detail::state(out, ts, prefix, "retry_ms", static_cast<std::int64_t>(delay.count()));
    const bool fresh = cause != st.last_error;
    if (fresh) {
      detail::state(out, ts, prefix, "last_error", cause);
      event e;
      e.kind = record_kind::notification;
      e.ts_ns = ts;
      e.sev = severity::warning;
      e.name = "kubernetes: " + st.name + " failed: " + cause;
      e.fields = {{"resource", st.name},
                  {"cause", cause},
                  {"failures", static_cast<std::int64_t>(st.failures)},
                  {"retry_in_ms", static_cast<std::int64_t>(delay.count())}};
      out.push_back(std::move(e));
    }
    st.last_error = std::move(cause);
    return fresh;
  }

  //! A failure, then the collection's backoff (jittered by `jitter`, see source::backoff).
  void failed(std::string cause, double jitter, source::detail::jitter_rng& rng, std::int64_t ts,
              std::vector<event>& out) {
    bo.failed(clock::now());
    const auto delay = source::detail::jittered(
        std::chrono::ceil<std::chrono::milliseconds>(bo.delay()), jitter, rng);
    failed(std::move(cause), delay, ts, out);
  }
  //! 410 Gone: list again, at once the first time, after a growing jittered delay when the
  //! previous watch expired too.
  void gone(std::string_view how, double jitter, source::detail::jitter_rng& rng, std::int64_t ts,
            std::vector<event>& out) {
    const bool repeated = gone_bo.failures() > 0;
    gone_bo.failed(clock::now());
    const auto delay =
        repeated ? source::detail::jittered(
                       std::chrono::ceil<std::chrono::milliseconds>(gone_bo.delay()), jitter, rng)
                 : std::chrono::milliseconds{0};
    gone(how, delay, ts, out);
  }

  //! The watch expired (410 Gone): list again, at once the first time, after `delay` when the
  //! previous watch expired too (a server that expires every watch must not be hammered).
  void gone(std::string_view how, std::chrono::milliseconds delay, std::int64_t ts,
            std::vector<event>& out) {
    listed = false;
    ++st.relists_gone;
    due = clock::now() + delay;
    event e;
    e.kind = record_kind::notification;
    e.ts_ns = ts;
    e.sev = severity::info;
    e.name = "kubernetes: watch of " + st.name + " expired (410 Gone): listing again";
    e.fields = {{"resource", st.name}, {"resource_version", rv}, {"via", std::string{how}}};
    if (delay.count() > 0)
      e.fields.push_back({"retry_in_ms", static_cast<std::int64_t>(delay.count())});
    out.push_back(std::move(e));
  }

 private:
  void health(std::int64_t ts, std::string_view h, std::vector<event>& out) const {
    detail::state(out, ts, "_source/" + st.name, "health", std::string{h});
  }
};

}  // namespace introspect::inline v1::kubernetes
