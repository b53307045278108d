#pragma once
//! What the etcd source produces: owned records (source::owned_record) that cross from its
//! thread to the collector.
#include <string_view>

#include <introspect/source/owned_record.hpp>

namespace introspect::inline v1::etcd {

//! The `source` of every record this source makes.
inline constexpr std::string_view source_name = "etcd";
//! The name of the records that open and close one prefix of a snapshot.
inline constexpr std::string_view snapshot_marker = "etcd.snapshot";

//! One record, owned so that it can wait in the hand-off queue.
using event = ::introspect::source::owned_record;

}  // namespace introspect::inline v1::etcd
