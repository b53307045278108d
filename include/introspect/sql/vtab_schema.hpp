#pragma once
//! The columns of each `introspect` virtual table (sql/vtab.hpp) and the CREATE TABLE statement
//! SQLite is given for it: kind tables, struct tables (columns.hpp names) and the table-valued
//! function's generic shape.
#include <string>
#include <string_view>
#include <vector>

#include <introspect/sql/columns.hpp>
#include <introspect/sql/table_spec.hpp>

namespace introspect::inline v1::sql::detail {

// What a column shows; `key` names the field of field-backed columns.
enum class col_id {
  ts,
  ts_ns,
  instance,
  source,
  name,
  kind,
  severity,
  type,
  value,
  is_table,
  flags,
  fields,
  field,
  stream,
  store,
  of_kind,
  on_damage
};
struct column {
  col_id id;
  std::string key;
};

inline col_id kind_col(std::string_view c) {
  if (c == "value") return col_id::value;
  if (c == "is_table") return col_id::is_table;
  if (c == "type") return col_id::type;
  if (c == "severity") return col_id::severity;
  if (c == "fields") return col_id::fields;
  return col_id::field;  // count, sum, min, max, p50, p90, p99: the metric's fields
}

// The CREATE TABLE statement SQLite is given, and the matching column list.
inline std::string declare(const table_spec& t, const std::vector<struct_shape>* structs,
                           std::vector<column>& cols) {
  std::string sql = "CREATE TABLE x(ts TEXT, ts_ns INTEGER, instance TEXT, source TEXT";
  cols = {{col_id::ts, {}}, {col_id::ts_ns, {}}, {col_id::instance, {}}, {col_id::source, {}}};
  auto add = [&](col_id id, std::string_view name, std::string_view type, std::string key = {}) {
    sql += ", " + quote_id(name) + (type.empty() ? "" : " ") + std::string(type);
    cols.push_back({id, std::move(key)});
  };
  if (t.shape == table_shape::structure) {
    std::vector<std::string> keys;
    if (structs)
      for (const auto& s : *structs)
        if (s.name == t.struct_name) keys = s.keys;
    static constexpr std::string_view hidden[] = {"stream"};
    const auto names = struct_member_columns(keys, hidden);
    for (std::size_t i = 0; i < keys.size(); ++i) add(col_id::field, names[i], "", keys[i]);
  } else if (t.shape == table_shape::kind) {
    add(col_id::name, "name", "TEXT");
    for (auto c : kind_columns(t.kind)) {
      const auto id = kind_col(c);
      add(id, c,
          id == col_id::is_table                         ? "INTEGER"
          : (id == col_id::value || id == col_id::field) ? ""
                                                         : "TEXT",
          id == col_id::field ? std::string(c) : std::string{});
    }
  } else {
    add(col_id::name, "name", "TEXT");
    add(col_id::kind, "kind", "TEXT");
    add(col_id::severity, "severity", "TEXT");
    add(col_id::type, "type", "TEXT");
    add(col_id::value, "value", "");
    add(col_id::flags, "flags", "INTEGER");
    add(col_id::fields, "fields", "TEXT");
    add(col_id::store, "store", "TEXT HIDDEN");
    add(col_id::of_kind, "of_kind", "TEXT HIDDEN");
  }
  add(col_id::stream, "stream", "TEXT HIDDEN");
  // The table-valued function's fourth argument: 'read' gives what is intact of a damaged bundle.
  if (t.shape == table_shape::any) add(col_id::on_damage, "on_damage", "TEXT HIDDEN");
  return sql + ")";
}

}  // namespace introspect::inline v1::sql::detail
