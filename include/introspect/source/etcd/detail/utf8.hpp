#pragma once
//! UTF-8 validation: etcd values are bytes, and a record's string value must survive the JSON
//! encoder (which replaces invalid sequences), so invalid ones also travel as base64.
#include <string_view>

#include <simdjson.h>

namespace introspect::inline v1::etcd::detail {

//! Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF):
//! simdjson's validator (SIMD, the one its parser trusts).
inline bool valid_utf8(std::string_view s) noexcept { return simdjson::validate_utf8(s); }

}  // namespace introspect::inline v1::etcd::detail
