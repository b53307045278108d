#pragma once
//! The readable name of a user struct, used as the `name` of its records.
#include <string_view>

namespace introspect::inline v1 {
namespace detail {

template <class T>
constexpr std::string_view pretty_type_name() noexcept {
  std::string_view p = __PRETTY_FUNCTION__;  // "... [with T = ns::Name; std::string_view = ...]"
  const auto start = p.find("T = ") + 4;
  auto end = p.find_first_of(";]", start);
  return p.substr(start, end - start);
}

// The last component of a qualified name, ignoring "::" inside template arguments.
constexpr std::string_view unqualified(std::string_view n) noexcept {
  int depth = 0;
  std::size_t cut = 0;
  for (std::size_t i = 0; i < n.size(); ++i) {
    if (n[i] == '<') ++depth;
    if (n[i] == '>') --depth;
    if (depth == 0 && n[i] == ':' && i + 1 < n.size() && n[i + 1] == ':') cut = i + 2;
  }
  return n.substr(cut);
}

}  // namespace detail

//! Customisation point: specialise to give a struct's records another name.
template <class T>
struct record_name {
  static constexpr std::string_view value = detail::unqualified(detail::pretty_type_name<T>());
};

}  // namespace introspect::inline v1
