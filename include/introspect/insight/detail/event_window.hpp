#pragma once
//! A sliding window of event times with the count-above-N episode logic shared by the burst,
//! flapping and rate rules.
#include <cstdint>
#include <deque>

#include <introspect/insight/episode.hpp>

namespace introspect::inline v1::insight::detail {

//! Event times within (now - window, now]; memory is one integer per event in the window.
class event_window {
 public:
  void push(std::int64_t t) { ts_.push_back(t); }
  void prune(std::int64_t now, std::int64_t window) {
    while (!ts_.empty() && ts_.front() <= now - window) ts_.pop_front();
  }
  std::int64_t count() const noexcept { return static_cast<std::int64_t>(ts_.size()); }
  std::int64_t first() const noexcept { return ts_.empty() ? 0 : ts_.front(); }
  std::int64_t last() const noexcept { return ts_.empty() ? 0 : ts_.back(); }

 private:
  std::deque<std::int64_t> ts_;
};

//! "More than `limit` events within `window`": opens on the event that makes the count exceed
//! the limit (onset = the first event then in the window), updates on the count, and closes at
//! an evaluation where the count has fallen to `clear` or below (end = the last event counted).
struct count_episode {
  event_window w;
  std::int64_t peak = 0;     // highest count of the open episode
  std::int64_t last_ts = 0;  // the latest event
  std::int64_t first_in_episode = 0;

  template <class Fill>
  void on_event(std::int64_t ts, std::int64_t window, std::int64_t limit, episode& ep,
                Fill&& fill) {
    w.prune(ts, window);
    w.push(ts);
    last_ts = ts;
    if (ep.is_open()) {
      if (w.count() > peak) peak = w.count();
      return;
    }
    if (w.count() > limit) {
      peak = w.count();
      first_in_episode = w.first();
      ep.open(w.first(), static_cast<double>(w.count()), fill);
    }
  }

  template <class Fill, class CloseFill>
  void on_tick(const tick_context& ctx, std::int64_t window, std::int64_t clear, episode& ep,
               Fill&& fill, CloseFill&& close_fill) {
    w.prune(ctx.now, window);
    if (!ep.is_open()) return;
    if (w.count() <= clear)
      ep.close(last_ts, static_cast<double>(w.count()), close_fill);
    else
      ep.update(static_cast<double>(w.count()), ctx, fill);
  }
};

}  // namespace introspect::inline v1::insight::detail
