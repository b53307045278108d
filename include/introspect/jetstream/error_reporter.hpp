#pragma once
//! jetstream::error_reporter: counts a forwarder's errors by cause and says each new one once,
//! to `on_error` when set, else to the process's error handler (core/error_handler.hpp, stderr by
//! default). Called from the worker and from libnats' threads (negative acknowledgments).
#include <array>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include <introspect/core/error_handler.hpp>
#include <introspect/jetstream/connection.hpp>
#include <introspect/jetstream/detail/nats.hpp>
#include <introspect/jetstream/stats.hpp>

namespace introspect::inline v1::jetstream {

//! Error counters and the repeated-message filter of one forwarder (see the file comment).
class error_reporter {
 public:
  //! `on_error` receives "introspect: jetstream [<scope>] <cause>: <text>"; without it the
  //! process handler receives the same line without "introspect: " (it adds that itself), and
  //! only when `report` is true.
  error_reporter(std::string scope, std::function<void(error_cause, std::string_view)> on_error,
                 bool report)
      : scope_(std::move(scope)), on_error_(std::move(on_error)), report_(report) {}

  //! Counts one error; says it unless it repeats the previous message.
  void fail(error_cause c, const std::string& text) {
    {
      std::lock_guard lk(mu_);
      ++counts_[static_cast<std::size_t>(c)];
      if (text == last_) return;  // report a repeated failure once
      last_ = text;
    }
    std::string msg = "jetstream [" + scope_ + "] ";
    msg += to_string(c);
    msg += ": ";
    msg += text;
    if (on_error_)
      on_error_(c, "introspect: " + msg);
    else if (report_)
      get_error_handler()(msg);
  }
  //! A failed libnats operation, its cause told by its status, JetStream code and text.
  void fail(const op_error& e) {
    fail(detail::classify(e.err.status, e.err.js_code, e.err.text), e.what + ": " + e.err.text);
  }

  //! Copies the counters and the last message into `s`.
  void fill(forwarder_stats& s) const {
    std::lock_guard lk(mu_);
    s.errors = counts_;
    s.last_error = last_;
  }

 private:
  std::string scope_;
  std::function<void(error_cause, std::string_view)> on_error_;
  bool report_;
  mutable std::mutex mu_;
  std::array<std::uint64_t, error_cause_count> counts_{};
  std::string last_;
};

}  // namespace introspect::inline v1::jetstream
