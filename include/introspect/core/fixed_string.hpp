#pragma once
//! fixed_string: a string literal as a template argument (C++20 class-type non-type template
//! parameter), so that a call site's constant text — a notification's message and attribute
//! keys — is known to the compiler: `ins.notify<"disk nearly full", "disk">(severity::warning,
//! disk)`.
#include <cstddef>
#include <string_view>

namespace introspect::inline v1 {

//! A string literal of N - 1 characters usable as a template argument.
template <std::size_t N>
struct fixed_string {
  char chars[N]{};  // public: a structural type, as a template argument must be

  consteval fixed_string(const char (&s)[N]) noexcept {  // NOLINT: implicit from a literal
    for (std::size_t i = 0; i < N; ++i) chars[i] = s[i];
  }
  //! The characters, without the terminating NUL.
  [[nodiscard]] constexpr std::string_view view() const noexcept { return {chars, N - 1}; }
  [[nodiscard]] static constexpr std::size_t size() noexcept { return N - 1; }
};

}  // namespace introspect::inline v1
