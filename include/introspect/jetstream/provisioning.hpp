#pragma once
//! jetstream::stream_provisioner: makes the JetStream stream of one store stream exist with the
//! forwarder's configuration (storage, replicas, dedup window, discard policy, and the store's
//! retention as limits), and finds which of its records JetStream already holds, so a resync
//! publishes only what is missing (docs/jetstream.md, "Exactly once, offline first").
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/limits.hpp>

namespace introspect::inline v1::jetstream {

//! The JetStream side of one store stream: its names.
struct stream_target {
  std::string name;     //!< store stream name
  std::string subject;  //!< `introspect.<scope>.<stream>`
  std::string js_name;  //!< JetStream stream name
};

//! How the forwarder's streams are configured (see forwarder_options).
struct provisioning_options {
  int replicas = 1;
  std::chrono::nanoseconds duplicate_window = std::chrono::minutes(2);
  std::function<limits(std::string_view stream)> limits_for;
  bool discard_new = false;
  std::size_t max_pending = 4096;
  std::chrono::milliseconds request_timeout{2000};
};

//! What a resync learns of one stream from JetStream.
struct held_records {
  //! Offsets at or after the (possibly lowered) start that JetStream holds, with their sequences.
  std::unordered_map<std::uint64_t, std::uint64_t> present;
  //! Set when the server holds fewer messages than it acknowledged (a wiped or recreated
  //! stream): the forwarder restarts from offset 0 and says so.
  std::optional<std::string> lost;
};

//! Creates, updates and reads back the forwarder's streams (stateless besides its options).
class stream_provisioner {
 public:
  explicit stream_provisioner(provisioning_options o) : opt_(std::move(o)) {}

  //! The stream exists with our configuration afterwards (created, or updated when it existed
  //! with another one, e.g. a retention change in the product).
  std::optional<op_error> ensure(jsCtx* js, const stream_target& t) const {
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char* subjects[] = {t.subject.c_str()};
    cfg.Name = t.js_name.c_str();
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Replicas = opt_.replicas;
    cfg.Duplicates = opt_.duplicate_window.count();
    cfg.Discard = opt_.discard_new ? js_DiscardNew : js_DiscardOld;
    if (opt_.limits_for) {
      const auto l = opt_.limits_for(t.name);
      if (l.max_age) cfg.MaxAge = l.max_age->count();
      if (l.max_bytes) cfg.MaxBytes = static_cast<int64_t>(*l.max_bytes);
      if (l.max_msgs) cfg.MaxMsgs = static_cast<int64_t>(*l.max_msgs);
    }
    jsErrCode code{};
    const auto st = detail::add_or_update_stream(js, cfg, code);
    if (st != NATS_OK)
      return op_error{detail::last_error(st, static_cast<int>(code)), "create stream " + t.js_name};
    return std::nullopt;
  }

  //! Which records at or after `from` JetStream already holds. Messages with such offsets were
  //! all published after the record acknowledged at `hint_seq` was, or at most max_pending
  //! before it (they were in flight together), so only that tail is read. When the server
  //! lost messages it had acknowledged, `from` becomes 0 and `out.lost` says so.
  std::optional<op_error> held(jsCtx* js, const stream_target& t, std::uint64_t& from,
                               std::uint64_t hint_seq, held_records& out) const {
    detail::nats_error err;
    auto si = detail::stream_info(js, t.js_name, err);
    if (!si) return op_error{std::move(err), "stream info " + t.js_name};
    const auto first = si->State.FirstSeq, last = si->State.LastSeq;
    if (hint_seq > last) {
      out.lost = "stream " + t.js_name + " ends at sequence " + std::to_string(last) +
                 " but acknowledged " + std::to_string(hint_seq) + "; resending what it lacks";
      from = 0;
      hint_seq = 0;
    }
    if (last == 0 || si->State.Msgs == 0) return std::nullopt;
    std::uint64_t start = first;
    if (hint_seq > 0) {
      const auto back = hint_seq + 1 > opt_.max_pending ? hint_seq + 1 - opt_.max_pending : 1;
      start = std::max(first, back);
    }
    const auto lim = from;
    const bool ok = detail::read_range(
        js, t.js_name, t.subject, start, last,
        [&](natsMsg* m, std::uint64_t seq) {
          if (auto o = detail::offset_of(m); o && *o >= lim) out.present[*o] = seq;
        },
        opt_.request_timeout, err);
    if (!ok) return op_error{std::move(err), "read back " + t.js_name};
    return std::nullopt;
  }

  const provisioning_options& options() const noexcept { return opt_; }

 private:
  provisioning_options opt_;
};

}  // namespace introspect::inline v1::jetstream
