#pragma once
//! One place where introspect's own failures go (spdlog's set_error_handler): a store that
//! cannot be written, records lost at exit, a late configure(). The product never sees an
//! exception; by default each failure is one line on stderr.
//!
//! @code
//! introspect::set_error_handler([](std::string_view message) noexcept {
//!   product_log("introspection: {}", message);  // a product that owns its stderr
//! });
//! @endcode
#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <string_view>

namespace introspect::inline v1 {

//! Receives one failure message (without the "introspect: " prefix; one line, no newline).
//! A plain function pointer: the handler is called from the writer thread or from the product's
//! call that failed, so it must not throw; nothing is allocated to call it.
using error_handler = void (*)(std::string_view message) noexcept;

//! The default handler: "introspect: <message>" on stderr, one line.
inline void print_error(std::string_view message) noexcept {
  std::fprintf(stderr, "introspect: %.*s\n", static_cast<int>(message.size()), message.data());
}

//! A handler that drops every message (tests that provoke failures on purpose).
inline void ignore_errors(std::string_view) noexcept {}

namespace detail {
inline std::atomic<error_handler>& process_error_handler() noexcept {
  static std::atomic<error_handler> h{&print_error};
  return h;
}
}  // namespace detail

//! Sets the process-wide handler (nullptr restores print_error); returns the previous one.
//! A config's `on_error`, when set, takes precedence for that instance.
inline error_handler set_error_handler(error_handler h) noexcept {
  return detail::process_error_handler().exchange(h ? h : &print_error);
}

//! The process-wide handler.
inline error_handler get_error_handler() noexcept {
  return detail::process_error_handler().load(std::memory_order_acquire);
}

namespace detail {
//! Formats a message (printf-style, truncated at 1 KiB: an error path must not allocate) and
//! hands it to `h`, or to the process-wide handler when `h` is nullptr.
[[gnu::format(printf, 2, 3)]] inline void report_error(error_handler h, const char* fmt,
                                                       ...) noexcept {
  char buf[1024];
  va_list args;
  va_start(args, fmt);
  const int n = std::vsnprintf(buf, sizeof buf, fmt, args);
  va_end(args);
  if (n < 0) return;
  const auto len =
      static_cast<std::size_t>(n) < sizeof buf ? static_cast<std::size_t>(n) : sizeof buf - 1;
  (h ? h : get_error_handler())(std::string_view{buf, len});
}
}  // namespace detail

}  // namespace introspect::inline v1
