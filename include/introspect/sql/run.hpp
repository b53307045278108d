#pragma once
//! Runs SQL statements and prints their rows as an aligned table (control characters escaped:
//! values come from the store), CSV or JSON lines.
#include <algorithm>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/format/json_escape.hpp>
#include <introspect/format/terminal_text.hpp>
#include <introspect/sql/sqlite_db.hpp>

namespace introspect::inline v1::sql {

//! How result rows are printed.
enum class row_format { table, csv, jsonl };

namespace detail {
inline std::string cell_text(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL:
      return {};
    case SQLITE_INTEGER:
      return std::to_string(sqlite3_column_int64(s, i));
    case SQLITE_FLOAT:
      return fmt::format("{}", sqlite3_column_double(s, i));
    default: {
      const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
      return t ? std::string(t, static_cast<std::size_t>(sqlite3_column_bytes(s, i)))
               : std::string{};
    }
  }
}

inline std::string cell_json(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_NULL:
      return "null";
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
      return cell_text(s, i);
    default: {
      std::string j;
      append_json_string(j, cell_text(s, i));
      return j;
    }
  }
}

inline std::string csv_cell(const std::string& c) {
  if (c.find_first_of(",\"\r\n") == std::string::npos) return c;
  std::string q = "\"";
  for (char ch : c) q += ch == '"' ? std::string("\"\"") : std::string(1, ch);
  return q + '"';
}
}  // namespace detail

//! Executes `query` and writes its rows to `out`; returns the number of rows. Throws sql_error.
inline std::size_t run_query(database& db, const std::string& query, row_format f, std::FILE* out) {
  auto st = db.prepare(query);
  const int n = st.columns();
  std::vector<std::string> names;
  for (int i = 0; i < n; ++i) names.emplace_back(st.column_name(i));
  std::vector<std::vector<std::string>> rows;  // the table format needs widths first
  std::size_t count = 0;
  if (f == row_format::csv) {
    std::string line;
    for (int i = 0; i < n; ++i) line += (i ? "," : "") + detail::csv_cell(names[i]);
    std::fprintf(out, "%s\n", line.c_str());
  }
  while (st.step()) {
    ++count;
    if (f == row_format::table) {
      auto& row = rows.emplace_back();
      for (int i = 0; i < n; ++i) row.push_back(terminal_safe(detail::cell_text(st.get(), i)));
    } else if (f == row_format::csv) {
      std::string line;
      for (int i = 0; i < n; ++i) {
        if (i) line += ',';
        line += detail::csv_cell(detail::cell_text(st.get(), i));
      }
      std::fprintf(out, "%s\n", line.c_str());
    } else {
      std::string line = "{";
      for (int i = 0; i < n; ++i) {
        if (i) line += ',';
        append_json_string(line, names[i]);
        line += ':' + detail::cell_json(st.get(), i);
      }
      std::fprintf(out, "%s}\n", line.c_str());
    }
  }
  if (f == row_format::table) {
    for (auto& h : names) h = terminal_safe(h);
    std::vector<std::size_t> w(names.size());
    for (std::size_t i = 0; i < names.size(); ++i) w[i] = names[i].size();
    for (const auto& r : rows)
      for (std::size_t i = 0; i < r.size(); ++i) w[i] = std::max(w[i], r[i].size());
    auto print = [&](const std::vector<std::string>& r) {
      std::string line;
      for (std::size_t i = 0; i < r.size(); ++i)
        line += fmt::format("{:<{}}", r[i], i + 1 < r.size() ? w[i] + 2 : 0);
      std::fprintf(out, "%s\n", line.c_str());
    };
    print(names);
    for (const auto& r : rows) print(r);
  }
  return count;
}

//! Runs every statement of `script` in turn (like the sqlite3 shell), printing the rows of
//! those that return some; returns the number of rows. Throws sql_error with SQLite's message.
//! When a statement names an unknown table, `add_tables` (if given) may create more tables
//! (returning true): that statement is then prepared once more.
inline std::size_t run_script(database& db, std::string_view script, row_format f, std::FILE* out,
                              const std::function<bool()>& add_tables = {}) {
  std::size_t rows = 0;
  const char* p = script.data();
  const char* end = p + script.size();
  bool retried = false;
  while (p < end) {
    sqlite3_stmt* raw = nullptr;
    const char* tail = nullptr;
    if (sqlite3_prepare_v2(db.get(), p, static_cast<int>(end - p), &raw, &tail) != SQLITE_OK) {
      const std::string msg = sqlite3_errmsg(db.get());
      if (!retried && add_tables && msg.rfind("no such table", 0) == 0) {
        retried = true;
        if (add_tables()) continue;
      }
      throw sql_error(msg);
    }
    const std::string_view one(p, static_cast<std::size_t>(tail - p));
    p = tail;
    if (!raw) continue;  // only whitespace or a comment left
    sqlite3_finalize(raw);
    rows += run_query(db, std::string(one), f, out);
  }
  return rows;
}

}  // namespace introspect::inline v1::sql
