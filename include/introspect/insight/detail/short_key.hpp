#pragma once
//! Equality of two short strings (a rule's subject: a severity's name, a metric's), inline.
#include <string_view>

#include <introspect/core/same_bytes.hpp>

namespace introspect::inline v1::insight::detail {

// Subjects are short (a severity's name, a metric's): compared inline a word at a time, not
// through memcmp's call.
inline bool same_key(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && introspect::detail::same_bytes(a.data(), b.data(), a.size());
}

}  // namespace introspect::inline v1::insight::detail
