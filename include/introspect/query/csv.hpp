#pragma once
//! CSV cells as RFC 4180 says: a cell with a comma, quote, CR or LF is quoted, quotes doubled.
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

}  // namespace introspect::inline v1
