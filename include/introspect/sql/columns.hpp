#pragma once
//! The SQL shape of records, shared by the virtual tables (sql/vtab.hpp) and the loader
//! (sql/loader.hpp): one table per kind with fixed columns, one table per user struct with a
//! column per member. Members whose names clash with a fixed column or with each other (SQL
//! names are case-insensitive) get a `field_` prefix instead of failing (docs/sqlite.md).
#include <algorithm>
#include <cctype>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/kind.hpp>

namespace introspect::inline v1::sql {

//! The columns every struct table starts with, in order.
inline constexpr std::string_view struct_fixed_columns[] = {"ts", "ts_ns", "instance", "source"};

//! The columns of the table of kind `k` after ts, ts_ns, instance, source, name.
inline std::span<const std::string_view> kind_columns(record_kind k) noexcept {
  static constexpr std::string_view state[] = {"value", "is_table"};
  static constexpr std::string_view metric[] = {"type", "value", "count", "sum", "min",
                                                "max",  "p50",   "p90",   "p99"};
  static constexpr std::string_view notification[] = {"severity", "fields"};
  static constexpr std::string_view insight[] = {"severity", "value", "fields"};
  static constexpr std::string_view value_fields[] = {"value", "fields"};
  static constexpr std::string_view fields_only[] = {"fields"};
  switch (k) {
    case record_kind::state:
      return state;
    case record_kind::metric:
      return metric;
    case record_kind::notification:
      return notification;
    case record_kind::insight:
      return insight;
    case record_kind::record:
      return fields_only;
    case record_kind::snapshot:
    case record_kind::meta:
      return value_fields;
  }
  return fields_only;
}

namespace detail {
inline std::string lower(std::string_view s) {
  std::string l(s);
  for (auto& c : l) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return l;
}
}  // namespace detail

//! A user struct's table name: its record name made an SQL identifier, kept apart from the
//! kind tables (a struct called `metric` becomes `struct_metric`).
inline std::string struct_table(std::string_view name) {
  std::string t;
  for (char c : name) t += (std::isalnum(static_cast<unsigned char>(c)) || c == '_') ? c : '_';
  static const std::set<std::string> reserved = {
      "state", "metric", "notification", "insight", "snapshot", "meta", "record", "introspect"};
  if (t.empty() || std::isdigit(static_cast<unsigned char>(t[0])) ||
      reserved.count(detail::lower(t)))
    t = "struct_" + t;
  return t;
}

//! Column names for struct members `keys` (in order): a key equal, ignoring case, to a fixed
//! column, to `extra` (e.g. a hidden `stream` column) or to an earlier column gets `field_`
//! prefixes until it is unique. Returns one name per key.
inline std::vector<std::string> struct_member_columns(
    std::span<const std::string> keys, std::span<const std::string_view> extra = {}) {
  std::set<std::string> taken;
  for (auto c : struct_fixed_columns) taken.insert(std::string(c));
  for (auto c : extra) taken.insert(detail::lower(c));
  std::vector<std::string> out;
  out.reserve(keys.size());
  for (const auto& k : keys) {
    std::string c = k;
    while (taken.count(detail::lower(c))) c = "field_" + c;
    taken.insert(detail::lower(c));
    out.push_back(std::move(c));
  }
  return out;
}

//! `id` quoted as an SQL identifier.
inline std::string quote_id(std::string_view id) {
  std::string q = "\"";
  for (char c : id) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + '"';
}

}  // namespace introspect::inline v1::sql
