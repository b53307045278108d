#pragma once
//! Runs one SQL statement and prints its rows as an aligned table, CSV or JSON lines.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/format/json_escape.hpp>
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
      for (int i = 0; i < n; ++i) row.push_back(detail::cell_text(st.get(), i));
    } else if (f == row_format::csv) {
      std::string line;
      for (int i = 0; i < n; ++i)
        line += (i ? "," : "") + detail::csv_cell(detail::cell_text(st.get(), i));
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

}  // namespace introspect::inline v1::sql
