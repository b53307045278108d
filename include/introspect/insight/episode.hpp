#pragma once
//! One subject's episode: whether its insight is open, and the transitions not yet emitted.
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <introspect/core/record.hpp>

namespace introspect::inline v1::insight {

//! Where an insight record stands in its life: opened, updated with new evidence, or closed.
enum class phase : std::uint8_t { open, update, closed };

constexpr std::string_view to_string(phase p) noexcept {
  switch (p) {
    case phase::open:
      return "open";
    case phase::update:
      return "update";
    case phase::closed:
      return "closed";
  }
  return "unknown";
}

//! What a rule found: evidence fields (stored under "evidence.") and a human sentence.
struct evidence {
  std::vector<field> fields;
  std::string message;

  void add(std::string_view key, value v) {
    fields.push_back(field{std::string{"evidence."}.append(key), std::move(v)});
  }
  void add(std::string_view key, double v) { add(key, value{v}); }
  void add(std::string_view key, std::int64_t v) { add(key, value{v}); }
  void add(std::string_view key, std::string_view v) { add(key, value{std::string{v}}); }
  //! A value by its key without the "evidence." prefix, or nullptr.
  const value* find(std::string_view key) const noexcept {
    for (const auto& f : fields)
      if (std::string_view{f.key}.substr(9) == key) return &f.val;
    return nullptr;
  }
};

//! When an open insight may be updated: its level moved by at least `delta` (relative), and at
//! least `min_periods` evaluations passed since the last record of the same insight.
struct update_options {
  std::int64_t min_periods = 10;
  double delta = 0.25;
};

//! What evaluate() tells the rules: the time, the evaluation's ordinal and the update options.
struct tick_context {
  std::int64_t now = 0;
  std::uint64_t tick = 0;
  update_options update{};
};

//! A transition waiting for the next evaluate() to become an insight record.
struct transition {
  phase ph = phase::open;
  std::int64_t onset = 0;
  std::int64_t end = 0;  // only for closed
  double level = 0;
  std::uint32_t episode = 0;  // 1 for the subject's first insight, 2 for its second...
  evidence ev;
};

//! The life of one subject's insight. Rules call open(), update() and close(); the engine drains
//! the transitions at each evaluate(). Calls that would repeat a state are ignored, which is what
//! makes "opens once, closes once, no repeats" hold whatever the rule does.
class episode {
 public:
  bool is_open() const noexcept { return open_; }
  std::int64_t onset() const noexcept { return onset_; }
  std::uint32_t count() const noexcept { return count_; }

  //! Opens the insight (once) with its onset; `fill(evidence&)` runs only if it opens.
  template <class Fill>
  void open(std::int64_t onset, double level, Fill&& fill) {
    if (open_) return;
    open_ = true;
    onset_ = onset;
    ++count_;
    last_level_ = level;
    last_tick_ = pending_tick;
    transition t{phase::open, onset, 0, level, count_, {}};
    fill(t.ev);
    pending_.push_back(std::move(t));
  }

  //! Records new evidence of an open insight if it changed materially (see update_options).
  template <class Fill>
  void update(double level, const tick_context& ctx, Fill&& fill) {
    if (!open_ || last_tick_ == pending_tick) return;
    if (ctx.tick - last_tick_ < static_cast<std::uint64_t>(ctx.update.min_periods)) return;
    const double scale = std::max(std::fabs(last_level_), 1e-9);
    if (!(std::fabs(level - last_level_) >= ctx.update.delta * scale)) return;
    last_level_ = level;
    last_tick_ = pending_tick;
    transition t{phase::update, onset_, 0, level, count_, {}};
    fill(t.ev);
    pending_.push_back(std::move(t));
  }

  //! Closes the open insight with its end time.
  template <class Fill>
  void close(std::int64_t end, double level, Fill&& fill) {
    if (!open_) return;
    open_ = false;
    last_tick_ = pending_tick;
    transition t{phase::closed, onset_, end, level, count_, {}};
    fill(t.ev);
    pending_.push_back(std::move(t));
  }

  bool has_pending() const noexcept { return !pending_.empty(); }
  //! Hands the pending transitions to fn(const transition&) and clears them.
  template <class Fn>
  void drain(std::uint64_t tick, Fn&& fn) {
    for (const auto& t : pending_) fn(t);
    pending_.clear();
    last_tick_ = tick;
  }

 private:
  static constexpr std::uint64_t pending_tick = std::numeric_limits<std::uint64_t>::max();
  bool open_ = false;
  std::int64_t onset_ = 0;
  std::uint32_t count_ = 0;
  double last_level_ = 0;
  std::uint64_t last_tick_ = 0;
  std::vector<transition> pending_;
};

}  // namespace introspect::inline v1::insight
