#pragma once
//! scanned_record: a record read in place from a stream-store frame, for queries that need no
//! owning copy (aggregates): every string and value views into the frame's bytes, which stay
//! valid until the cursor moves on.
#include <string_view>

#include <introspect/core/record.hpp>

namespace introspect::inline v1::query::read {

//! A record_view plus the instance it belongs to; filters and aggregates take it like a record.
struct scanned_record : record_view {
  std::string_view instance;

  //! A field's value by key, or nullptr (the same lookup as record::find_field).
  const value_view* find_field(std::string_view key) const noexcept {
    for (const auto& f : fields)
      if (f.key == key) return &f.value;
    return nullptr;
  }
};

}  // namespace introspect::inline v1::query::read
