#pragma once
//! The skeleton every network source is built on: its own threads (one, or one per lane) that
//! own all of the source's blocking I/O, a stop that breaks off every request in flight, a
//! bounded hand-off to the collector's thread, and the failures waiting to be reported. A
//! source is a Driver that only does one unit of work per step() and knows how to
//! interrupt() it; the skeleton does the rest.
//!
//! The collector (the engine's writer thread) must never wait on the network, and
//! cpp-httplib's requests block: collect() on the collector's side only moves what the threads
//! queued.
//!
//! A driver whose units of work must not wait for each other (the Kubernetes source: one watch
//! per collection, each held open) has lanes: `lanes()` threads each call `step(out, lane)`.
//!
//! @code
//! struct my_driver {
//!   std::chrono::milliseconds step(introspect::source::record_outbox& out);  // one request
//!   void interrupt() noexcept;  // any thread: break off the request in flight
//! };
//! introspect::source::threaded_source<my_driver, introspect::source::drop_oldest> s{4096};
//! s.start();
//! s.drain([&](const introspect::source::owned_record& r) { ... });
//! @endcode
#include <algorithm>
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <introspect/detail/sigpipe.hpp>
#include <introspect/source/handoff.hpp>
#include <introspect/source/owned_record.hpp>

namespace introspect::inline v1::source {

//! What a driver's step() writes to: the hand-off queue, the pending failures, and whether the
//! source is being stopped. Only the source's threads call it (each call is thread-safe).
class record_outbox {
 public:
  //! Queues `batch` (emptied); false (batch kept) when the source stops while a
  //! block_when_full queue waits for room.
  virtual bool push(std::vector<owned_record>& batch) = 0;
  //! Remembers a failure for the collector's next collect() (`part`: a collection, "config",
  //! "watch", ...). At most 64 wait; the oldest go first.
  virtual void error(std::string_view part, std::string_view cause) = 0;
  //! Whether stop() was called: a long request should end.
  [[nodiscard]] virtual bool stopping() const = 0;

 protected:
  ~record_outbox() = default;
};

//! A driver with lanes: `lanes()` (fixed once constructed) threads each call `step(out, lane)`
//! for their own lane, concurrently; interrupt() breaks off the steps of every lane.
template <class D>
concept laned_driver = requires(D& d, const D& cd, record_outbox& out, std::size_t lane) {
  { cd.lanes() } -> std::convertible_to<std::size_t>;
  { d.step(out, lane) } -> std::same_as<std::chrono::milliseconds>;
};

//! A driver does one unit of work per step() on the source's thread (or per step(out, lane) on
//! its lane's thread, see laned_driver) and returns how long to wait before the next (zero: at
//! once); interrupt() breaks off a step from any thread.
template <class D>
concept source_driver = (laned_driver<D> ||
                         requires(D & d, record_outbox& out) {
                           { d.step(out) } -> std::same_as<std::chrono::milliseconds>;
                         }) &&
                        requires(D& d) {
  { d.interrupt() }
  noexcept;
};

//! The threads that run `Driver::step()` (one per lane) until stopped, and the hand-off of
//! their records.
template <source_driver Driver, class FullPolicy>
class threaded_source final : private record_outbox {
 public:
  using clock = std::chrono::steady_clock;

  //! A queue of `capacity` records; `args` construct the driver.
  template <class... Args>
  explicit threaded_source(std::size_t capacity, Args&&... args)
      : driver_(std::forward<Args>(args)...), queue_(capacity) {}
  threaded_source(const threaded_source&) = delete;
  threaded_source& operator=(const threaded_source&) = delete;
  ~threaded_source() { stop(); }

  //! The number of threads start() starts: the driver's lanes, else one.
  std::size_t lanes() const noexcept {
    if constexpr (laned_driver<Driver>)
      return std::max<std::size_t>(1, static_cast<std::size_t>(driver_.lanes()));
    else
      return 1;
  }

  //! Starts the threads (again after stop()). False when one cannot be created (those that
  //! were are stopped again). Never throws.
  bool start() noexcept {
    std::unique_lock lock(mu_);
    if (running_ > 0 || !threads_.empty()) return true;  // running, or stop() is still joining
    stopping_ = false;
    try {
      threads_.reserve(lanes());
    } catch (...) {
      return false;
    }
    for (std::size_t lane = 0; lane < lanes(); ++lane) {
      try {
        ++running_;
        threads_.emplace_back([this, lane] { run(lane); });
      } catch (...) {
        --running_;
        lock.unlock();
        stop();
        return false;
      }
    }
    return true;
  }

  //! Stops the threads: every request in flight is broken off (repeatedly: an interrupt that
  //! lands between two requests is lost), so this returns promptly even while watches are held
  //! open. Records already queued stay collectable.
  void stop() noexcept {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
      for (const auto& t : threads_)
        if (t.get_id() == std::this_thread::get_id()) return;  // a lane cannot join itself
    }
    cv_.notify_all();
    if (threads_.empty()) return;
    for (;;) {
      driver_.interrupt();
      std::unique_lock lock(mu_);
      if (exited_.wait_for(lock, std::chrono::milliseconds(20), [&] { return running_ == 0; }))
        break;
    }
    for (auto& t : threads_) t.join();
    std::lock_guard lock(mu_);
    threads_.clear();
  }

  //! Cuts every thread's wait between two steps short (a snapshot asked for). Any thread.
  void wake() noexcept {
    {
      std::lock_guard lock(mu_);
      ++wake_gen_;
    }
    cv_.notify_all();
  }

  //! Moves every queued record to `f(const owned_record&)`, oldest first; never waits on the
  //! network. Returns how many.
  template <class F>
  std::size_t drain(F&& f) {
    return queue_.drain(f);
  }
  //! Delivers every queued record to `emit(const record_view&)` as a record of `source_name`.
  template <class Emit>
  std::size_t deliver_all(std::string_view source_name, Emit& emit) {
    return queue_.drain([&](const owned_record& r) { deliver(r, source_name, emit, scratch_); });
  }
  //! Queues records made on another thread (the collector's own reports). Never blocks with
  //! drop_oldest; with block_when_full it may wait for room until stop().
  bool push_from_outside(std::vector<owned_record>& batch) { return push(batch); }

  //! The failures remembered since the last call, oldest first: (part, cause).
  std::deque<std::pair<std::string, std::string>> take_errors() {
    std::lock_guard lock(mu_);
    return std::exchange(errors_, {});
  }
  //! Records dropped because the queue was full (drop_oldest only).
  std::uint64_t dropped() const { return queue_.dropped(); }
  std::size_t queued() const { return queue_.size(); }

  Driver& driver() noexcept { return driver_; }
  const Driver& driver() const noexcept { return driver_; }

 private:
  void run(std::size_t lane) noexcept {
    // Every socket write of this thread is ours; a guard per request covers the rest.
    introspect::detail::block_sigpipe_in_this_thread();
    std::uint64_t seen = 0;  // wake() calls already acted on
    {
      std::lock_guard lock(mu_);
      seen = wake_gen_;
    }
    while (!stopping()) {
      std::chrono::milliseconds wait{0};
      try {
        if constexpr (laned_driver<Driver>)
          wait = driver_.step(*this, lane);
        else
          wait = driver_.step(*this);
      } catch (...) {
        wait = std::chrono::milliseconds{500};  // allocation failure: keep running
      }
      if (wait.count() > 0) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, wait, [&] { return stopping_ || wake_gen_ != seen; });
        seen = wake_gen_;
      }
    }
    std::lock_guard lock(mu_);
    --running_;
    exited_.notify_all();
  }

  bool push(std::vector<owned_record>& batch) override {
    return queue_.push(batch, [this] { return stopping(); });
  }
  void error(std::string_view part, std::string_view cause) override {
    std::lock_guard lock(mu_);
    if (errors_.size() >= 64) errors_.pop_front();  // bounded if never collected
    errors_.emplace_back(std::string{part}, std::string{cause});
  }
  [[nodiscard]] bool stopping() const override {
    std::lock_guard lock(mu_);
    return stopping_;
  }

  Driver driver_;
  handoff<FullPolicy> queue_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::condition_variable exited_;
  bool stopping_ = false;
  std::size_t running_ = 0;     // threads that have not left run()
  std::uint64_t wake_gen_ = 0;  // wake() calls so far
  std::deque<std::pair<std::string, std::string>> errors_;
  std::vector<field_view> scratch_;  // the collector's side only
  std::vector<std::thread> threads_;
};

}  // namespace introspect::inline v1::source
