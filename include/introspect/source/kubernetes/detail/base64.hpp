#pragma once
//! base64 for kubeconfig's `*-data` fields: the shared implementation.
#include <introspect/detail/base64.hpp>

namespace introspect::inline v1::kubernetes::detail {
using ::introspect::detail::base64_decode;
}  // namespace introspect::inline v1::kubernetes::detail
