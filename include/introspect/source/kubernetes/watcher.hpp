#pragma once
//! The list-then-watch state machine of the Kubernetes source, one lane per collection: each
//! step lists the collection or watches it for one time slice, turns what changed into events,
//! and schedules the lane's next step (immediately, or after a backoff). Every lane has its own
//! connection, so each lane may run on its own thread (step(lane, out), what the source does:
//! a change is read when the server sends it, whatever the other collections do), or one
//! thread may step the lanes in turn (step(out), the due one first).
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
#include <memory>
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
#include <introspect/source/kubernetes/watch_event.hpp>

namespace introspect::inline v1::kubernetes {

//! Lists and watches the configured collections, one lane each; step(lane, out) may run on
//! one thread per lane (or step(out) on one thread for all); any thread may call interrupt(),
//! snapshot_now() and status().
class watcher {
  using clock = std::chrono::steady_clock;

  // One collection and what only its stepping thread touches (`watching` excepted: under
  // demand_mu_).
  struct lane {
    lane(resource r, std::string path, introspect::source::backoff b, const connection& c,
         const options& o)
        : t(std::move(r), std::move(path), b), client(c, o) {}
    collection t;
    api_client client;  // its own connection: lanes never wait for each other
    simdjson::dom::parser parser;
    source::detail::jitter_rng rng{reinterpret_cast<std::uintptr_t>(this)};  // differs per lane
    std::uint64_t snapshot_gen = 0;  // the snapshot generation this lane last listed for
    bool watching = false;
  };

 public:
  watcher(const connection& c, options o) : opts_(std::move(o)) {
    if (opts_.namespace_name == "*")
      ns_.clear();
    else
      ns_ = opts_.namespace_name.empty() ? c.namespace_name : opts_.namespace_name;
    for (const auto& r : collections(opts_)) {
      auto& l = *lanes_.emplace_back(std::make_unique<lane>(
          r, collection_path(r, ns_),
          introspect::source::backoff{opts_.backoff_initial, opts_.backoff_max}, c, opts_));
      l.t.st.name = display_name(r);
      l.t.due = clock::now();
    }
    last_snapshot_ = clock::now();  // the first lists are the first snapshot
    publish_all();
  }
  watcher(const watcher&) = delete;
  watcher& operator=(const watcher&) = delete;

  //! The collections `o` watches: its resources, plus Events when `o.events` asks for them.
  static std::vector<resource> collections(const options& o) {
    auto resources = o.resources;
    const bool has_events = std::any_of(resources.begin(), resources.end(),
                                        [](const resource& r) { return r.shape == shape::event; });
    if (o.events && !has_events) resources.push_back(events());
    return resources;
  }

  //! The number of lanes (one per collection).
  std::size_t lanes() const noexcept { return lanes_.size(); }

  //! One thread for every lane: performs the next due action of the lane due first (one list,
  //! or one watch slice of at most about watch_window + read_timeout) and appends its events
  //! to `out`. Returns how long until some lane is due (zero: call again now). Never throws.
  std::chrono::milliseconds step(std::vector<event>& out) noexcept {
    if (lanes_.empty() || interrupted()) return std::chrono::milliseconds{1000};
    try {
      for (auto& l : lanes_) schedule_snapshot(*l);
    } catch (...) {
      // Only allocation can throw here; the next step tries again.
    }
    auto it = std::min_element(lanes_.begin(), lanes_.end(),
                               [](const auto& a, const auto& b) { return a->t.due < b->t.due; });
    step_lane(**it, out);
    if (interrupted()) return std::chrono::milliseconds{1000};
    auto due = lanes_.front()->t.due;
    for (const auto& l : lanes_) due = std::min(due, l->t.due);
    return until(due);
  }

  //! One thread per lane: performs lane `i`'s next action if it is due; returns how long until
  //! it is due again. Never throws.
  std::chrono::milliseconds step(std::size_t i, std::vector<event>& out) noexcept {
    if (i >= lanes_.size() || interrupted()) return std::chrono::milliseconds{1000};
    auto& l = *lanes_[i];
    try {
      schedule_snapshot(l);
    } catch (...) {
    }
    step_lane(l, out);
    return interrupted() ? std::chrono::milliseconds{1000} : until(l.t.due);
  }

  //! Breaks off every request in flight and makes every later step return at once (shutdown).
  void interrupt() noexcept {
    interrupted_.store(true, std::memory_order_release);
    for (auto& l : lanes_) l->client.interrupt();
  }
  bool interrupted() const noexcept { return interrupted_.load(std::memory_order_acquire); }

  //! With options::snapshots: asks for a new snapshot of every collection (a list each) at the
  //! next step of each lane; watches held open are broken off so that it starts promptly. Any
  //! thread.
  void snapshot_now() noexcept {
    if (!opts_.snapshots) return;
    std::lock_guard lock(demand_mu_);
    snapshot_gen_.fetch_add(1, std::memory_order_acq_rel);
    // Only a watch is broken off: a list cut short would be a failure.
    for (auto& l : lanes_)
      if (l->watching) l->client.interrupt();
  }

  //! Receives the events of a watch as they arrive (the batch is emptied), so that a long
  //! watch slice does not hold them back until the step ends. Without it they wait in `out`.
  //! Called on the stepping threads (concurrently when lanes run on their own threads).
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

  static std::chrono::milliseconds until(clock::time_point due) noexcept {
    const auto now = clock::now();
    return due <= now ? std::chrono::milliseconds{0}
                      : std::chrono::ceil<std::chrono::milliseconds>(due - now);
  }

  void step_lane(lane& l, std::vector<event>& out) noexcept {
    try {
      if (l.t.due <= clock::now()) {
        if (!l.client.setup_error().empty())
          fail(l, "configuration: " + l.client.setup_error(), out);
        else if (!l.t.listed)
          list(l, out);
        else
          watch(l, out);
        publish(l.t);
      }
    } catch (const std::exception& e) {
      // Only allocation can throw here; the step is abandoned and retried.
      l.t.due = std::max(l.t.due, clock::now() + opts_.backoff_initial);
      (void)e;
    }
  }

  std::string selector(const collection& t) const {
    return opts_.label_selector.empty() || t.res.shape == shape::event
               ? std::string{}
               : "&labelSelector=" + detail::url_encode(opts_.label_selector);
  }

  // A failure: recorded (a notification when the cause changes), then backoff; 410 Gone: list
  // again, at once the first time, after a growing delay when it repeats.
  void fail(lane& l, std::string cause, std::vector<event>& out) {
    l.t.failed(std::move(cause), opts_.backoff_jitter, l.rng, now_ns(), out);
  }
  void gone(lane& l, std::string_view how, std::vector<event>& out) {
    l.t.gone(how, opts_.backoff_jitter, l.rng, now_ns(), out);
  }

  void list(lane& l, std::vector<event>& out) {
    collection& t = l.t;
    std::map<std::string, object_state> fresh;
    std::map<std::string, std::string> json;  // options::snapshots: each object's JSON
    std::vector<cluster_event> said;          // Events (shape::event)
    std::string rv, cont, body;
    bool restarted = false;
    l.client.set_read_timeout(opts_.read_timeout);
    do {
      std::string q =
          t.path + "?limit=" + std::to_string(std::max<std::size_t>(opts_.page_size, 1));
      if (!cont.empty()) q += "&continue=" + detail::url_encode(cont);
      q += selector(t);
      body.clear();
      const auto r = l.client.get(q, [&](std::string_view d) {
        body.append(d);
        return !interrupted();
      });
      if (interrupted()) return;
      if (!r.responded) return fail(l, "list: " + r.error, out);
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
        return fail(l,
                    "list: HTTP " + std::to_string(r.status) + ": " +
                        detail::status_message(l.parser, body),
                    out);
      if (!r.error.empty()) return fail(l, "list: " + r.error + " while reading the body", out);
      simdjson::dom::element doc;
      if (auto err = l.parser.parse(body).get(doc); err)
        return fail(l, std::string{"list: invalid JSON: "} + simdjson::error_message(err), out);
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
    if (rv.empty()) return fail(l, "list: response has no metadata.resourceVersion", out);

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
      record_snapshot(t, fresh, json, rv, ts, snapshot_seq_.fetch_add(1) + 1, ns_,
                      opts_.snapshot_references, out);
    t.objects = std::move(fresh);
    listed(t, std::move(rv), out);
  }

  void listed(collection& t, std::string rv, std::vector<event>& out) {
    t.rv = std::move(rv);
    t.listed = true;
    ++t.st.lists;
    t.due = clock::now();
    t.succeeded(now_ns(), out);
  }

  void watch(lane& l, std::vector<event>& out) {
    collection& t = l.t;
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
      if (demanded(l)) return;  // the next step lists (a snapshot) first
      l.watching = true;
    }
    // The lane's own thread waits for this collection's changes only: an idle watch stays
    // open for its whole window (the server ends it then), not just read_timeout.
    l.client.set_read_timeout(opts_.watch_window + opts_.read_timeout);
    auto handle_line = [&](std::string_view line) {
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
      if (line.empty()) return true;
      return apply_watch_event(t, l.parser, line, opts_, expired, bad_event, out);
    };
    const auto r = l.client.get(
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
          return !interrupted() && !demanded(l) && clock::now() < deadline;
        },
        [&](int s) {
          status = s;
          // interrupt() finds no request in flight between `watching` and the connection
          // (it closes the idle one, and this request opens another): an idle watch would
          // then hold stop() or snapshot_now() for its whole window. Asked once more here.
          return !interrupted() && !demanded(l);
        });
    {
      std::lock_guard lock(demand_mu_);
      l.watching = false;
    }
    if (interrupted()) return;
    if (demanded(l) && (r.aborted || !r.error.empty())) {
      // Broken off for a snapshot: not a failure; what was read is kept (t.rv moved with it).
      t.due = clock::now();
      return;
    }
    if (!r.responded) return fail(l, "watch: " + r.error, out);
    if (r.status == 410) return gone(l, "HTTP 410", out);
    if (r.status != 200)
      return fail(l,
                  "watch: HTTP " + std::to_string(r.status) + ": " +
                      detail::status_message(l.parser, error_body),
                  out);
    ++t.st.watches;
    // A last event without its newline (the server closed the stream right after it).
    if (!expired && bad_event.empty() && !buf.empty()) handle_line(buf);
    if (expired) return gone(l, "ERROR event", out);
    if (!bad_event.empty()) return fail(l, "watch: " + bad_event, out);
    // The watch ended (time slice, server timeout, dropped connection): resume from t.rv.
    t.gone_bo.succeeded();
    t.st.objects = t.objects.size();
    const auto now = clock::now();
    t.due = std::max(now, start + opts_.min_watch_interval);
    t.succeeded(now_ns(), out);
  }

  // A due periodic snapshot, or one asked for, lists the lane's collection again; a lane
  // waiting out a backoff keeps its wait (its next list is the snapshot).
  void schedule_snapshot(lane& l) {
    if (!opts_.snapshots) return;
    const auto now = clock::now();
    {
      std::lock_guard lock(demand_mu_);
      if (opts_.snapshot_interval.count() > 0 && now >= last_snapshot_ + opts_.snapshot_interval) {
        last_snapshot_ = now;
        snapshot_gen_.fetch_add(1, std::memory_order_acq_rel);
      }
    }
    const auto gen = snapshot_gen_.load(std::memory_order_acquire);
    if (l.snapshot_gen == gen) return;
    l.snapshot_gen = gen;
    l.t.listed = false;
    if (l.t.st.failures == 0) l.t.due = now;
  }

  // A snapshot was asked for since the lane last listed.
  bool demanded(const lane& l) const noexcept {
    return snapshot_gen_.load(std::memory_order_acquire) != l.snapshot_gen;
  }

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
    for (const auto& l : lanes_) published_.push_back(l->t.st);
  }

  options opts_;
  std::string ns_;
  std::vector<std::unique_ptr<lane>> lanes_;  // fixed once constructed: read by any thread
  std::atomic<bool> interrupted_{false};
  // Snapshots (options::snapshots): a generation counter bumped by snapshot_now() (any thread)
  // or a due interval (any lane); each lane lists again when its generation is behind.
  std::atomic<std::uint64_t> snapshot_gen_{0};
  std::mutex demand_mu_;                        // last_snapshot_, and each lane's `watching`
  clock::time_point last_snapshot_{};           // under demand_mu_
  std::atomic<std::uint64_t> snapshot_seq_{0};  // snapshot ids, over all lanes
  std::function<void(std::vector<event>&)> flush_;
  mutable std::mutex status_mu_;
  std::vector<resource_status> published_;
};

}  // namespace introspect::inline v1::kubernetes
