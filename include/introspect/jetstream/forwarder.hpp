#pragma once
//! jetstream::forwarder: on its own thread, tails every stream of one scope of a local stream
//! store and publishes each record to JetStream, exactly once, resuming from a persisted cursor.
//! The store stays the source of truth: the product never waits for the forwarder or the server.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include <introspect/jetstream/cursor_file.hpp>
#include <introspect/jetstream/detail/callback_link.hpp>
#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/limits.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/progress.hpp>
#include <introspect/jetstream/stats.hpp>
#include <introspect/store/files.hpp>
#include <introspect/store/reader.hpp>

namespace introspect::inline v1::jetstream {

//! Settings of a forwarder; every duration is a bound, so nothing waits forever.
struct forwarder_options {
  std::string url = "nats://127.0.0.1:4222";  //!< one URL or a comma-separated cluster list
  std::string user, password;                 //!< optional user/password authentication
  std::string client_name = "introspect-forwarder";
  int replicas = 1;  //!< JetStream stream replicas
  std::chrono::nanoseconds duplicate_window = std::chrono::minutes(2);  //!< server-side dedup
  std::function<limits(std::string_view stream)> limits_for;  //!< retention per store stream
  bool discard_new = false;  //!< at a limit, reject new messages (counted) instead of old ones
  std::size_t max_pending = 4096;                   //!< bound on published, unacknowledged messages
  std::size_t batch = 512;                          //!< records read from one stream per round
  std::chrono::milliseconds ack_timeout{5000};      //!< an unacknowledged message is resent after
  std::chrono::milliseconds request_timeout{2000};  //!< JetStream API requests
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds reconnect_wait{250};
  std::chrono::milliseconds backoff_min{100}, backoff_max{5000};  //!< retry after failures
  std::chrono::milliseconds poll_interval{20};         //!< how often the store is re-read
  std::chrono::milliseconds checkpoint_interval{200};  //!< cursor file writes at most this often
  std::chrono::milliseconds scan_interval{500};        //!< new streams and truncation points
  //! stop() publishes what the store holds and waits for its acks this long at most.
  std::chrono::milliseconds stop_timeout{1000};
  //! A progress report (jetstream/progress.hpp) is published at most every
  //! checkpoint_interval when it changed, and at least this often (a heartbeat).
  std::chrono::milliseconds progress_interval{5000};
  std::string cursor_name = "jetstream";  //!< metadata blob holding the cursors
  bool report_errors = true;  //!< print each new error message to stderr (when no on_error)
  //! Receives each error message (on the worker or a client-library thread) instead of stderr.
  std::function<void(error_cause, std::string_view)> on_error;
};

//! Forwards one scope of a stream store to JetStream (see docs/jetstream.md).
//! @code
//! jetstream::forwarder_options o;
//! o.url = "nats://127.0.0.1:4222";
//! jetstream::forwarder fw("/var/lib/product/introspect", "node-1", o);
//! fw.start();   // returns at once; connects, creates streams and publishes in the background
//! ...
//! fw.stop();    // bounded: waits at most stop_timeout for acknowledgments, saves the cursors
//! @endcode
class forwarder {
 public:
  forwarder(std::filesystem::path store_root, std::string scope, forwarder_options o = {})
      : root_(std::move(store_root)),
        scope_(std::move(scope)),
        scope_dir_(root_ / scope_),
        opt_(std::move(o)),
        reader_(root_) {
    store::validate_name(scope_, "scope");
    if (opt_.max_pending == 0) opt_.max_pending = 1;
    if (opt_.batch == 0) opt_.batch = 1;
  }
  forwarder(const forwarder&) = delete;
  forwarder& operator=(const forwarder&) = delete;
  ~forwarder() {
    stop();
    link_->detach();
  }

  //! Starts the worker thread (idempotent).
  void start() {
    std::lock_guard lk(life_mu_);
    if (thread_.joinable()) return;
    stop_.store(false);
    thread_ = std::thread([this] { run(); });
  }
  //! Stops the worker: while connected, publishes what the store holds by now and waits for
  //! its acknowledgments (stop_timeout at most in all), persists the cursors, reports its final
  //! progress and closes the connection. Anything not acknowledged is resent by the next run.
  void stop() {
    std::lock_guard lk(life_mu_);
    if (!thread_.joinable()) return;
    stop_.store(true);
    cv_.notify_all();
    thread_.join();
  }
  //! Hints that new records were flushed to the store (the worker also polls).
  void wake() {
    {
      std::lock_guard lk(mu_);
      woken_ = true;
    }
    cv_.notify_all();
  }

  //! Waits until every record visible in the store when called is acknowledged by JetStream.
  bool wait_idle(std::chrono::milliseconds timeout) {
    rescan_.store(true);  // streams created since the last scan count too
    wake();
    std::unique_lock lk(mu_);
    const auto target = idle_gen_ + 2;  // a full round that began after this call
    return idle_cv_.wait_for(lk, timeout, [&] { return idle_gen_ >= target; });
  }

  //! Purges JetStream messages of `stream` whose store offset is below `offset` (a purge by
  //! sequence: js_PurgeStream with Purge.Sequence = first sequence holding an offset >= it).
  //! Runs on the worker; the future is false when the purge failed (counted in stats()).
  std::future<bool> purge_before(std::string_view stream, std::uint64_t offset) {
    return request_purge(stream, offset, std::numeric_limits<std::int64_t>::min());
  }
  //! Same for records older than `ts_ns` (the `Ix` header's time); assumes timestamps rise with
  //! offsets, as one writer's do; an out-of-order straggler older than ts_ns may stay until MaxAge
  //! removes it.
  std::future<bool> purge_before_time(std::string_view stream, std::int64_t ts_ns) {
    return request_purge(stream, 0, ts_ns);
  }

  forwarder_stats stats() const {
    std::lock_guard lk(mu_);
    forwarder_stats s = stats_;
    s.connected = connected_.load();
    for (auto& st : streams_) {
      auto x = st->stats;
      x.in_flight = static_cast<std::uint64_t>(std::count_if(
          st->q.begin(), st->q.end(), [](const inflight& e) { return e.state == pending; }));
      x.acked_offset = st->acked_offset;
      x.lag_bytes = x.store_end > x.acked_offset ? x.store_end - x.acked_offset : 0;
      x.purged_offset = st->purged_offset;
      s.streams.push_back(std::move(x));
    }
    return s;
  }
  const std::string& scope() const noexcept { return scope_; }

  // ---- libnats callbacks (library threads) -----------------------------------------------
  // Public so a test can drive them as libnats does, from threads of its own: ThreadSanitizer
  // cannot see inside the uninstrumented library (tests/jetstream/callbacks_test.cpp).

  //! The closure libnats receives with every callback of this forwarder.
  void* callback_closure() const noexcept { return link_; }
  static void on_disconnected(natsConnection* nc, void* link) {
    on_event(nc, link, [](forwarder& f) {
      f.connected_.store(false);
      f.need_resync_.store(true);
      {
        std::lock_guard lk(f.mu_);
        ++f.stats_.disconnects;
      }
      f.cv_.notify_all();
    });
  }
  static void on_reconnected(natsConnection* nc, void* link) {
    on_event(nc, link, [](forwarder& f) {
      f.connected_.store(true);
      f.need_resync_.store(true);
      {
        std::lock_guard lk(f.mu_);
        ++f.stats_.connects;
      }
      f.cv_.notify_all();
    });
  }
  static void on_closed(natsConnection* nc, void* link) {
    on_event(nc, link, [](forwarder& f) {
      f.connected_.store(false);
      f.closed_.store(true);
      f.cv_.notify_all();
    });
  }
  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* link) {
    static_cast<link_t*>(link)->with_owner([&](forwarder& f) { f.ack(msg, pa, pae); });
    natsMsg_Destroy(msg);
  }

 private:
  using link_t = detail::callback_link<forwarder>;
  enum state_t : std::uint8_t { pending, acked, failed };
  struct inflight {
    store::offset_t offset = 0, next = 0;
    std::uint64_t seq = 0;
    state_t state = pending;
    std::int64_t sent_ns = 0;
  };
  struct stream_state {
    std::string name, subject, js_name, id_prefix;
    bool ready = false;  // JetStream stream exists and the store cursor is positioned
    // Worker thread only:
    std::optional<store::cursor> cur;
    store::offset_t read_pos = 0, high_water = 0;
    std::unordered_map<store::offset_t, std::uint64_t> present;  // offset -> seq, not resent
    store::offset_t applied_trunc_offset = 0;
    std::int64_t applied_trunc_ts = std::numeric_limits<std::int64_t>::min();
    // Guarded by mu_ (the ack handler runs on a libnats thread):
    std::deque<inflight> q;
    store::offset_t acked_offset = 0;
    std::uint64_t acked_seq = 0;
    store::offset_t purged_offset = 0;
    std::int64_t purged_ts = std::numeric_limits<std::int64_t>::min();
    stream_stats stats;
  };
  struct purge_request {
    std::string stream;
    std::uint64_t offset;
    std::int64_t ts;
    std::promise<bool> done;
  };
  using clock = std::chrono::steady_clock;

  static std::int64_t now_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch())
        .count();
  }

  std::future<bool> request_purge(std::string_view stream, std::uint64_t offset, std::int64_t ts) {
    auto r = std::make_unique<purge_request>();
    r->stream = std::string(stream);
    r->offset = offset;
    r->ts = ts;
    auto f = r->done.get_future();
    {
      std::lock_guard lk(mu_);
      purges_.push_back(std::move(r));
    }
    cv_.notify_all();
    return f;
  }

  // ---- errors ----------------------------------------------------------------------------
  void fail(error_cause c, std::string text) {
    {
      std::lock_guard lk(mu_);
      ++stats_.errors[static_cast<std::size_t>(c)];
      if (text == stats_.last_error) return;  // report a repeated failure once
      stats_.last_error = text;
    }
    std::string msg =
        "introspect: jetstream [" + scope_ + "] " + std::string(to_string(c)) + ": " + text;
    if (opt_.on_error)
      opt_.on_error(c, msg);
    else if (opt_.report_errors)
      std::fprintf(stderr, "%s\n", msg.c_str());
  }
  void fail(const detail::nats_error& e, std::string_view what) {
    fail(detail::classify(e.status, e.js_code, e.text), std::string(what) + ": " + e.text);
  }

  // Applies a connection event unless it is a late one of a connection already dropped.
  template <class F>
  static void on_event(natsConnection* nc, void* link, F f) {
    static_cast<link_t*>(link)->with_owner([&](forwarder& o) {
      if (nc == o.current_.load()) f(o);
    });
  }

  void ack(natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae) {
    const auto off = detail::offset_of(msg);
    const char* subj = natsMsg_GetSubject(msg);
    std::optional<detail::nats_error> err;
    if (!pa) {
      err = detail::nats_error{pae ? pae->Err : NATS_ERR, pae ? static_cast<int>(pae->ErrCode) : 0,
                               pae && pae->ErrText ? pae->ErrText : "publish failed"};
      if (pae && err->text.empty()) err->text = natsStatus_GetText(pae->Err);
    }
    {
      std::lock_guard lk(mu_);
      stream_state* sp = nullptr;
      for (auto& st : streams_)  // a handful of streams: a scan beats hashing a new string
        if (subj && st->subject == subj) sp = st.get();
      if (sp && off) {
        auto& s = *sp;
        auto e = std::lower_bound(s.q.begin(), s.q.end(), *off,
                                  [](const inflight& x, std::uint64_t o) { return x.offset < o; });
        if (e != s.q.end() && e->offset == *off && e->state == pending) {
          --inflight_;
          if (pa) {
            e->state = acked;
            e->seq = pa->Sequence;
            ++s.stats.acked;
            ++stats_.acked;
            if (pa->Duplicate) ++stats_.duplicates;
          } else {
            e->state = failed;
          }
        }
      }
    }
    if (err) {
      need_resync_.store(true);
      fail(*err, "publish to " + std::string(subj ? subj : "?"));
    }
    cv_.notify_all();
  }

  // ---- worker ----------------------------------------------------------------------------
  void run() {
    std::string why;
    persisted_ = load_cursors(scope_dir_, opt_.cursor_name, &why);
    if (!why.empty()) fail(error_cause::cursor, why + " (starting from JetStream's own state)");
    auto backoff = opt_.backoff_min;
    auto next_try = clock::now();
    auto next_scan = clock::now();
    while (!stop_.load()) {
      if (clock::now() < next_try) {
        wait_for(std::min<clock::duration>(next_try - clock::now(), opt_.poll_interval));
        continue;
      }
      if (closed_.load()) drop_connection();
      if (!conn_) {
        if (!open_connection()) {
          next_try = clock::now() + backoff;
          backoff = std::min(backoff * 2, opt_.backoff_max);
          continue;
        }
      }
      if (!connected_.load()) {
        wait_for(opt_.poll_interval);
        continue;
      }
      if (rescan_.exchange(false) || clock::now() >= next_scan) {
        scan_streams();
        next_scan = clock::now() + opt_.scan_interval;
      }
      bool ok = true;
      if (need_resync_.exchange(false)) ok = resync();
      if (ok) ok = prepare_streams();
      if (ok) ok = run_purges();
      if (!ok) {
        next_try = clock::now() + backoff;
        backoff = std::min(backoff * 2, opt_.backoff_max);
        continue;
      }
      const bool at_end = pump();
      commit();
      check_ack_timeouts();
      checkpoint(false);
      report_progress(false);
      bool idle = false;
      {
        std::lock_guard lk(mu_);
        if (at_end && inflight_ == 0 && !need_resync_.load() && all_ready()) {
          ++idle_gen_;
          idle = true;
        }
      }
      if (idle) {
        idle_cv_.notify_all();
        backoff = opt_.backoff_min;
      }
      if (at_end) wait_for(opt_.poll_interval);
    }
    const auto deadline = clock::now() + opt_.stop_timeout;
    drain(deadline);
    shutdown(deadline);
  }

  // stop() was called: the pump loops honour it, except while the last records are drained.
  bool halted() const noexcept { return stop_.load() && !draining_.load(); }

  // Publishes what the store holds now (e.g. the engine's last snapshot, written as it stopped)
  // and waits for the acknowledgments, until `deadline`. Without it a product that stops would
  // leave its last records out of JetStream until it runs again, which may be never.
  void drain(clock::time_point deadline) {
    if (!conn_ || !connected_.load()) return;
    draining_.store(true);
    scan_streams();  // a stream created just before stop() counts too
    while (clock::now() < deadline && connected_.load()) {
      bool ok = true;
      if (need_resync_.exchange(false)) ok = resync();
      if (ok) ok = prepare_streams();
      bool at_end = false;
      if (ok) at_end = pump();
      commit();
      std::unique_lock lk(mu_);
      if (ok && at_end && inflight_ == 0 && !need_resync_.load() && all_ready()) break;
      const auto left = deadline - clock::now();
      if (left <= clock::duration::zero()) break;
      // Acks notify cv_; a failed round retries after a short pause, not in a busy loop.
      cv_.wait_for(lk, std::min<clock::duration>(left, opt_.poll_interval),
                   [&] { return ok && inflight_ == 0; });
    }
    draining_.store(false);
  }

  void wait_for(clock::duration d) {
    std::unique_lock lk(mu_);
    cv_.wait_for(lk, d, [&] { return stop_.load() || !purges_.empty() || woken_; });
    woken_ = false;
  }

  bool all_ready() const {
    for (auto& s : streams_)
      if (!s->ready) return false;
    return true;
  }

  bool open_connection() {
    detail::connect_settings cs;
    cs.url = opt_.url;
    cs.user = opt_.user;
    cs.password = opt_.password;
    cs.name = opt_.client_name;
    cs.timeout = opt_.connect_timeout;
    cs.reconnect_wait = opt_.reconnect_wait;
    cs.on_disconnected = &on_disconnected;
    cs.on_reconnected = &on_reconnected;
    cs.on_closed = &on_closed;
    cs.closure = link_;
    detail::nats_error err;
    closed_.store(false);
    auto c = detail::connect(cs, err);
    if (!c) {
      fail(err, "connect");
      return false;
    }
    current_.store(c.get());
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = opt_.request_timeout.count();
    // The library's own bound sits just above ours, so its stall path is never the normal one.
    jo.PublishAsync.MaxPending = static_cast<int64_t>(opt_.max_pending + 64);
    jo.PublishAsync.AckHandler = &on_ack;
    jo.PublishAsync.AckHandlerClosure = link_;
    jo.PublishAsync.StallWait = 50;
    jsCtx* js = nullptr;
    if (auto s = natsConnection_JetStream(&js, c.get(), &jo); s != NATS_OK) {
      fail(detail::last_error(s), "JetStream context");
      return false;
    }
    conn_ = std::move(c);
    js_.reset(js);
    async_used_ = false;
    progress_ready_ = false;
    connected_.store(true);
    need_resync_.store(true);  // reconcile every stream with what the server holds
    {
      std::lock_guard lk(mu_);
      ++stats_.connects;
      for (auto& s : streams_) s->ready = false;
    }
    scan_streams();
    return true;
  }

  void drop_connection() {
    current_.store(nullptr);
    reclaim_pending();
    js_.reset();
    conn_.reset();
    connected_.store(false);
    std::lock_guard lk(mu_);
    for (auto& s : streams_) s->ready = false;
  }

  void shutdown(clock::time_point deadline) {
    const auto left = [&] {
      return std::max<std::int64_t>(
          1,
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count());
    };
    if (js_ && async_used_ && connected_.load()) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = left();
      js_PublishAsyncComplete(js_.get(), &po);
    }
    commit();
    checkpoint(true);
    if (js_ && connected_.load()) publish_report(true, std::chrono::milliseconds(left()));
    if (conn_) natsConnection_Close(conn_.get());
    drop_connection();
    std::lock_guard lk(mu_);
    for (auto& p : purges_) p->done.set_value(false);
    purges_.clear();
  }

  // New stream directories get a state (their cursor position comes from the cursor file).
  void scan_streams() {
    for (auto& name : reader_.stream_names(scope_)) {
      std::lock_guard lk(mu_);
      if (by_name_.count(name)) continue;
      auto s = std::make_unique<stream_state>();
      s->name = name;
      s->subject = subject_of(scope_, name);
      s->js_name = stream_name_of(scope_, name);
      s->id_prefix = scope_ + '/' + name + '/';
      s->stats.stream = name;
      s->stats.subject = s->subject;
      s->stats.js_stream = s->js_name;
      if (auto it = persisted_.find(name); it != persisted_.end()) {
        s->acked_offset = it->second.acked_offset;
        s->acked_seq = it->second.acked_seq;
        s->purged_offset = s->applied_trunc_offset = it->second.purged_offset;
        s->purged_ts = s->applied_trunc_ts = it->second.purged_ts;
      }
      s->stats.acked_offset = s->acked_offset;
      by_name_[name] = streams_.size();
      streams_.push_back(std::move(s));
    }
  }

  bool ensure_stream(stream_state& s) {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {s.subject.c_str()};
    cfg.Name = s.js_name.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = opt_.replicas;
    cfg.Duplicates = opt_.duplicate_window.count();
    cfg.Discard = opt_.discard_new ? js_DiscardNew : js_DiscardOld;
    if (opt_.limits_for) {
      const auto l = opt_.limits_for(s.name);
      if (l.max_age) cfg.MaxAge = l.max_age->count();
      if (l.max_bytes) cfg.MaxBytes = static_cast<int64_t>(*l.max_bytes);
      if (l.max_msgs) cfg.MaxMsgs = static_cast<int64_t>(*l.max_msgs);
    }
    jsStreamInfo* si = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    auto st = js_AddStream(&si, js_.get(), &cfg, nullptr, &code);
    if (st != NATS_OK && code == JSStreamNameExistErr) {
      // Exists with another configuration (e.g. new retention): bring it to ours.
      code = static_cast<jsErrCode>(0);
      st = js_UpdateStream(&si, js_.get(), &cfg, nullptr, &code);
    }
    if (si) jsStreamInfo_Destroy(si);
    if (st != NATS_OK) {
      fail(detail::last_error(st, static_cast<int>(code)), "create stream " + s.js_name);
      return false;
    }
    return true;
  }

  // Which records at or after `from` JetStream already holds (offset -> seq). Messages with such
  // offsets were all published after the record acknowledged at `hint_seq` was, or at most
  // max_pending before it (they were in flight together), so only that tail is read.
  bool present_from(stream_state& s, store::offset_t& from, std::uint64_t hint_seq,
                    std::unordered_map<store::offset_t, std::uint64_t>& out) {
    detail::nats_error err;
    auto si = detail::stream_info(js_.get(), s.js_name, err);
    if (!si) {
      fail(err, "stream info " + s.js_name);
      return false;
    }
    const auto first = si->State.FirstSeq, last = si->State.LastSeq;
    if (hint_seq > last) {
      // The server has fewer messages than it acknowledged: it lost them or the stream was
      // recreated. Everything it lacks is resent from the local store.
      fail(error_cause::stream, "stream " + s.js_name + " ends at sequence " +
                                    std::to_string(last) + " but acknowledged " +
                                    std::to_string(hint_seq) + "; resending what it lacks");
      from = 0;
      hint_seq = 0;
    }
    if (last == 0 || si->State.Msgs == 0) return true;
    std::uint64_t start = first;
    if (hint_seq > 0) {
      const auto back = hint_seq + 1 > opt_.max_pending ? hint_seq + 1 - opt_.max_pending : 1;
      start = std::max(first, back);
    }
    const auto lim = from;
    const bool ok = detail::read_range(
        js_.get(), s.js_name, s.subject, start, last,
        [&](natsMsg* m, std::uint64_t seq) {
          if (auto o = detail::offset_of(m); o && *o >= lim) out[*o] = seq;
        },
        opt_.request_timeout, err);
    if (!ok) fail(err, "read back " + s.js_name);
    return ok;
  }

  // Positions a stream after (re)connecting or a failure: everything before the first
  // unacknowledged record is known to be in JetStream; after it, only what is absent is sent.
  bool position(stream_state& s) {
    store::offset_t from;
    std::uint64_t hint;
    std::unordered_map<store::offset_t, std::uint64_t> present;
    {
      std::lock_guard lk(mu_);
      from = s.acked_offset;
      hint = s.acked_seq;
      for (auto& e : s.q)
        if (e.state == acked) present[e.offset] = e.seq;
    }
    if (!present_from(s, from, hint, present)) return false;
    {
      std::lock_guard lk(mu_);
      for (auto& e : s.q)
        if (e.state == pending) --inflight_;
      s.q.clear();
      s.acked_offset = from;
    }
    s.present = std::move(present);
    s.cur.emplace(reader_.open(scope_, s.name, store::cursor_options{from, std::nullopt}));
    s.read_pos = from;
    return true;
  }

  bool prepare_streams() {
    for (std::size_t i = 0;; ++i) {
      stream_state* s;
      {
        std::lock_guard lk(mu_);
        if (i >= streams_.size()) return true;
        s = streams_[i].get();
        if (s->ready) continue;
      }
      if (!ensure_stream(*s) || !position(*s)) return false;
      std::lock_guard lk(mu_);
      s->ready = true;
    }
  }

  // Takes back every message the library still waits an acknowledgment for; their entries
  // become failed and are resent (if JetStream lacks them) by the next position().
  void reclaim_pending() {
    // libnats 3.4 crashes here when the context never published asynchronously.
    if (js_ && async_used_) {
      natsMsgList pending{};
      if (js_PublishAsyncGetPendingList(&pending, js_.get()) == NATS_OK)
        natsMsgList_Destroy(&pending);
    }
    std::lock_guard lk(mu_);
    for (auto& s : streams_)
      for (auto& e : s->q)
        if (e.state == pending) {
          e.state = failed;
          --inflight_;
        }
  }

  bool resync() {
    {
      std::lock_guard lk(mu_);
      ++stats_.resyncs;
    }
    // Acknowledgments of messages the server did receive may still be on their way.
    if (async_used_) {
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 500;
      js_PublishAsyncComplete(js_.get(), &po);
    }
    reclaim_pending();
    commit();
    std::lock_guard lk(mu_);
    for (auto& s : streams_) s->ready = false;
    return true;
  }

  // Publishes up to `batch` records per stream while fewer than max_pending are in flight.
  // Returns true when every ready stream's cursor reached the current end of the store (not
  // when it stopped early for the batch or the max_pending bound: wait_idle() and the drain at
  // stop() rely on it).
  bool pump() {
    bool at_end = true;
    std::size_t n_streams;
    {
      std::lock_guard lk(mu_);
      n_streams = streams_.size();
    }
    for (std::size_t i = 0; i < n_streams && !halted(); ++i) {
      stream_state* sp;
      {
        std::lock_guard lk(mu_);
        sp = streams_[i].get();
      }
      auto& s = *sp;
      if (!s.ready || !s.cur) continue;
      bool reached_end = false;
      store::record_view rv;
      for (std::size_t n = 0; n < opt_.batch; ++n) {
        {
          std::unique_lock lk(mu_);
          if (inflight_ >= opt_.max_pending) {
            cv_.wait_for(lk, opt_.poll_interval,
                         [&] { return inflight_ < opt_.max_pending || halted(); });
            if (inflight_ >= opt_.max_pending) break;
          }
        }
        if (need_resync_.load() || !connected_.load()) return false;
        if (!s.cur->next(rv)) {
          reached_end = true;
          break;
        }
        const auto next = store::next_frame_offset(rv.offset, rv.payload.size());
        s.read_pos = next;
        if (auto it = s.present.find(rv.offset); it != s.present.end()) {
          std::lock_guard lk(mu_);
          s.q.push_back({rv.offset, next, it->second, acked, 0});
          ++s.stats.already_present;
          ++stats_.already_present;
          // Monotone: re-reading what JetStream already holds after a resync must not make the
          // reported store end (and so the lag) go backwards.
          s.stats.store_end = std::max(s.stats.store_end, next);
          s.present.erase(it);
          continue;
        }
        if (!publish(s, rv, next)) return false;
      }
      if (!reached_end) at_end = false;
    }
    return at_end;
  }

  bool publish(stream_state& s, const store::record_view& rv, store::offset_t next) {
    natsMsg* m = nullptr;
    auto st = natsMsg_Create(&m, s.subject.c_str(), nullptr,
                             reinterpret_cast<const char*>(rv.payload.data()),
                             static_cast<int>(rv.payload.size()));
    if (st != NATS_OK) {
      fail(detail::last_error(st), "create message");
      return false;
    }
    detail::msg_ptr msg(m);
    char buf[32];
    auto num = [&](auto v) {
      auto r = std::to_chars(buf, buf + sizeof buf - 1, v);
      *r.ptr = '\0';
      return buf;
    };
    std::string id = s.id_prefix;
    id += num(rv.offset);
    st = natsMsgHeader_Set(m, header::msg_id, id.c_str());
    char ix[48];
    format_ix(ix, {rv.ts_ns, rv.kind, rv.flags});
    if (st == NATS_OK) st = natsMsgHeader_Set(m, header::ix, ix);
    if (st != NATS_OK) {
      fail(detail::last_error(st), "set headers");
      return false;
    }
    {
      // Registered before the publish: its acknowledgment may arrive before publish returns.
      std::lock_guard lk(mu_);
      s.q.push_back({rv.offset, next, 0, pending, now_ns()});
      ++inflight_;
      ++s.stats.published;
      ++stats_.published;
      if (rv.offset < s.high_water) {
        ++s.stats.resent;
        ++stats_.resent;
      }
      s.stats.store_end = std::max(s.stats.store_end, next);
    }
    s.high_water = std::max(s.high_water, next);
    m = msg.release();
    async_used_ = true;
    st = js_PublishMsgAsync(js_.get(), &m, nullptr);
    natsMsg_Destroy(m);  // no-op when the library took it
    if (st != NATS_OK) {
      {
        std::lock_guard lk(mu_);
        auto& e = s.q.back();
        if (e.offset == rv.offset && e.state == pending) {
          e.state = failed;
          --inflight_;
        }
      }
      need_resync_.store(true);
      fail(detail::last_error(st), "publish to " + s.subject);
      return false;
    }
    return true;
  }

  // Advances each stream's acknowledged offset over its contiguous acknowledged prefix.
  void commit() {
    std::lock_guard lk(mu_);
    for (auto& sp : streams_) {
      auto& s = *sp;
      while (!s.q.empty() && s.q.front().state == acked) {
        s.acked_offset = s.q.front().next;
        if (s.q.front().seq) s.acked_seq = s.q.front().seq;
        s.q.pop_front();
      }
      s.stats.acked_offset = s.acked_offset;
    }
  }

  void check_ack_timeouts() {
    const auto limit = now_ns() - std::chrono::nanoseconds(opt_.ack_timeout).count();
    bool late = false;
    {
      std::lock_guard lk(mu_);
      for (auto& s : streams_)
        for (auto& e : s->q)
          if (e.state == pending) {
            late = late || e.sent_ns < limit;
            break;
          }
    }
    if (late) {
      need_resync_.store(true);
      fail(error_cause::timeout, "no acknowledgment within " +
                                     std::to_string(opt_.ack_timeout.count()) +
                                     " ms; resending what JetStream lacks");
    }
  }

  // This scope's progress as the federated reader needs it: per stream, how far the store
  // reaches (as far as the cursor has read: the end whenever it is caught up with reading) and
  // how far JetStream has acknowledged it.
  scope_progress progress_now(bool stopped) const {
    scope_progress p;
    p.reported_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    p.stopped = stopped;
    std::lock_guard lk(mu_);
    for (auto& s : streams_) {
      const auto end = std::max({s->stats.store_end, s->acked_offset, s->read_pos});
      p.streams.push_back({s->name, s->acked_offset, end});
    }
    return p;
  }

  // Publishes the progress report when it changed (at most every checkpoint_interval), at
  // least every progress_interval, and once more when stopping. A failure is reported and
  // retried later; it never holds up forwarding.
  void report_progress(bool stopped) {
    const auto now = clock::now();
    if (now - last_progress_try_ < opt_.checkpoint_interval) return;
    auto p = progress_now(stopped);
    if (p.streams == last_progress_.streams && now - last_progress_try_ < opt_.progress_interval)
      return;
    publish_report(stopped, opt_.request_timeout);
  }

  void publish_report(bool stopped, std::chrono::milliseconds timeout) {
    last_progress_try_ = clock::now();
    auto p = progress_now(stopped);
    detail::nats_error err;
    if (!progress_ready_) {
      if (!detail::ensure_progress_stream(js_.get(), scope_, opt_.replicas, err)) {
        fail(err, "create stream " + progress_stream_of(scope_));
        return;
      }
      progress_ready_ = true;
    }
    if (!detail::publish_progress(js_.get(), scope_, p, timeout, err)) {
      fail(err, "publish progress to " + progress_subject(scope_));
      return;
    }
    last_progress_ = std::move(p);
  }

  void checkpoint(bool force) {
    const auto now = clock::now();
    if (!force && now - last_checkpoint_ < opt_.checkpoint_interval) return;
    cursor_map m = persisted_;
    {
      std::lock_guard lk(mu_);
      for (auto& s : streams_)
        m[s->name] = {s->acked_offset, s->acked_seq, s->purged_offset, s->purged_ts};
    }
    last_checkpoint_ = now;
    if (m == persisted_) return;
    try {
      save_cursors(scope_dir_, opt_.cursor_name, m);
      persisted_ = std::move(m);
      std::lock_guard lk(mu_);
      ++stats_.cursor_writes;
    } catch (const std::exception& e) {
      fail(error_cause::cursor, e.what());
    }
  }

  // ---- truncation -> purge ---------------------------------------------------------------
  // Smallest sequence in [first, last] whose header `key` is >= target (last + 1 if none);
  // a binary search, since records are published in offset (and normally time) order.
  std::optional<std::uint64_t> seq_at_least(const stream_state& s, bool by_time,
                                            std::int64_t target, std::uint64_t first,
                                            std::uint64_t last) {
    auto value_at = [&](std::uint64_t& seq) -> std::optional<std::int64_t> {
      // Deleted sequences inside the range are skipped forward.
      for (int tries = 0; tries < 64 && seq <= last; ++tries, ++seq) {
        natsMsg* m = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        auto st = js_GetMsg(&m, js_.get(), s.js_name.c_str(), seq, nullptr, &code);
        if (st == NATS_OK) {
          detail::msg_ptr msg(m);
          if (by_time) {
            if (auto f = parse_ix(detail::header_of(m, header::ix))) return f->ts_ns;
          } else if (auto o = detail::offset_of(m)) {
            return static_cast<std::int64_t>(*o);
          }
          continue;
        }
        if (st == NATS_NOT_FOUND || code == JSNoMessageFoundErr) continue;
        fail(detail::last_error(st, static_cast<int>(code)), "read " + s.js_name);
        return std::nullopt;
      }
      return std::numeric_limits<std::int64_t>::max();
    };
    std::uint64_t lo = first, hi = last + 1;
    while (lo < hi) {
      auto mid = lo + (hi - lo) / 2;
      auto probe = mid;
      auto v = value_at(probe);
      if (!v) return std::nullopt;
      if (*v >= target)
        hi = mid;
      else
        lo = probe + 1;
    }
    return lo;
  }

  bool purge(stream_state& s, std::uint64_t offset, std::int64_t ts) {
    detail::nats_error err;
    auto si = detail::stream_info(js_.get(), s.js_name, err);
    if (!si) {
      fail(err, "stream info " + s.js_name);
      return false;
    }
    const auto first = si->State.FirstSeq, last = si->State.LastSeq;
    std::uint64_t seq = first;
    if (si->State.Msgs > 0) {
      if (offset > 0) {
        auto q = seq_at_least(s, false, static_cast<std::int64_t>(offset), first, last);
        if (!q) return false;
        seq = std::max(seq, *q);
      }
      if (ts != std::numeric_limits<std::int64_t>::min()) {
        auto q = seq_at_least(s, true, ts, first, last);
        if (!q) return false;
        seq = std::max(seq, *q);
      }
    }
    if (seq > first) {
      jsOptions jo;
      jsOptions_Init(&jo);
      jo.Wait = opt_.request_timeout.count();
      jo.Stream.Purge.Subject = s.subject.c_str();
      jo.Stream.Purge.Sequence = seq;  // removes every message below seq
      jsErrCode code = static_cast<jsErrCode>(0);
      auto st = js_PurgeStream(js_.get(), s.js_name.c_str(), &jo, &code);
      if (st != NATS_OK) {
        fail(detail::last_error(st, static_cast<int>(code)), "purge " + s.js_name);
        return false;
      }
    }
    std::lock_guard lk(mu_);
    s.purged_offset = std::max<std::uint64_t>(s.purged_offset, offset);
    s.purged_ts = std::max(s.purged_ts, ts);
    ++stats_.purges;
    return true;
  }

  // Explicit requests first, then the store's own truncation points.
  bool run_purges() {
    for (;;) {
      std::unique_ptr<purge_request> r;
      {
        std::lock_guard lk(mu_);
        if (purges_.empty()) break;
        r = std::move(purges_.front());
        purges_.pop_front();
      }
      stream_state* s = nullptr;
      {
        std::lock_guard lk(mu_);
        if (auto it = by_name_.find(r->stream); it != by_name_.end())
          s = streams_[it->second].get();
      }
      if (!s) {
        fail(error_cause::stream, "purge: no stream \"" + r->stream + "\" in scope " + scope_);
        r->done.set_value(false);
        continue;
      }
      bool ok = ensure_stream(*s) && purge(*s, r->offset, r->ts);
      r->done.set_value(ok);
      if (!ok) return false;
    }
    if (clock::now() < next_trunc_check_) return true;
    next_trunc_check_ = clock::now() + opt_.scan_interval;
    std::size_t n;
    {
      std::lock_guard lk(mu_);
      n = streams_.size();
    }
    for (std::size_t i = 0; i < n; ++i) {
      stream_state* s;
      {
        std::lock_guard lk(mu_);
        s = streams_[i].get();
        if (!s->ready) continue;
      }
      const auto t = store::stream_truncation(scope_dir_ / s->name);
      if (t.offset <= s->applied_trunc_offset && t.ts_ns <= s->applied_trunc_ts) continue;
      if (!purge(*s, t.offset, t.ts_ns)) return false;
      s->applied_trunc_offset = t.offset;
      s->applied_trunc_ts = t.ts_ns;
    }
    return true;
  }

  std::filesystem::path root_;
  std::string scope_;
  std::filesystem::path scope_dir_;
  forwarder_options opt_;
  store::reader reader_;

  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::vector<std::unique_ptr<stream_state>> streams_;
  std::unordered_map<std::string, std::size_t> by_name_;
  std::deque<std::unique_ptr<purge_request>> purges_;
  std::size_t inflight_ = 0;
  bool woken_ = false;
  std::atomic<bool> rescan_{false};
  std::uint64_t idle_gen_ = 0;
  forwarder_stats stats_;

  std::atomic<bool> stop_{false}, connected_{false}, closed_{false}, need_resync_{false};
  std::atomic<bool> draining_{false};  // stop() was called, the last records are published
  std::atomic<natsConnection*> current_{nullptr};  // whose events the callbacks still apply
  link_t* link_ = link_t::make(this);
  // Worker thread only:
  detail::conn_ptr conn_;
  detail::js_ptr js_;
  cursor_map persisted_;
  bool async_used_ = false;  // the current context has published asynchronously
  clock::time_point last_checkpoint_{}, next_trunc_check_{};
  bool progress_ready_ = false;  // the progress stream exists on the current connection
  scope_progress last_progress_;
  clock::time_point last_progress_try_{};

  std::mutex life_mu_;
  std::thread thread_;
};

}  // namespace introspect::inline v1::jetstream
