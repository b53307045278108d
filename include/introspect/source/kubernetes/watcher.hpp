#pragma once
//! The list-then-watch state machine of the Kubernetes source, driven one step at a time by a
//! single thread: each step lists one collection or watches it for one time slice, turns what
//! changed into events, and schedules the next step (immediately, or after a backoff).
//!
//! Per collection: list (following `continue` pages) -> watch from the list's resourceVersion
//! -> on a dropped or ended watch, watch again from the last resourceVersion seen (events and
//! bookmarks advance it) -> on `410 Gone` (HTTP status or an ERROR event with code 410), list
//! again and diff against what was known, so deletions missed meanwhile are still reported.
//! With options::snapshots every successful list is also recorded whole as a snapshot (at its
//! resourceVersion), and a due or demanded snapshot lists every collection again.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include <introspect/source/backoff.hpp>
#include <introspect/source/detail/jitter.hpp>
#include <introspect/source/kubernetes/api_client.hpp>
#include <introspect/source/kubernetes/changes.hpp>
#include <introspect/source/kubernetes/collection.hpp>
#include <introspect/source/kubernetes/collection_snapshot.hpp>
#include <introspect/source/kubernetes/connection.hpp>
#include <introspect/source/kubernetes/event.hpp>
#include <introspect/source/kubernetes/events.hpp>
#include <introspect/source/kubernetes/object_state.hpp>
#include <introspect/source/kubernetes/options.hpp>
#include <introspect/source/kubernetes/snapshot.hpp>

namespace introspect::inline v1::kubernetes {

//! Lists and watches the configured collections; one thread calls step(), any thread may
//! call interrupt() and status().
class watcher {
  using clock = std::chrono::steady_clock;

 public:
  watcher(const connection& c, options o) : opts_(std::move(o)), client_(c, opts_) {
    if (opts_.namespace_name == "*")
      ns_.clear();
    else
      ns_ = opts_.namespace_name.empty() ? c.namespace_name : opts_.namespace_name;
    auto resources = opts_.resources;
    const bool has_events = std::any_of(resources.begin(), resources.end(),
                                        [](const resource& r) { return r.shape == shape::event; });
    if (opts_.events && !has_events) resources.push_back(events());
    for (const auto& r : resources) {
      collection& t = tracked_.emplace_back(
          r, collection_path(r, ns_),
          introspect::source::backoff{opts_.backoff_initial, opts_.backoff_max});
      t.st.name = display_name(r);
      t.due = clock::now();
    }
    last_snapshot_ = clock::now();  // the first lists are the first snapshot
    publish_all();
  }
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;

  //! Performs the next due action (one list, or one watch slice of at most about
  //! watch_window + read_timeout) and appends its events to `out`. Returns how long until the
  //! next action is due (zero: call again now). Never throws.
  std::chrono::milliseconds step(std::vector<event>& out) noexcept {
    if (tracked_.empty() || interrupted()) return std::chrono::milliseconds{1000};
    try {
      schedule_snapshot();
      auto it =
          std::min_element(tracked_.begin(), tracked_.end(),
                           [](const collection& a, const collection& b) { return a.due < b.due; });
      if (it->due <= clock::now()) {
        if (!client_.setup_error().empty())
          fail(*it, "configuration: " + client_.setup_error(), out);
        else if (!it->listed)
          list(*it, out);
        else
          watch(*it, out);
        publish(*it);
      }
    } catch (const std::exception& e) {
      // Only allocation can throw here; the step is abandoned and retried.
      for (auto& t : tracked_) t.due = std::max(t.due, clock::now() + opts_.backoff_initial);
      (void)e;
    }
    return until_next_due();
  }

  //! How long until some collection is due.
  std::chrono::milliseconds until_next_due() const noexcept {
    if (tracked_.empty()) return std::chrono::milliseconds{1000};
    auto due = tracked_.front().due;
    for (const auto& t : tracked_) due = std::min(due, t.due);
    const auto now = clock::now();
    return due <= now ? std::chrono::milliseconds{0}
                      : std::chrono::ceil<std::chrono::milliseconds>(due - now);
  }

  //! Breaks off the request in flight and makes every later step return at once (shutdown).
  void interrupt() noexcept {
    interrupted_.store(true, std::memory_order_release);
    client_.interrupt();
  }
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_acquire); }

  //! With options::snapshots: asks for a new snapshot of every collection (a list each) at the
  //! next step; a watch held open is broken off so that it starts promptly. Any thread.
  void snapshot_now() noexcept {
    if (!opts_.snapshots) return;
    std::lock_guard lock(demand_mu_);
    demand_.store(true, std::memory_order_release);
    // Only a watch is broken off: a list cut short would be a failure.
    if (watching_) client_.interrupt();
  }

  //! Receives the events of a watch as they arrive (the batch is emptied), so that a long
  //! watch slice does not hold them back until the step ends. Without it they wait in `out`.
  void on_events(std::function<void(std::vector<event>&)> f) { flush_ = std::move(f); }

  //! A copy of every collection's health and counters.
  std::vector<resource_status> status() const {
    std::lock_guard lock(status_mu_);
    return published_;
  }

  //! The namespace watched ("" = every namespace).
  const std::string& watched_namespace() const noexcept { return ns_; }

 private:
  std::int64_t now_ns() const noexcept { return opts_.clock(); }

  std::string selector(const collection& t) const {
    return opts_.label_selector.empty() || t.res.shape == shape::event
               ? std::string{}
               : "&labelSelector=" + detail::url_encode(opts_.label_selector);
  }

  void succeed(collection& t, std::vector<event>& out) { t.succeeded(now_ns(), out); }

  // A failure: recorded (a notification when the cause changes), then backoff; 410 Gone: list
  // again, at once the first time, after a growing delay when it repeats.
  void fail(collection& t, std::string cause, std::vector<event>& out) {
    t.failed(std::move(cause), opts_.backoff_jitter, rng_, now_ns(), out);
  }
  void gone(collection& t, std::string_view how, std::vector<event>& out) {
    t.gone(how, opts_.backoff_jitter, rng_, now_ns(), out);
  }

  void list(collection& t, std::vector<event>& out) {
    std::map<std::string, object_state> fresh;
    std::map<std::string, std::string> json;  // options::snapshots: each object's JSON
    std::vector<cluster_event> said;          // Events (shape::event)
    std::string rv, cont, body;
    bool restarted = false;
    do {
      std::string q =
          t.path + "?limit=" + std::to_string(std::max<std::size_t>(opts_.page_size, 1));
      if (!cont.empty()) q += "&continue=" + detail::url_encode(cont);
      q += selector(t);
      body.clear();
      const auto r = client_.get(q, [&](std::string_view d) {
        body.append(d);
        return !interrupted();
      });
      if (interrupted()) return;
      if (!r.responded) return fail(t, "list: " + r.error, out);
      if (r.status == 410 && !cont.empty() && !restarted) {
        // The continue token expired between pages: start the list over, once.
        restarted = true;
        fresh.clear();
        json.clear();
        said.clear();
        cont.clear();
        continue;
      }
      if (r.status != 200)
        return fail(
            t,
            "list: HTTP " + std::to_string(r.status) + ": " + detail::status_message(parser_, body),
            out);
      if (!r.error.empty()) return fail(t, "list: " + r.error + " while reading the body", out);
      simdjson::dom::element doc;
      if (auto err = parser_.parse(body).get(doc); err)
        return fail(t, std::string{"list: invalid JSON: "} + simdjson::error_message(err), out);
      std::string_view kind, s;
      if (doc["kind"].get_string().get(kind) != simdjson::SUCCESS) kind = {};
      if (doc["metadata"]["resourceVersion"].get_string().get(s) == simdjson::SUCCESS) rv = s;
      cont = doc["metadata"]["continue"].get_string().get(s) == simdjson::SUCCESS ? std::string{s}
                                                                                  : std::string{};
      simdjson::dom::array items;
      if (doc["items"].get_array().get(items) == simdjson::SUCCESS) {
        for (auto item : items) {
          if (t.res.shape == shape::event) {
            if (read_cluster_event(item, said.emplace_back())) continue;
            said.pop_back();
            continue;
          }
          object_state o;
          if (!read_object(item, t.res, kind, o)) continue;
          auto key = o.ns + "/" + o.name;
          if (opts_.snapshots) json[key] = object_json(item, opts_.redact_snapshots, o.kind);
          fresh[std::move(key)] = std::move(o);
        }
      }
    } while (!cont.empty());
    if (rv.empty()) return fail(t, "list: response has no metadata.resourceVersion", out);

    const auto ts = now_ns();
    if (t.res.shape == shape::event) {
      // Events are news even at the first list: the API server forgets them within the hour.
      std::map<std::string, std::int64_t> seen;
      for (const auto& e : said) {
        const auto key = e.ns + "/" + e.name;
        if (auto it = t.event_counts.find(key); it != t.event_counts.end()) seen[key] = it->second;
        record_cluster_event(e, seen, ts, out);
      }
      t.event_counts = std::move(seen);
      return listed(t, std::move(rv), out);
    }
    // A re-list reports what changed while the watch was away, deletions included.
    const bool relist = t.st.lists > 0;
    for (const auto& [key, o] : fresh) {
      const auto old = t.objects.find(key);
      diff(old == t.objects.end() ? nullptr : &old->second, o, relist, ts, out);
    }
    for (const auto& [key, o] : t.objects)
      if (!fresh.count(key)) deleted(o, ts, out);
    if (opts_.snapshots)
      record_snapshot(t, fresh, json, rv, ts, ++snapshot_seq_, ns_, opts_.snapshot_references, out);
    t.objects = std::move(fresh);
    listed(t, std::move(rv), out);
  }

  void listed(collection& t, std::string rv, std::vector<event>& out) {
    t.rv = std::move(rv);
    t.listed = true;
    ++t.st.lists;
    t.due = clock::now();
    succeed(t, out);
  }

  void watch(collection& t, std::vector<event>& out) {
    const auto start = clock::now();
    const auto deadline = start + opts_.watch_window;
    const auto secs = std::max<std::int64_t>(
        1, std::chrono::ceil<std::chrono::seconds>(opts_.watch_window).count());
    const std::string q = t.path + "?watch=1&resourceVersion=" + detail::url_encode(t.rv) +
                          "&allowWatchBookmarks=true&timeoutSeconds=" + std::to_string(secs) +
                          selector(t);
    std::string buf, error_body, bad_event;
    bool expired = false;
    int status = 0;
    {
      std::lock_guard lock(demand_mu_);
      if (demanded()) return;  // the next step lists (a snapshot) first
      watching_ = true;
    }
    auto handle_line = [&](std::string_view line) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty()) return true;
      return on_event(t, line, expired, bad_event, out);
    };
    const auto r = client_.get(
        q,
        [&](std::string_view d) {
          if (status != 200) {
            if (error_body.size() < 4096) error_body.append(d);
            return true;
          }
          buf.append(d);
          std::size_t from = 0;
          for (auto nl = buf.find('\n'); nl != std::string::npos; nl = buf.find('\n', from)) {
            const bool go_on = handle_line(std::string_view{buf}.substr(from, nl - from));
            from = nl + 1;
            if (!go_on) {
              buf.erase(0, from);
              return false;
            }
          }
          buf.erase(0, from);
          if (flush_ && !out.empty()) flush_(out);
          return !interrupted() && !demanded() && clock::now() < deadline;
        },
        [&](int s) { status = s; });
    {
      std::lock_guard lock(demand_mu_);
      watching_ = false;
    }
    if (interrupted()) return;
    if (demanded() && (r.aborted || !r.error.empty())) {
      // Broken off for a snapshot: not a failure; what was read is kept (t.rv moved with it).
      t.due = clock::now();
      return;
    }
    if (!r.responded) return fail(t, "watch: " + r.error, out);
    if (r.status == 410) return gone(t, "HTTP 410", out);
    if (r.status != 200)
      return fail(t,
                  "watch: HTTP " + std::to_string(r.status) + ": " +
                      detail::status_message(parser_, error_body),
                  out);
    ++t.st.watches;
    // A last event without its newline (the server closed the stream right after it).
    if (!expired && bad_event.empty() && !buf.empty()) handle_line(buf);
    if (expired) return gone(t, "ERROR event", out);
    if (!bad_event.empty()) return fail(t, "watch: " + bad_event, out);
    // The watch ended (time slice, server timeout, dropped connection): resume from t.rv.
    t.gone_bo.succeeded();
    t.st.objects = t.objects.size();
    const auto now = clock::now();
    t.due = std::max(now, start + opts_.min_watch_interval);
    succeed(t, out);
  }

  // One watch event; false stops the stream (410 or a broken event).
  bool on_event(collection& t, std::string_view line, bool& expired, std::string& bad,
                std::vector<event>& out) {
    simdjson::dom::element doc;
    if (auto err = parser_.parse(line.data(), line.size()).get(doc); err) {
      bad = std::string{"invalid JSON event: "} + simdjson::error_message(err);
      return false;
    }
    ++t.st.events;
    std::string_view type, s;
    if (doc["type"].get_string().get(type) != simdjson::SUCCESS) {
      bad = "event without a type";
      return false;
    }
    simdjson::dom::element obj;
    if (doc["object"].get(obj) != simdjson::SUCCESS) {
      bad = "event without an object";
      return false;
    }
    if (type == "ERROR") {
      std::int64_t code = 0;
      detail::json_int(obj["code"], code);
      if (code == 410) {
        expired = true;
        return false;
      }
      if (obj["message"].get_string().get(s) != simdjson::SUCCESS) s = "no message";
      bad = "ERROR event " + std::to_string(code) + ": " + std::string{s};
      return false;
    }
    if (type == "BOOKMARK") {
      if (obj["metadata"]["resourceVersion"].get_string().get(s) == simdjson::SUCCESS) t.rv = s;
      return true;
    }
    if (t.res.shape == shape::event) {
      cluster_event e;
      if (!read_cluster_event(obj, e)) {
        bad = "event object without metadata.name";
        return false;
      }
      if (type == "DELETED")
        t.event_counts.erase(e.ns + "/" + e.name);  // expired: not news
      else
        record_cluster_event(e, t.event_counts, now_ns(), out);
      if (!e.resource_version.empty()) t.rv = e.resource_version;
      return true;
    }
    object_state o;
    if (!read_object(obj, t.res, {}, o)) {
      bad = "event object without metadata.name";
      return false;
    }
    const auto key = o.ns + "/" + o.name;
    const auto ts = now_ns();
    const auto it = t.objects.find(key);
    if (type == "DELETED") {
      // The notification carries the deletion's resourceVersion, not the last one known.
      object_state gone = it != t.objects.end() ? it->second : o;
      gone.resource_version = o.resource_version;
      deleted(gone, ts, out);
      if (it != t.objects.end()) t.objects.erase(it);
      if (opts_.snapshots)
        snapshot_object(out, ts, o, {}, "delete", t.snapshot_id, o.resource_version, t.st.name);
    } else if (type == "ADDED" || type == "MODIFIED") {
      diff(it == t.objects.end() ? nullptr : &it->second, o, true, ts, out);
      if (opts_.snapshots)
        snapshot_object(out, ts, o, object_json(obj, opts_.redact_snapshots, o.kind), "put",
                        t.snapshot_id, o.resource_version, t.st.name);
      t.objects[key] = o;
    } else {
      bad = "unknown event type " + std::string{type};
      return false;
    }
    if (!o.resource_version.empty()) t.rv = o.resource_version;
    return true;
  }

  // A due periodic snapshot, or one asked for, lists every collection again; a collection
  // waiting out a backoff keeps its wait (its next list is the snapshot).
  void schedule_snapshot() {
    if (!opts_.snapshots) return;
    const auto now = clock::now();
    const bool periodic =
        opts_.snapshot_interval.count() > 0 && now >= last_snapshot_ + opts_.snapshot_interval;
    if (!demand_.exchange(false, std::memory_order_acq_rel) && !periodic) return;
    last_snapshot_ = now;
    for (auto& t : tracked_) {
      t.listed = false;
      if (t.st.failures == 0) t.due = now;
    }
  }

  bool demanded() const noexcept { return demand_.load(std::memory_order_acquire); }

  void publish(collection& t) {
    t.st.listed = t.listed;
    t.st.resource_version = t.rv;
    t.st.objects = t.objects.size();
    std::lock_guard lock(status_mu_);
    for (auto& p : published_)
      if (p.name == t.st.name) p = t.st;
  }
  void publish_all() {
    std::lock_guard lock(status_mu_);
    published_.clear();
    for (const auto& t : tracked_) published_.push_back(t.st);
  }

  options opts_;
  api_client client_;
  std::string ns_;
  std::vector<collection> tracked_;
  simdjson::dom::parser parser_;
  std::atomic<bool> interrupted_{false};
  // Snapshots (options::snapshots): demand_ is set by any thread; the rest is the stepping
  // thread's, except watching_, which snapshot_now() reads under demand_mu_.
  std::atomic<bool> demand_{false};
  std::mutex demand_mu_;
  bool watching_ = false;
  clock::time_point last_snapshot_{};
  std::uint64_t snapshot_seq_ = 0;
  std::function<void(std::vector<event>&)> flush_;
  source::detail::jitter_rng rng_{reinterpret_cast<std::uintptr_t>(this)};  // differs per instance
  mutable std::mutex status_mu_;
  std::vector<resource_status> published_;
};

}  // namespace introspect::inline v1::kubernetes
