#pragma once
//! base64 for the etcd gateway: the shared implementation.
#include <introspect/detail/base64.hpp>

namespace introspect::inline v1::etcd::detail {
using ::introspect::detail::base64_decode;
using ::introspect::detail::base64_encode;
}  // namespace introspect::inline v1::etcd::detail
