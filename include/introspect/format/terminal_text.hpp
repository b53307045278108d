#pragma once
//! Text that is safe to print on a terminal: no byte of it can move the cursor, set a title or
//! start an escape sequence, whatever the input (file names, values from etcd or Kubernetes).
#include <cstdio>
#include <string>
#include <string_view>

#include "json_escape.hpp"

namespace introspect::inline v1 {

//! Appends `s` to `out` with every C0 control, DEL, C1 control (U+0080..U+009F, e.g. CSI
//! U+009B) and invalid UTF-8 byte written as a visible escape (`\n`, `\t`, `\x1b`, `\u009b`).
//! Valid printable UTF-8 passes unchanged; a backslash is doubled so the escape is unambiguous.
inline void append_terminal_safe(std::string& out, std::string_view s) {
  char buf[8];
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      if (c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    if (c < 0x80) {  // C0 or DEL
      switch (c) {
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        default:
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
      }
      ++i;
      continue;
    }
    const std::size_t n = detail::utf8_sequence_length(s, i);
    if (n == 0) {  // invalid UTF-8: a lone byte a terminal could take for a C1 control
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
      ++i;
      continue;
    }
    // U+0080..U+009F are encoded C2 80..C2 9F: C1 controls that some terminals obey.
    if (n == 2 && c == 0xC2 && static_cast<unsigned char>(s[i + 1]) <= 0x9F) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned char>(s[i + 1]));
      out += buf;
    } else {
      out.append(s.substr(i, n));
    }
    i += n;
  }
}

//! `s` made safe for a terminal (see append_terminal_safe).
inline std::string terminal_safe(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  append_terminal_safe(out, s);
  return out;
}

}  // namespace introspect::inline v1
