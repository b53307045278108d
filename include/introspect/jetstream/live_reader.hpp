#pragma once
//! jetstream::live_reader: follows forwarded streams as they grow (`introspect tail --follow
//! nats://...`). Each followed stream has one ordered consumer, kept open and drained without
//! waiting at every poll, so a message is seen as soon as the server pushed it; streams created
//! later are found by listing again. Subscriptions are synchronous: libnats never calls back
//! into this object, so it can be destroyed at any time (see detail/callback_link.hpp for why
//! that matters).
//!
//! @code
//! introspect::jetstream::live_reader r{{.url = "nats://127.0.0.1:4222"},
//!                                      [](const introspect::jetstream::remote_stream&) {
//!                                        return true;
//!                                      }};
//! for (;;) {
//!   r.poll([](introspect::jetstream::fetched_record& f) { print(f.rec); });
//!   std::this_thread::sleep_for(std::chrono::milliseconds(200));
//! }
//! @endcode
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/fetch.hpp>

namespace introspect::inline v1::jetstream {

//! Follows the forwarded streams a predicate selects, from their first message on.
class live_reader {
 public:
  //! Which streams to follow (asked once per stream, when it is first listed).
  using selector = std::function<bool(const remote_stream&)>;
  //! Receives each decoded message; the record may be moved from.
  using receiver = std::function<void(fetched_record&)>;

  //! Connects (with reconnection: a server restart interrupts following, it does not end it);
  //! throws jetstream::error with the reason when the first connection fails.
  live_reader(fetch_options o, selector want,
              std::chrono::milliseconds rescan = std::chrono::milliseconds{500})
      : opt_(std::move(o)), want_(std::move(want)), rescan_(rescan) {
    connect_reader(opt_, "introspect-follow", true, conn_, js_);
  }
  live_reader(const live_reader&) = delete;
  live_reader& operator=(const live_reader&) = delete;

  //! Lists the streams again when due (and follows the new ones the selector wants, reading
  //! what they already hold), then hands over every message that arrived since the last call,
  //! stream by stream in sequence order. Only catching up on a stream waits (at most the
  //! timeout without a message); otherwise it never waits. Returns how many were delivered.
  //! A failure (server down) does not throw: it is kept in last_error() and retried at the
  //! next call, resuming each stream after the last message delivered.
  std::uint64_t poll(const receiver& fn) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= next_scan_) {
      next_scan_ = now + rescan_;
      scan();
    }
    std::uint64_t n = 0;
    for (auto& [name, f] : followed_) {
      if (!f.sub && !subscribe(f)) continue;
      n += drain(f, fn);
    }
    return n;
  }

  //! The cause of the last failure ("" = none since the last success).
  const std::string& last_error() const noexcept { return last_error_; }
  //! How many streams are followed.
  std::size_t followed() const noexcept { return followed_.size(); }
  //! Messages skipped because their payload or headers did not decode.
  std::uint64_t undecodable() const noexcept { return undecodable_; }

 private:
  struct stream_state {
    remote_stream rs;
    detail::sub_ptr sub;         // null until subscribed, and after a failure
    std::uint64_t next_seq = 1;  // the first sequence not delivered yet
    std::uint64_t catch_up = 0;  // the last sequence when it was listed: read up to it at once
  };

  void scan() {
    try {
      if (!lister_) lister_ = std::make_unique<fetcher>(opt_);
      auto list = lister_->streams("*");
      std::map<std::string, stream_state> next;
      for (auto& rs : list) {
        auto it = followed_.find(rs.js_name);
        if (it != followed_.end()) {
          next.emplace(rs.js_name, std::move(it->second));
          continue;
        }
        if (!want_(rs)) continue;
        stream_state f;
        f.catch_up = rs.last_seq;
        f.rs = std::move(rs);
        next.emplace(f.rs.js_name, std::move(f));
      }
      // A stream that is gone (deleted) is no longer followed.
      followed_ = std::move(next);
      last_error_.clear();
    } catch (const error& e) {
      lister_.reset();  // its connection does not reconnect: make a new one next time
      last_error_ = e.what();
    }
  }

  bool subscribe(stream_state& f) {
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = f.rs.js_name.c_str();
    so.Ordered = true;
    so.Config.DeliverPolicy = js_DeliverByStartSequence;
    so.Config.OptStartSeq = f.next_seq;
    natsSubscription* raw = nullptr;
    jsErrCode code = static_cast<jsErrCode>(0);
    const auto s = js_SubscribeSync(&raw, js_.get(), f.rs.subject.c_str(), nullptr, &so, &code);
    if (s != NATS_OK) {
      last_error_ =
          "follow " + f.rs.js_name + ": " + detail::last_error(s, static_cast<int>(code)).text;
      return false;
    }
    f.sub.reset(raw);
    natsSubscription_SetPendingLimits(f.sub.get(), 1 << 20, 1 << 30);
    return true;
  }

  // Delivers what the subscription holds. While catching up (a stream's first subscription)
  // it waits for the messages up to the sequence listed, so that what the stream already held
  // is shown at once; at most the timeout without one (limits may have removed it).
  std::uint64_t drain(stream_state& f, const receiver& fn) {
    std::uint64_t n = 0;
    fetched_record fr;
    for (;;) {
      const bool catching_up = f.catch_up >= f.next_seq;
      natsMsg* m = nullptr;
      const auto s =
          natsSubscription_NextMsg(&m, f.sub.get(), catching_up ? opt_.timeout.count() : 0);
      if (s == NATS_TIMEOUT) {
        f.catch_up = 0;  // nothing more for now (a gap left by limits ends catching up too)
        return n;
      }
      if (s != NATS_OK) {
        // Slow consumer, closed connection, ...: subscribe again after the last delivered one.
        last_error_ = "follow " + f.rs.js_name + ": " + detail::last_error(s).text;
        f.sub.reset();
        return n;
      }
      detail::msg_ptr msg(m);
      jsMsgMetaData* md = nullptr;
      if (natsMsg_GetMetaData(&md, m) != NATS_OK) continue;
      detail::meta_ptr meta(md);
      const auto seq = md->Sequence.Stream;
      if (seq < f.next_seq) continue;  // already delivered before a re-subscription
      f.next_seq = seq + 1;
      if (!fetcher::decode(m, f.rs, fr)) {
        ++undecodable_;
        continue;
      }
      fr.seq = seq;
      ++n;
      fn(fr);
    }
  }

  fetch_options opt_;
  selector want_;
  std::chrono::milliseconds rescan_;
  std::chrono::steady_clock::time_point next_scan_{};
  detail::conn_ptr conn_;
  detail::js_ptr js_;
  std::unique_ptr<fetcher> lister_;               // lists streams (its own connection)
  std::map<std::string, stream_state> followed_;  // by JetStream name; destroyed first
  std::string last_error_;
  std::uint64_t undecodable_ = 0;
};

}  // namespace introspect::inline v1::jetstream
