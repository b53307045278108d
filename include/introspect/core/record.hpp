#pragma once
//! Records: the logical unit every sink writes and every reader returns.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/kind.hpp>
#include <introspect/core/value.hpp>

namespace introspect::inline v1 {

//! Record flags; part of the on-disk format.
enum record_flags : std::uint8_t {
  flag_none = 0,
  flag_table = 1,  // a line of a periodic state-table snapshot, not a state change
};

//! A non-owning record, built on the stack by the recording path and handed to encoders.
struct record_view {
  std::int64_t ts_ns = 0;
  record_kind kind = record_kind::state;
  severity sev = severity::info;
  metric_type mtype = metric_type::none;
  std::uint8_t flags = flag_none;
  std::string_view source{};
  std::string_view name{};
  value_view val{};
  std::span<const field_view> fields{};
};

//! An owning record, as decoded by readers.
struct record {
  std::int64_t ts_ns = 0;
  record_kind kind = record_kind::state;
  severity sev = severity::info;
  metric_type mtype = metric_type::none;
  std::uint8_t flags = flag_none;
  std::string instance;
  std::string source;
  std::string name;
  value val;
  std::vector<field> fields;

  //! A field's value by key, or nullptr.
  const value* find_field(std::string_view key) const noexcept {
    for (const auto& f : fields)
      if (f.key == key) return &f.val;
    return nullptr;
  }
};

//! A view of an owning record; `fields` holds its field views (reused across calls).
inline record_view view_of(const record& r, std::vector<field_view>& fields) {
  fields.clear();
  for (const auto& f : r.fields) fields.push_back({f.key, to_view(f.val)});
  record_view v;
  v.ts_ns = r.ts_ns;
  v.kind = r.kind;
  v.sev = r.sev;
  v.mtype = r.mtype;
  v.flags = r.flags;
  v.source = r.source;
  v.name = r.name;
  v.val = to_view(r.val);
  v.fields = fields;
  return v;
}

}  // namespace introspect::inline v1
