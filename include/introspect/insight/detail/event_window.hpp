#pragma once
//! A sliding window of event times with the count-above-N episode logic shared by the burst,
//! flapping and rate rules.
#include <cstdint>
#include <deque>

#include <introspect/insight/episode.hpp>

namespace introspect::inline v1::insight::detail {

//! Event times within (now - window, now]; memory is one entry per distinct time in the window
//! (events of one clock tick share it: at 1 M events/s over a 5-minute window, one integer per
//! event was 2.4 GB; with a 4 ms coarse clock it is 75 000 entries).
class event_window {
 public:
  void push(std::int64_t t) {
    if (!ts_.empty() && ts_.back().t == t)
      ++ts_.back().n;
    else
      ts_.push_back({t, 1});
    ++count_;
  }
  void prune(std::int64_t now, std::int64_t window) {
    while (!ts_.empty() && ts_.front().t <= now - window) {
      count_ -= ts_.front().n;
      ts_.pop_front();
    }
  }
  std::int64_t count() const noexcept { return count_; }
  std::int64_t first() const noexcept { return ts_.empty() ? 0 : ts_.front().t; }
  std::int64_t last() const noexcept { return ts_.empty() ? 0 : ts_.back().t; }

 private:
  struct run {
    std::int64_t t;
    std::int64_t n;  // events at time t
  };
  std::deque<run> ts_;
  std::int64_t count_ = 0;
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
