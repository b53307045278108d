#pragma once
//! The skeleton every network source is built on: one thread that owns all of the source's
//! blocking I/O, a stop that breaks off the request in flight, a bounded hand-off to the
//! collector's thread, and the failures waiting to be reported. A source is a Driver that only
//! does one unit of work per step() and knows how to interrupt() it; the skeleton does the rest.
//!
//! The collector (the engine's writer thread) must never wait on the network, and
//! cpp-httplib's requests block: collect() on the collector's side only moves what the thread
//! queued.
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
#include <chrono>
#include <concepts>
#include <condition_variable>
#include <cstddef>
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
//! source is being stopped. Only the source's thread calls it.
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

//! A driver does one unit of work per step() on the source's thread and returns how long to
//! wait before the next (zero: at once); interrupt() breaks off a step from any thread.
template <class D>
concept source_driver = requires(D& d, record_outbox& out) {
  { d.step(out) } -> std::same_as<std::chrono::milliseconds>;
  { d.interrupt() }
  noexcept;
};

//! One thread that runs `Driver::step()` until stopped, and the hand-off of its records.
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

  //! Starts the thread (again after stop()). False when it cannot be created. Never throws.
  bool start() noexcept {
    std::lock_guard lock(mu_);
    if (running_ || thread_.joinable()) return true;  // running, or stop() is still joining
    stopping_ = false;
    try {
      running_ = true;
      thread_ = std::thread([this] { run(); });
    } catch (...) {
      running_ = false;
      return false;
    }
    return true;
  }

  //! Stops the thread: the request in flight is broken off (repeatedly: an interrupt that
  //! lands between two requests is lost), so this returns promptly even while a watch is held
  //! open. Records already queued stay collectable.
  void stop() noexcept {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (!thread_.joinable() || thread_.get_id() == std::this_thread::get_id()) return;
    for (;;) {
      driver_.interrupt();
      std::unique_lock lock(mu_);
      if (exited_.wait_for(lock, std::chrono::milliseconds(20), [&] { return !running_; })) break;
    }
    thread_.join();
  }

  //! Cuts the thread's wait between two steps short (a snapshot asked for). Any thread.
  void wake() noexcept {
    {
      std::lock_guard lock(mu_);
      woken_ = true;
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
  void run() noexcept {
    // Every socket write of this thread is ours; a guard per request covers the rest.
    introspect::detail::block_sigpipe_in_this_thread();
    while (!stopping()) {
      std::chrono::milliseconds wait{0};
      try {
        wait = driver_.step(*this);
      } catch (...) {
        wait = std::chrono::milliseconds{500};  // allocation failure: keep running
      }
      if (wait.count() > 0) {
        std::unique_lock lock(mu_);
        cv_.wait_for(lock, wait, [&] { return stopping_ || woken_; });
        woken_ = false;
      }
    }
    std::lock_guard lock(mu_);
    running_ = false;
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
  bool running_ = false;
  bool woken_ = false;
  std::deque<std::pair<std::string, std::string>> errors_;
  std::vector<field_view> scratch_;  // the collector's side only
  std::thread thread_;
};

}  // namespace introspect::inline v1::source
