#pragma once
// Reading and tokenising small /proc-style text files without exceptions.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

namespace introspect::inline v1::source::detail {

//! Reads the whole file at `path` into `out` (reusing its capacity); on failure returns a cause.
inline std::optional<std::string> read_file(const std::string& path, std::string& out) {
  out.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "cannot open " + path + ": " + std::strerror(errno);
  // /proc files report size 0, so read in chunks until EOF.
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      return "cannot read " + path + ": " + std::strerror(err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
    if (out.size() > (std::size_t{16} << 20)) {  // a /proc file is never this large: refuse
      ::close(fd);
      return path + ": larger than 16 MiB";
    }
  }
  ::close(fd);
  return std::nullopt;
}

//! Splits off the next whitespace-separated token from `s` ("" at the end).
inline std::string_view next_token(std::string_view& s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
  std::size_t j = i;
  while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n') ++j;
  const auto tok = s.substr(i, j - i);
  s.remove_prefix(j);
  return tok;
}

//! Splits off the next line of `s` (without its newline).
inline std::string_view next_line(std::string_view& s) noexcept {
  const auto nl = s.find('\n');
  const auto line = s.substr(0, nl);
  s.remove_prefix(nl == std::string_view::npos ? s.size() : nl + 1);
  return line;
}

//! Parses a whole token as an unsigned integer.
inline std::optional<std::uint64_t> to_u64(std::string_view tok) noexcept {
  std::uint64_t v = 0;
  const auto* end = tok.data() + tok.size();
  const auto r = std::from_chars(tok.data(), end, v);
  if (tok.empty() || r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return v;
}

//! Parses a whole token as a floating-point number.
inline std::optional<double> to_double(std::string_view tok) noexcept {
  double v = 0;
  const auto* end = tok.data() + tok.size();
  const auto r = std::from_chars(tok.data(), end, v);
  if (tok.empty() || r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return v;
}

//! The value of "Key:   123 kB" in a /proc/meminfo or /proc/<pid>/status text, in bytes when a
//! "kB" unit follows.
inline std::optional<std::uint64_t> find_kv(std::string_view text, std::string_view key) noexcept {
  while (!text.empty()) {
    auto line = next_line(text);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      line.remove_prefix(key.size() + 1);
      const auto v = to_u64(next_token(line));
      if (!v) return std::nullopt;
      return next_token(line) == "kB" ? *v * 1024 : *v;
    }
  }
  return std::nullopt;
}

}  // namespace introspect::inline v1::source::detail
