#pragma once
//! The source every record of the product's own calls carries (notify, state, metrics), beside
//! the collectors' ("process", "host", ...).
#include <string_view>

namespace introspect::inline v1 {

//! The `source` of the records the product's own calls make.
inline constexpr std::string_view product_source = "product";

}  // namespace introspect::inline v1
