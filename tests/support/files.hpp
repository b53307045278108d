#pragma once
// Small file and shell helpers every area's tests use: a file's whole content, a shell word.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

namespace ix_test {

//! The whole content of a file ("" when it is missing or unreadable).
inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

//! `v` as one word for /bin/sh: in single quotes, each ' written as '\''.
inline std::string sh_quote(std::string_view v) {
  std::string q = "'";
  for (char c : v) {
    if (c == '\'')
      q += "'\\''";
    else
      q += c;
  }
  return q + "'";
}

}  // namespace ix_test
