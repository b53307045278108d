#pragma once
// Directory listing of a store: what is ours (scopes, streams, segments, control files) and what
// is foreign. Foreign entries are reported, never touched.
#include <dirent.h>
#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include <introspect/store/active_index.hpp>
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

enum class entry_type { file, dir, other };

struct dir_entry {
  std::string name;
  entry_type type = entry_type::other;  // symlinks are "other": never followed
};

// Lists `dir` without following symlinks; returns 0 or the errno of opendir/readdir.
inline int list_dir(const fs::path& dir, std::vector<dir_entry>& out) {
  DIR* d = sys::opendir(dir.c_str());
  if (!d) return errno;
  int err = 0;
  for (;;) {
    errno = 0;
    dirent* e = sys::readdir(d);
    if (!e) {
      err = errno;
      break;
    }
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    entry_type t = entry_type::other;
    unsigned char dt = e->d_type;
    if (dt == DT_UNKNOWN) {
      struct stat st {};
      if (::lstat((dir / name).c_str(), &st) == 0)
        dt = S_ISREG(st.st_mode) ? DT_REG : S_ISDIR(st.st_mode) ? DT_DIR : DT_LNK;
    }
    if (dt == DT_REG) t = entry_type::file;
    if (dt == DT_DIR) t = entry_type::dir;
    out.push_back({std::move(name), t});
  }
  ::closedir(d);
  return err;
}

inline void note_list_error(int err, const fs::path& dir, std::vector<read_error>* errors) {
  if (err && errors) errors->push_back({dir, err, "list"});
}

// Segments sorted by first offset. Orphan indexes and temp files are ours and not reported.
inline std::vector<segment_file> list_segments(const fs::path& stream_dir,
                                               std::vector<foreign_file>* foreign = nullptr,
                                               std::vector<read_error>* errors = nullptr) {
  std::vector<segment_file> out;
  std::vector<dir_entry> ents;
  note_list_error(list_dir(stream_dir, ents), stream_dir, errors);
  for (auto& e : ents) {
    auto& name = e.name;
    if (auto first = parse_segment_name(name, segment_log_suffix)) {
      if (e.type == entry_type::file) {
        out.push_back({*first, stream_dir / name, stream_dir / segment_idx_name(*first)});
        continue;
      }
    } else if ((parse_segment_name(name, segment_idx_suffix) ||
                parse_segment_name(name, segment_tix_suffix) || name == truncation_name ||
                name == truncation_copy_name || name == active_name || is_tmp(name)) &&
               e.type == entry_type::file) {
      continue;
    }
    if (foreign) foreign->push_back({stream_dir / name, "unknown file in stream directory"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.first < b.first; });
  return out;
}

struct named_dir {
  std::string name;
  fs::path dir;
};

inline std::vector<named_dir> list_streams(const fs::path& scope_dir,
                                           std::vector<foreign_file>* foreign = nullptr,
                                           std::vector<read_error>* errors = nullptr) {
  std::vector<named_dir> out;
  std::vector<dir_entry> ents;
  note_list_error(list_dir(scope_dir, ents), scope_dir, errors);
  for (auto& e : ents) {
    auto& name = e.name;
    if (name == scope_marker || name == lock_name || name == meta_dir) continue;
    if (e.type == entry_type::dir && name_problem(name).empty()) {
      out.push_back({name, scope_dir / name});
      continue;
    }
    if (foreign) foreign->push_back({scope_dir / name, "unknown entry in scope directory"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

// A directory without a scope marker that still holds stream directories with segments: a
// scope whose marker was lost, not a foreign directory (its data must not be hidden).
inline bool looks_like_scope(const fs::path& dir) {
  std::vector<dir_entry> ents;
  if (list_dir(dir, ents) != 0) return false;
  for (auto& e : ents) {
    if (e.type != entry_type::dir || !name_problem(e.name).empty()) continue;
    std::vector<dir_entry> inner;
    (void)list_dir(dir / e.name, inner);
    for (auto& f : inner)
      if (parse_segment_name(f.name, segment_log_suffix)) return true;
  }
  return false;
}

// Scopes: directories with a marker, and (reported in `unmarked`) those whose marker is gone.
inline std::vector<named_dir> list_scopes(const fs::path& root,
                                          std::vector<foreign_file>* foreign = nullptr,
                                          std::vector<read_error>* errors = nullptr,
                                          std::vector<fs::path>* unmarked = nullptr) {
  std::vector<named_dir> out;
  std::vector<dir_entry> ents;
  note_list_error(list_dir(root, ents), root, errors);
  for (auto& e : ents) {
    auto& name = e.name;
    auto p = root / name;
    struct stat st {};
    if (e.type == entry_type::dir && name_problem(name).empty()) {
      if (::lstat((p / scope_marker).c_str(), &st) == 0) {
        out.push_back({name, p});
        continue;
      }
      if (errno != ENOENT) {
        if (errors) errors->push_back({p / scope_marker, errno, "open"});
        out.push_back({name, p});
        continue;
      }
      if (looks_like_scope(p)) {
        if (unmarked) unmarked->push_back(p);
        out.push_back({name, p});
        continue;
      }
    }
    if (foreign) foreign->push_back({p, "not a scope of this store"});
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

inline std::vector<std::string> list_meta(const fs::path& scope_dir,
                                          std::vector<foreign_file>* foreign = nullptr,
                                          std::vector<read_error>* errors = nullptr) {
  std::vector<std::string> out;
  std::vector<dir_entry> ents;
  int err = list_dir(scope_dir / meta_dir, ents);
  if (err != ENOENT) note_list_error(err, scope_dir / meta_dir, errors);
  for (auto& e : ents) {
    auto& name = e.name;
    if (is_tmp(name)) continue;
    if (e.type == entry_type::file && name_problem(name).empty()) {
      out.push_back(name);
      continue;
    }
    if (foreign)
      foreign->push_back({scope_dir / meta_dir / name, "unknown entry in metadata directory"});
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace introspect::inline v1::store::detail
