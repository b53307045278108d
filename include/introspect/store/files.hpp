#pragma once
//! The store's public file API for the modules built on it (JetStream forwarder, query, sinks):
//! what they need of the store's files without reaching into `store::detail`. Each function
//! keeps the store's own guarantees (atomic, checksummed metadata; fail-closed truncation).
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/frame.hpp>
#include <introspect/store/layout.hpp>
#include <introspect/store/manifest.hpp>
#include <introspect/store/meta.hpp>
#include <introspect/store/names.hpp>

namespace introspect::inline v1::store {

//! Bytes a frame occupies before its payload in the stream's offset space.
inline constexpr std::size_t frame_overhead = detail::frame_header_size;

//! Offset of the frame that follows the record at `offset` whose payload has `payload_bytes`.
constexpr offset_t next_frame_offset(offset_t offset, std::size_t payload_bytes) noexcept {
  return offset + frame_overhead + payload_bytes;
}

//! `mkdir -p` with the store's directory mode (0750); returns 0 or the errno of the failure.
inline int make_directories(const std::filesystem::path& dir) noexcept {
  return detail::make_dirs(dir);
}

//! A scope's named metadata blob (checksummed envelope); nullopt with `why` ("missing", or the
//! damage) when it cannot be used.
inline std::optional<std::vector<std::byte>> read_metadata(const std::filesystem::path& scope_dir,
                                                           std::string_view name,
                                                           std::string* why = nullptr) {
  return detail::read_meta(scope_dir, name, why);
}

//! Writes a scope's named metadata blob atomically and durably; throws store_error on failure.
inline void write_metadata(const std::filesystem::path& scope_dir, std::string_view name,
                           std::span<const std::byte> bytes) {
  detail::write_meta(scope_dir, name, bytes);
}

//! Where a stream is truncated; when neither truncation file is readable, a point that hides
//! everything (fail closed), with the damage in `why`.
inline truncation_point stream_truncation(const std::filesystem::path& stream_dir,
                                          std::string* why = nullptr) {
  return detail::load_truncation(stream_dir, why);
}

//! True if `dir` is a stream-store root: it holds at least one scope (a directory with the
//! scope marker).
inline bool holds_scopes(const std::filesystem::path& dir) {
  return !detail::list_scopes(dir).empty();
}

//! True if `dir` is one scope of a stream store (it holds the scope marker itself).
inline bool is_scope(const std::filesystem::path& dir) {
  std::error_code ec;
  return std::filesystem::exists(dir / std::string(detail::scope_marker), ec);
}

}  // namespace introspect::inline v1::store
