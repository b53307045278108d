#pragma once
//! The simulation's only way to record: forwards each call to the tier's introspection type
//! and accounts for it as one event (the clock's 1 ms step, the --events budget, the pacing
//! of --duration runs). Calls on kinds the tier does not record still cost an event, so the
//! simulation's timeline is the same on every tier; only what reaches the store differs.
#include <array>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string_view>
#include <thread>

#include <introspect/introspect.hpp>

#include "call_kind.hpp"
#include "options.hpp"
#include "sim_clock.hpp"

namespace demo {

//! Counts and forwards recording calls to `Ins` (an introspect::introspection<...>).
template <class Ins>
class recorder {
 public:
  //! Whether the tier's type keeps calls of kind k (false: the call compiles to nothing).
  static constexpr std::array<bool, 4> recorded = {
      Ins::template records<introspect::kind::state>,
      Ins::template records<introspect::kind::notification>,
      Ins::template records<introspect::kind::metric>,
      Ins::template records<introspect::kind::record>};

  recorder(Ins& ins, const options& o)
      : ins_(ins), budget_(o.events), duration_(o.duration), simulated_(o.simulated()) {}

  //! True once the event budget or the --duration is used up.
  bool done() const noexcept {
    if (budget_ > 0 && event_ >= budget_) return true;
    return duration_ && std::chrono::steady_clock::now() - start_ >= *duration_;
  }
  //! Simulated milliseconds since the start: the index of the next event.
  std::int64_t now_ms() const noexcept { return event_; }
  const std::array<std::int64_t, 4>& calls() const noexcept { return calls_; }

  void state(std::string_view key, introspect::value_view v) noexcept {
    if (!begin()) return;
    ins_.state(key, v);
    end(call_kind::state);
  }
  void notify(introspect::severity s, std::string_view message,
              std::initializer_list<introspect::field_view> attributes = {}) noexcept {
    if (!begin()) return;
    ins_.notify(s, message,
                std::span<const introspect::field_view>{attributes.begin(), attributes.size()});
    end(call_kind::notification);
  }
  void count(std::string_view name, std::int64_t n = 1) noexcept {
    if (!begin()) return;
    ins_.count(name, n);  // compiles to nothing on tiny: the call is made anyway
    end(call_kind::metric);
  }
  void gauge(std::string_view name, introspect::value_view v) noexcept {
    if (!begin()) return;
    ins_.gauge(name, v);
    end(call_kind::metric);
  }
  void observe(std::string_view name, introspect::value_view v) noexcept {
    if (!begin()) return;
    ins_.observe(name, v);
    end(call_kind::metric);
  }
  template <class S>
  void record(const S& s) noexcept {
    if (!begin()) return;
    ins_.record(s);
    end(call_kind::record);
  }
  //! The product's housekeeping: lets the tiny tier write its period without a thread.
  void tick() noexcept { ins_.tick(); }

  //! The engine's period in simulated milliseconds, or 0 when the engine has no thread.
  static constexpr std::int64_t engine_period_ms = [] {
    if constexpr (Ins::threads == 0) return std::int64_t{0};
    const std::int64_t ns = Ins::cadence::period_ns > 0 ? Ins::cadence::period_ns : 1'000'000'000;
    return ns / 1'000'000;
  }();

 private:
  bool begin() noexcept {
    if (done()) return false;
    if (simulated_) {
      if (engine_period_ms > 0 && event_ == next_period_) sync_period();
      sim_clock::set_event(event_);
    }
    return true;
  }

  // A writer thread does its period's work (metric snapshots, sources, the state checkpoint)
  // when it sees the clock pass its next period. In a simulated run the clock runs thousands
  // of times faster than real time, so the thread would see it at random moments: instead the
  // product stops at each period boundary, with the clock exactly there, until the engine has
  // written everything before it and done the period's work (flush() does both). The clock
  // then never reaches the engine's next period on its own, so the thread never decides by
  // itself, and a seeded run's metrics carry the same timestamps and values every time.
  void sync_period() noexcept {
    sim_clock::set_event(event_);
    ins_.flush();
    next_period_ += engine_period_ms;
  }

  void end(call_kind k) noexcept {
    ++calls_[static_cast<std::size_t>(k)];
    ++event_;
    if (!simulated_ && event_ % 16 == 0) pace();
  }

  // Real-time runs keep the simulated pace of 1 event per ms, so that scenario windows and
  // the product's rates mean the same as in a seeded run.
  void pace() const noexcept {
    const auto ahead =
        std::chrono::milliseconds{event_} - std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::steady_clock::now() - start_);
    if (ahead.count() > 0) std::this_thread::sleep_for(ahead);
  }

  Ins& ins_;
  std::int64_t budget_;
  std::optional<std::chrono::milliseconds> duration_;
  bool simulated_;
  std::int64_t event_ = 0;
  std::int64_t next_period_ = engine_period_ms;
  std::array<std::int64_t, 4> calls_{};
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

}  // namespace demo
