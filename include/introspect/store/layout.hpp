#pragma once
// Directory listing of a store: what is ours (scopes, streams, segments, control files) and what
// is foreign. Foreign entries are reported, never touched.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <introspect/store/errors.hpp>
#include <introspect/store/frame.hpp>
#include <introspect/store/names.hpp>

namespace introspect::inline v1::store::detail {

namespace fs = std::filesystem;

struct segment_file {
  offset_t first = 0;
  fs::path log;
  fs::path idx;  // may not exist
};

inline bool is_tmp(const std::string& n) { return n.ends_with(tmp_suffix); }

// Segments sorted by first offset. Orphan indexes and temp files are ours and not reported.
inline std::vector<segment_file> list_segments(const fs::path& stream_dir,
                                               std::vector<foreign_file>* foreign = nullptr) {
  std::vector<segment_file> out;
  std::error_code ec;
  for (fs::directory_iterator it(stream_dir, ec), e; !ec && it != e; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (auto first = parse_segment_name(name, segment_log_suffix)) {
      if (it->is_regular_file(ec)) {
        out.push_back({*first, it->path(), stream_dir / segment_idx_name(*first)});
        continue;
      }
    } else if (parse_segment_name(name, segment_idx_suffix) || name == truncation_name ||
               is_tmp(name)) {
      continue;
    }
    if (foreign) foreign->push_back({it->path(), "unknown file in stream directory"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return out;
}

struct named_dir {
  std::string name;
  fs::path dir;
};

inline std::vector<named_dir> list_streams(const fs::path& scope_dir,
                                           std::vector<foreign_file>* foreign = nullptr) {
  std::vector<named_dir> out;
  std::error_code ec;
  for (fs::directory_iterator it(scope_dir, ec), e; !ec && it != e; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (name == scope_marker || name == lock_name || name == meta_dir) continue;
    if (it->is_directory(ec) && name_problem(name).empty()) {
      out.push_back({name, it->path()});
      continue;
    }
    if (foreign) foreign->push_back({it->path(), "unknown entry in scope directory"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

inline std::vector<named_dir> list_scopes(const fs::path& root,
                                          std::vector<foreign_file>* foreign = nullptr) {
  std::vector<named_dir> out;
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), e; !ec && it != e; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (it->is_directory(ec) && name_problem(name).empty() &&
        fs::exists(it->path() / scope_marker, ec)) {
      out.push_back({name, it->path()});
      continue;
    }
    if (foreign) foreign->push_back({it->path(), "not a scope of this store"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

inline std::vector<std::string> list_meta(const fs::path& scope_dir,
                                          std::vector<foreign_file>* foreign = nullptr) {
  std::vector<std::string> out;
  std::error_code ec;
  for (fs::directory_iterator it(scope_dir / meta_dir, ec), e; !ec && it != e; it.increment(ec)) {
    auto name = it->path().filename().string();
    if (is_tmp(name)) continue;
    if (it->is_regular_file(ec) && name_problem(name).empty()) {
      out.push_back(name);
      continue;
    }
    if (foreign) foreign->push_back({it->path(), "unknown entry in metadata directory"});
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace introspect::inline v1::store::detail
