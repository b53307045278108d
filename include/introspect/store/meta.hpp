#pragma once
// Named metadata blobs per scope (<scope>/.meta/<name>): schemas, instance identity, the latest
// state table. They live outside every stream so retention and truncation can never drop them.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/errors.hpp>
#include <introspect/store/manifest.hpp>
#include <introspect/store/names.hpp>

namespace introspect::inline v1::store::detail {

inline std::optional<std::vector<std::byte>> read_meta(const std::filesystem::path& scope_dir,
                                                       std::string_view name,
                                                       std::string* why = nullptr) {
  if (!name_problem(name).empty()) return std::nullopt;
  std::vector<std::byte> buf;
  int err = 0;
  if (!read_file(scope_dir / meta_dir / std::string(name), buf, &err)) {
    if (why)
      *why = err == ENOENT ? std::string("missing")
                           : std::string("cannot read: ") + std::strerror(err);
    return std::nullopt;
  }
  std::string w;
  auto pl = open_envelope(meta_magic, buf, w);
  if (!pl) {
    if (why) *why = w;
    return std::nullopt;
  }
  return std::vector<std::byte>(pl->begin(), pl->end());
}

// Throws store_error: metadata is written off the hot path and losing it silently is worse.
inline void write_meta(const std::filesystem::path& scope_dir, std::string_view name,
                       std::span<const std::byte> bytes) {
  validate_name(name, "metadata");
  auto dir = scope_dir / meta_dir;
  if (int rc = make_own_dir(dir))
    throw store_error("cannot use " + dir.string() + ": " + dir_problem_text(rc));
  auto file = seal_envelope(meta_magic, bytes);
  if (int rc = atomic_write_file(dir / std::string(name), file))
    throw store_error("cannot write metadata " + std::string(name) + ": " + errno_text(rc));
}

}  // namespace introspect::inline v1::store::detail
