#pragma once
//! CSV cells as RFC 4180 says: a cell with a comma, quote, CR or LF is quoted, quotes doubled;
//! text cells are also kept from being read as formulas (append_csv_text).
#include <string>
#include <string_view>

namespace introspect::inline v1 {

//! Appends `cell` to `out`, quoted when needed.
inline void append_csv_cell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(cell);
    return;
  }
  out.push_back('"');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

//! Appends a text cell that may come from outside (names, string values): with `guard`, a cell
//! a spreadsheet would run as a formula (starting with = + - @, tab or CR) is written as text
//! with a leading apostrophe, quoted, as OWASP's "CSV injection" page recommends.
inline void append_csv_text(std::string& out, std::string_view cell, bool guard = true) {
  if (!guard || cell.empty() ||
      std::string_view{"=+-@\t\r"}.find(cell[0]) == std::string_view::npos) {
    append_csv_cell(out, cell);
    return;
  }
  out.append("\"'");
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

}  // namespace introspect::inline v1
