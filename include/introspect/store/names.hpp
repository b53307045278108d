#pragma once
// Names become path components, so they are validated before they touch the file system.
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <introspect/store/errors.hpp>

namespace introspect::inline v1::store {

//! Handle of a stream opened by a writer (index into the writer's streams).
struct stream_id {
  std::uint32_t index = 0;
};

//! Longest scope, stream or metadata name accepted.
inline constexpr std::size_t max_name_length = 128;

//! Why `name` is not acceptable as a scope/stream/meta name, or an empty string when it is.
inline std::string name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  if (name.size() > max_name_length)
    return "is longer than " + std::to_string(max_name_length) + " bytes";
  // A leading dot is reserved for the store's own files (.lock, .meta, .truncation) and also
  // rules out "." and "..".
  if (name.front() == '.') return "starts with '.'";
  if (name.find("..") != std::string_view::npos) return "contains \"..\"";
  // Temp files of atomic replacement end so and are removed as leftovers when a writer opens.
  if (name.ends_with(".tmp")) return "ends with \".tmp\" (reserved for temporary files)";
  for (unsigned char c : name) {
    if (c == '/' || c == '\\') return "contains a path separator";
    if (c < 0x20 || c == 0x7F) return "contains a control character";
  }
  return {};
}

//! Throws name_error naming `what` ("scope", "stream", ...) and the reason.
inline void validate_name(std::string_view name, std::string_view what) {
  if (auto p = name_problem(name); !p.empty()) {
    std::string shown;
    for (unsigned char c : name.substr(0, 64)) {
      if (c < 0x20 || c == 0x7F)
        shown += '?';
      else
        shown += static_cast<char>(c);
    }
    throw name_error(std::string(what) + " name \"" + shown + "\" " + p);
  }
}

namespace detail {

inline constexpr std::string_view segment_prefix = "segment-";
inline constexpr std::string_view segment_log_suffix = ".log";
inline constexpr std::string_view segment_idx_suffix = ".idx";
inline constexpr std::size_t offset_digits = 20;

inline std::string segment_stem(std::uint64_t first_offset) {
  std::string digits = std::to_string(first_offset);
  return std::string(segment_prefix) + std::string(offset_digits - digits.size(), '0') + digits;
}
inline std::string segment_log_name(std::uint64_t first) {
  return segment_stem(first) + std::string(segment_log_suffix);
}
inline std::string segment_idx_name(std::uint64_t first) {
  return segment_stem(first) + std::string(segment_idx_suffix);
}

// Parses "segment-<20 digits><suffix>"; anything else is not ours.
inline std::optional<std::uint64_t> parse_segment_name(std::string_view name,
                                                       std::string_view suffix) {
  if (name.size() != segment_prefix.size() + offset_digits + suffix.size()) return std::nullopt;
  if (!name.starts_with(segment_prefix) || !name.ends_with(suffix)) return std::nullopt;
  auto digits = name.substr(segment_prefix.size(), offset_digits);
  for (char c : digits)
    if (c < '0' || c > '9') return std::nullopt;
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc{} || ptr != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// Reserved names inside a scope / stream directory.
inline constexpr std::string_view scope_marker = ".scope";
inline constexpr std::string_view lock_name = ".lock";
inline constexpr std::string_view meta_dir = ".meta";
inline constexpr std::string_view truncation_name = ".truncation";
// A second copy, so that one damaged file never brings truncated records back.
inline constexpr std::string_view truncation_copy_name = ".truncation.copy";
// The active segment's state at the last roll or clean close, for recovery and verify.
inline constexpr std::string_view active_name = ".active";
inline constexpr std::string_view tmp_suffix = ".tmp";

}  // namespace detail
}  // namespace introspect::inline v1::store
