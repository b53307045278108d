#pragma once
//! The interactive side of `introspect sql STORE`: statements read from a stream (ended by `;`,
//! as in the sqlite3 shell) and the dot commands .tables, .schema [TABLE], .mode MODE, .help,
//! .quit. A prompt is shown only on a terminal; errors go to `err` and the shell goes on.
#include <cstdio>
#include <string>

#include <introspect/sql/run.hpp>

namespace introspect::inline v1::sql {

namespace detail {
inline bool read_line(std::FILE* in, std::string& line) {
  line.clear();
  int c;
  while ((c = std::fgetc(in)) != EOF && c != '\n') line += static_cast<char>(c);
  return c != EOF || !line.empty();
}

inline void dot_command(database& db, const std::string& line, row_format& mode, std::FILE* out,
                        std::FILE* err, bool& quit, bool& failed) {
  std::string cmd = line, arg;
  if (const auto sp = line.find_first_of(" \t"); sp != std::string::npos) {
    cmd = line.substr(0, sp);
    arg = line.substr(line.find_first_not_of(" \t", sp) == std::string::npos
                          ? line.size()
                          : line.find_first_not_of(" \t", sp));
    while (!arg.empty() && (arg.back() == ' ' || arg.back() == ';')) arg.pop_back();
  }
  // Tables of both schemas: the store's are temporary; a user may create others.
  const std::string all =
      "(SELECT name, sql, type FROM sqlite_temp_schema UNION ALL SELECT name, sql, type FROM "
      "sqlite_schema)";
  if (cmd == ".quit" || cmd == ".exit") {
    quit = true;
  } else if (cmd == ".tables") {
    run_query(db, "SELECT name AS \"table\" FROM " + all + " WHERE type='table' ORDER BY name",
              row_format::table, out);
  } else if (cmd == ".schema") {
    std::string q = "SELECT sql || ';' AS \"schema\" FROM " + all + " WHERE type='table'";
    if (!arg.empty()) {
      std::string lit = "'";
      for (char c : arg) lit += c == '\'' ? std::string("''") : std::string(1, c);
      q += " AND name = " + lit + "'";
    }
    run_query(db, q + " ORDER BY name",
              row_format::csv == mode ? row_format::csv : row_format::jsonl, out);
  } else if (cmd == ".mode") {
    if (arg == "table")
      mode = row_format::table;
    else if (arg == "csv")
      mode = row_format::csv;
    else if (arg == "jsonl" || arg == "json")
      mode = row_format::jsonl;
    else {
      std::fprintf(err, ".mode \"%s\": unknown mode (use table, csv or jsonl)\n",
                   terminal_safe(arg).c_str());
      failed = true;
    }
  } else if (cmd == ".help") {
    std::fputs(
        ".tables          list the tables (one per kind and per user struct)\n"
        ".schema [TABLE]  show the columns of the tables\n"
        ".mode MODE       table, csv or jsonl\n"
        ".quit            leave\n"
        "Statements end with ';', e.g. SELECT count(*) FROM metric;\n",
        out);
  } else {
    std::fprintf(err, "%s: unknown command (.help lists them)\n", terminal_safe(cmd).c_str());
    failed = true;
  }
}
}  // namespace detail

//! Reads statements and dot commands from `in` until its end or .quit; returns 0, or 1 when
//! some statement or command failed (each failure was reported on `err`).
inline int run_shell(database& db, std::FILE* in, std::FILE* out, std::FILE* err, bool prompt,
                     row_format mode = row_format::table) {
  std::string buf, line;
  bool quit = false, failed = false;
  while (!quit) {
    if (prompt) std::fputs(buf.empty() ? "introspect> " : "       ...> ", out), std::fflush(out);
    if (!detail::read_line(in, line)) break;
    if (buf.empty() && line.find_first_not_of(" \t") != std::string::npos &&
        line[line.find_first_not_of(" \t")] == '.') {
      try {
        detail::dot_command(db, line.substr(line.find_first_not_of(" \t")), mode, out, err, quit,
                            failed);
      } catch (const sql_error& e) {
        std::fprintf(err, "%s\n", terminal_safe(e.what()).c_str());
        failed = true;
      }
      continue;
    }
    buf += line;
    buf += '\n';
    if (!sqlite3_complete(buf.c_str())) continue;
    try {
      run_script(db, buf, mode, out);
    } catch (const sql_error& e) {
      std::fprintf(err, "error: %s\n", terminal_safe(e.what()).c_str());
      failed = true;
    }
    std::fflush(out);
    buf.clear();
  }
  if (buf.find_first_not_of(" \t\n") != std::string::npos) {
    std::fprintf(err, "error: incomplete statement at end of input (missing ';'?)\n");
    failed = true;
  }
  return failed ? 1 : 0;
}

}  // namespace introspect::inline v1::sql
