#pragma once
//! The forwarder's persisted cursors: per stream, how far JetStream has acknowledged. Kept as the
//! store metadata blob `<root>/<scope>/.meta/<name>` (default `jetstream`), so it is checksummed,
//! replaced atomically (temp, fsync, rename, fsync dir), never removed by retention or
//! truncation, and not a foreign file for `verify`.
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <introspect/store/files.hpp>

namespace introspect::inline v1::jetstream {

//! What is persisted for one stream.
struct stream_cursor {
  std::uint64_t acked_offset = 0;   //!< one past the last contiguously acknowledged record
  std::uint64_t acked_seq = 0;      //!< JetStream sequence of that record (0: unknown)
  std::uint64_t purged_offset = 0;  //!< JetStream was purged below this store offset
  std::int64_t purged_ts = std::numeric_limits<std::int64_t>::min();  //!< ... and this time
  bool operator==(const stream_cursor&) const = default;
};

//! Every stream's cursor, keyed by store stream name.
using cursor_map = std::map<std::string, stream_cursor, std::less<>>;

namespace detail {

inline constexpr std::string_view cursor_magic_line = "ixjs-cursor 1\n";

// One line per stream: "<acked_offset> <acked_seq> <purged_offset> <purged_ts> <stream>\n". The
// name goes last because it may contain spaces (never a newline: store names exclude control
// bytes).
inline std::string encode_cursors(const cursor_map& m) {
  std::string out(cursor_magic_line);
  for (auto& [name, c] : m) {
    out += std::to_string(c.acked_offset) + ' ' + std::to_string(c.acked_seq) + ' ' +
           std::to_string(c.purged_offset) + ' ' + std::to_string(c.purged_ts) + ' ' + name + '\n';
  }
  return out;
}

template <class T>
inline bool parse_num(std::string_view& s, T& v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p == s.data() + s.size() || *p != ' ') return false;
  s.remove_prefix(static_cast<std::size_t>(p - s.data()) + 1);
  return true;
}

inline std::optional<cursor_map> decode_cursors(std::string_view s) {
  if (!s.starts_with(cursor_magic_line)) return std::nullopt;
  s.remove_prefix(cursor_magic_line.size());
  cursor_map m;
  while (!s.empty()) {
    auto nl = s.find('\n');
    if (nl == std::string_view::npos) return std::nullopt;
    auto line = s.substr(0, nl);
    s.remove_prefix(nl + 1);
    stream_cursor c;
    if (!parse_num(line, c.acked_offset) || !parse_num(line, c.acked_seq) ||
        !parse_num(line, c.purged_offset) || !parse_num(line, c.purged_ts) || line.empty())
      return std::nullopt;
    m[std::string(line)] = c;
  }
  return m;
}

}  // namespace detail

//! Reads the cursors of `scope`; an empty map when none were written yet. Sets `why` (and
//! returns an empty map) when the blob exists but is damaged.
inline cursor_map load_cursors(const std::filesystem::path& scope_dir, std::string_view name,
                               std::string* why = nullptr) {
  std::string w;
  auto blob = store::read_metadata(scope_dir, name, &w);
  if (!blob) {
    if (why && w != "missing") *why = "cursor " + std::string(name) + ": " + w;
    return {};
  }
  auto m = detail::decode_cursors(
      std::string_view(reinterpret_cast<const char*>(blob->data()), blob->size()));
  if (!m) {
    if (why) *why = "cursor " + std::string(name) + ": unreadable content";
    return {};
  }
  return std::move(*m);
}

//! Writes the cursors atomically and durably; throws store::store_error on failure.
inline void save_cursors(const std::filesystem::path& scope_dir, std::string_view name,
                         const cursor_map& m) {
  const auto text = detail::encode_cursors(m);
  store::write_metadata(scope_dir, name, std::as_bytes(std::span(text.data(), text.size())));
}

}  // namespace introspect::inline v1::jetstream
