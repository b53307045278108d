#pragma once
// One independently failing piece of a source (a file, a syscall) with its own backoff.

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <string_view>

#include "introspect/source/backoff.hpp"
#include "introspect/source/collect_report.hpp"

namespace introspect::inline v1::source::detail {

//! Runs parts of a source, each behind its own backoff, and folds their outcomes into a report.
class part_runner {
 public:
  using clock = std::chrono::steady_clock;

  part_runner(clock::time_point now, collect_report& report) noexcept
      : now_(now), report_(report) {}

  //! Runs `fn() -> std::optional<std::string>` (a failure cause) if `b` allows an attempt now;
  //! reports a failure as `on_error(what, cause)`. Exceptions from `fn` count as failures.
  template <class Fn, class OnError>
  void run(backoff& b, std::string_view what, Fn&& fn, OnError& on_error) {
    if (!b.ready(now_)) {
      note_waiting(b);
      return;
    }
    ++due_;
    std::optional<std::string> cause;
    try {
      cause = fn();
    } catch (const std::exception& e) {
      cause = std::string("unexpected error: ") + e.what();
    } catch (...) {
      cause = std::string("unexpected error");
    }
    if (!cause) {
      b.succeeded();
      return;
    }
    b.failed(now_);
    ++report_.failed_parts;
    note_waiting(b);
    on_error(what, std::string_view{*cause});
  }

  //! Sets the report's status from the parts run so far.
  void finish() noexcept {
    if (due_ == 0)
      report_.status = collect_status::backing_off;
    else if (report_.failed_parts == 0)
      report_.status = collect_status::ok;
    else if (report_.failed_parts == due_)
      report_.status = collect_status::failed;
    else
      report_.status = collect_status::partial;
  }

 private:
  void note_waiting(const backoff& b) noexcept {
    if (b.next_attempt() < report_.next_attempt) report_.next_attempt = b.next_attempt();
  }

  clock::time_point now_;
  collect_report& report_;
  std::size_t due_ = 0;
};

}  // namespace introspect::inline v1::source::detail
