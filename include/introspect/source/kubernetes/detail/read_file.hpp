#pragma once
//! Reads a small text file whole (tokens, certificates, kubeconfig), bounded in size.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

namespace introspect::inline v1::kubernetes::detail {

//! Reads `p` into `out`; on failure returns false and `error` names the file and the cause.
//! Files over `max_bytes` are refused: a kubeconfig or token is never that large.
inline bool read_file(const std::filesystem::path& p, std::string& out, std::string& error,
                      std::size_t max_bytes = 16u << 20) {
  std::FILE* f = std::fopen(p.c_str(), "rb");
  if (!f) {
    error = p.string() + ": " + std::strerror(errno);
    return false;
  }
  out.clear();
  char buf[8192];
  std::size_t n = 0;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out.append(buf, n);
    if (out.size() > max_bytes) {
      std::fclose(f);
      error = p.string() + ": larger than " + std::to_string(max_bytes) + " bytes";
      return false;
    }
  }
  const bool bad = std::ferror(f) != 0;
  std::fclose(f);
  if (bad) {
    error = p.string() + ": read error";
    return false;
  }
  return true;
}

//! The text without leading and trailing whitespace (token files often end with a newline).
inline std::string trimmed(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

}  // namespace introspect::inline v1::kubernetes::detail
