#pragma once
//! One call that makes a store queryable on a connection: the `introspect` module, a temporary
//! virtual table per kind and per user struct, and `introspect_stats()` (rows visited by scans,
//! damage found) for tests and for checking that a query used the time index.
#include <sqlite3.h>

#include <string>
#include <vector>

#include <introspect/sql/vtab.hpp>

namespace introspect::inline v1::sql {

namespace detail {
// `s` as an SQL string literal.
inline std::string literal(std::string_view s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("''") : std::string(1, c);
  return q + '\'';
}

inline void stats_function(sqlite3_context* f, int, sqlite3_value**) {
  const auto* ctx = static_cast<const module_context*>(sqlite3_user_data(f));
  std::string j = "{\"rows_visited\":" + std::to_string(ctx->counters.rows_visited) +
                  ",\"rows_returned\":" + std::to_string(ctx->counters.rows_returned) +
                  ",\"damaged\":" + std::to_string(ctx->damage.count()) + "}";
  sqlite3_result_text(f, j.data(), static_cast<int>(j.size()), SQLITE_TRANSIENT);
}
}  // namespace detail

//! Registers the module and `introspect_stats()` on `db`; the context lives as long as `db`.
//! Returns the context (owned by the connection) or nullptr with `error` set.
inline module_context* install(sqlite3* db, std::unique_ptr<module_context> ctx,
                               std::string& error) {
  module_context* raw = ctx.get();
  if (register_module(db, std::move(ctx)) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return nullptr;
  }
  if (sqlite3_create_function_v2(db, "introspect_stats", 0, SQLITE_UTF8, raw,
                                 detail::stats_function, nullptr, nullptr, nullptr) != SQLITE_OK) {
    error = sqlite3_errmsg(db);
    return nullptr;
  }
  return raw;
}

//! Which tables create_tables_sql() creates: the struct tables cost a scan of the store's
//! `record` records (every frame of a single-stream store), so a caller may defer them.
enum class tables { all, kinds, structs };

//! The statements that create `schema`.state, .metric, ... and one table per user struct of
//! `stores` (named by struct_table()); `extra` are more module arguments (since=..., ...);
//! `read_damaged`: a damaged bundle gives what is intact (each table gets on_damage=read).
inline std::string create_tables_sql(module_context& ctx, const std::vector<std::string>& stores,
                                     std::vector<std::string> extra = {},
                                     std::string_view schema = "temp", tables which = tables::all,
                                     bool read_damaged = false) {
  if (read_damaged) extra.emplace_back("on_damage=read");
  std::string args;
  for (std::size_t i = 1; i < stores.size(); ++i) args += ", store=" + detail::literal(stores[i]);
  for (const auto& e : extra) args += ", " + e;
  const std::string path = detail::literal(stores.front());
  std::string sql;
  for (auto k : all_record_kinds) {
    if (which == tables::structs) break;
    sql += "CREATE VIRTUAL TABLE " + std::string(schema) + "." + std::string(to_string(k)) +
           " USING introspect(" + path + ", " + std::string(to_string(k)) + args + ");\n";
  }
  if (which == tables::kinds) return sql;
  for (const auto& s : ctx.structs(stores, read_damaged))
    sql += "CREATE VIRTUAL TABLE " + std::string(schema) + "." + quote_id(struct_table(s.name)) +
           " USING introspect(" + path + ", " + detail::literal("struct:" + s.name) + args + ");\n";
  return sql;
}

}  // namespace introspect::inline v1::sql
