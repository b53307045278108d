#pragma once
//! jetstream::purger: store truncation -> JetStream purge. Holds the explicit purge requests
//! (forwarder::purge_before, purge_before_time) until the worker runs them, and purges a stream
//! by sequence: js_PurgeStream with Purge.Sequence = the first sequence whose record has an
//! offset (and time) at or after the cut, found by a binary search of js_GetMsg.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <future>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/provisioning.hpp>

namespace introspect::inline v1::jetstream {

//! A cut: records below `offset`, or older than `ts_ns` (the `Ix` header's time), go.
struct purge_cut {
  std::uint64_t offset = 0;
  std::int64_t ts_ns = std::numeric_limits<std::int64_t>::min();
};

//! Pending purge requests and the purge itself (see the file comment).
class purger {
 public:
  //! A request of the product's thread, run by the worker; `done` is false when it failed.
  struct request {
    std::string stream;
    purge_cut cut;
    std::promise<bool> done;
  };

  explicit purger(std::chrono::milliseconds request_timeout) : timeout_(request_timeout) {}

  //! Queues a purge of `stream`; the caller wakes the worker.
  std::future<bool> enqueue(std::string_view stream, purge_cut cut) {
    auto r = std::make_unique<request>();
    r->stream = std::string(stream);
    r->cut = cut;
    auto f = r->done.get_future();
    std::lock_guard lk(mu_);
    q_.push_back(std::move(r));
    return f;
  }
  //! The oldest queued request, or nullptr.
  std::unique_ptr<request> next() {
    std::lock_guard lk(mu_);
    if (q_.empty()) return nullptr;
    auto r = std::move(q_.front());
    q_.pop_front();
    return r;
  }
  bool has_requests() const {
    std::lock_guard lk(mu_);
    return !q_.empty();
  }
  //! Stopping: every queued request fails.
  void fail_all() {
    std::lock_guard lk(mu_);
    for (auto& r : q_) r->done.set_value(false);
    q_.clear();
  }

  //! Removes the messages of `t` below the cut. Nothing is removed when the stream is empty or
  //! its first message is already at or after the cut.
  std::optional<op_error> purge(jsCtx* js, const stream_target& t, purge_cut cut) const {
    detail::nats_error err;
    auto si = detail::stream_info(js, t.js_name, err);
    if (!si) return op_error{std::move(err), "stream info " + t.js_name};
    const auto first = si->State.FirstSeq, last = si->State.LastSeq;
    std::uint64_t seq = first;
    std::optional<op_error> fail;
    if (si->State.Msgs > 0) {
      if (cut.offset > 0) {
        auto q =
            seq_at_least(js, t, false, static_cast<std::int64_t>(cut.offset), first, last, fail);
        if (!q) return fail;
        seq = std::max(seq, *q);
      }
      if (cut.ts_ns != std::numeric_limits<std::int64_t>::min()) {
        auto q = seq_at_least(js, t, true, cut.ts_ns, first, last, fail);
        if (!q) return fail;
        seq = std::max(seq, *q);
      }
    }
    if (seq > first) {
      jsOptions jo;
      jsOptions_Init(&jo);
      jo.Wait = timeout_.count();
      jo.Stream.Purge.Subject = t.subject.c_str();
      jo.Stream.Purge.Sequence = seq;  // removes every message below seq
      jsErrCode code = static_cast<jsErrCode>(0);
      auto st = js_PurgeStream(js, t.js_name.c_str(), &jo, &code);
      if (st != NATS_OK)
        return op_error{detail::last_error(st, static_cast<int>(code)), "purge " + t.js_name};
    }
    return std::nullopt;
  }

 private:
  // Smallest sequence in [first, last] whose `key` (offset, or time) is >= target (last + 1 if
  // none); a binary search, since records are published in offset (and normally time) order.
  static std::optional<std::uint64_t> seq_at_least(jsCtx* js, const stream_target& t, bool by_time,
                                                   std::int64_t target, std::uint64_t first,
                                                   std::uint64_t last,
                                                   std::optional<op_error>& fail) {
    auto value_at = [&](std::uint64_t& seq) -> std::optional<std::int64_t> {
      // Deleted sequences inside the range are skipped forward.
      for (int tries = 0; tries < 64 && seq <= last; ++tries, ++seq) {
        natsMsg* m = nullptr;
        jsErrCode code = static_cast<jsErrCode>(0);
        auto st = js_GetMsg(&m, js, t.js_name.c_str(), seq, nullptr, &code);
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
        fail = op_error{detail::last_error(st, static_cast<int>(code)), "read " + t.js_name};
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

  std::chrono::milliseconds timeout_;
  mutable std::mutex mu_;
  std::deque<std::unique_ptr<request>> q_;
};

}  // namespace introspect::inline v1::jetstream
