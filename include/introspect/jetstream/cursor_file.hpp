#pragma once
//! The forwarder's persisted cursors: per stream, how far JetStream has acknowledged. Kept as the
//! store metadata blob `<root>/<scope>/.meta/<name>` (default `jetstream`), so it is checksummed,
//! replaced atomically (temp, fsync, rename, fsync dir), never removed by retention or
//! truncation, and not a foreign file for `verify`.
#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <introspect/store/files.hpp>
#include <introspect/store/reader.hpp>

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

//! For a teed store (one whose scope a forwarder publishes: it holds the cursor blob `name`):
//! the bytes of `stream` not yet acknowledged by JetStream as of the last checkpoint (at most
//! checkpoint_interval old while the forwarder runs, so an upper bound then). Records retention
//! removed before they were published are not counted. nullopt when the scope has no readable
//! cursor blob (not teed, or damaged: `verify` reports that).
inline std::optional<std::uint64_t> teed_lag_bytes(const std::filesystem::path& root,
                                                   const std::string& scope,
                                                   const std::string& stream,
                                                   std::string_view name = "jetstream") {
  if (!store::read_metadata(root / scope, name)) return std::nullopt;
  std::string why;
  const auto m = load_cursors(root / scope, name, &why);
  if (!why.empty()) return std::nullopt;
  const auto si = store::reader(root).info(scope, stream);
  const auto it = m.find(stream);
  const auto acked = std::max(it == m.end() ? 0 : it->second.acked_offset, si.first_offset);
  return si.end_offset > acked ? si.end_offset - acked : 0;
}

//! The forwarder's checkpoints: the cursors are written at most every `interval` and only when
//! they changed since the last write (never per record). Worker thread only.
class cursor_checkpoint {
 public:
  using clock = std::chrono::steady_clock;

  cursor_checkpoint(std::filesystem::path scope_dir, std::string name,
                    std::chrono::milliseconds interval)
      : dir_(std::move(scope_dir)), name_(std::move(name)), interval_(interval) {}

  //! Reads the persisted cursors (see load_cursors()); they are also the last written ones.
  const cursor_map& load(std::string* why) {
    persisted_ = load_cursors(dir_, name_, why);
    return persisted_;
  }
  //! The cursors as last read or written.
  const cursor_map& persisted() const noexcept { return persisted_; }

  //! When due (or `force`), `fill(map)` updates a copy of the persisted cursors and it is
  //! written if it changed. Returns true when written; throws store::store_error on failure.
  template <class Fill>
  bool save(bool force, Fill&& fill) {
    const auto now = clock::now();
    if (!force && now - last_ < interval_) return false;
    cursor_map m = persisted_;
    fill(m);
    last_ = now;
    if (m == persisted_) return false;
    save_cursors(dir_, name_, m);
    persisted_ = std::move(m);
    return true;
  }

 private:
  std::filesystem::path dir_;
  std::string name_;
  std::chrono::milliseconds interval_;
  cursor_map persisted_;
  clock::time_point last_{};
};

}  // namespace introspect::inline v1::jetstream
