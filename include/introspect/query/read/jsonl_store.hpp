#pragma once
//! The tiny tier's store read back: `<instance>-<seq:08>.jsonl` files (see sink/jsonl_file.hpp),
//! given as files or as a directory; each instance's files are read in sequence order and
//! instances are merged by time.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <system_error>
#include <tuple>
#include <vector>

#include <introspect/core/line_reader.hpp>
#include <introspect/query/read/jsonl_parse.hpp>
#include <introspect/query/read/merge_cursor.hpp>
#include <introspect/query/read/reorder_cursor.hpp>
#include <introspect/query/read/store_reader.hpp>

namespace introspect::inline v1::query::read {

//! The instance and sequence a tiny-tier file name carries; seq is -1 for other names, whose
//! instance is then the file's stem.
struct jsonl_file_name {
  std::string instance;
  std::int64_t seq = -1;
};

inline jsonl_file_name parse_jsonl_file_name(std::string_view file) {
  std::string_view stem = file;
  if (stem.ends_with(".jsonl")) stem.remove_suffix(6);
  if (stem.size() > 9 && stem[stem.size() - 9] == '-') {
    std::int64_t v = 0;
    bool digits = true;
    for (char ch : stem.substr(stem.size() - 8)) {
      if (ch < '0' || ch > '9') {
        digits = false;
        break;
      }
      v = v * 10 + (ch - '0');
    }
    if (digits) return {std::string(stem.substr(0, stem.size() - 9)), v};
  }
  return {std::string(stem), -1};
}

//! Reads the files of one instance, in the order given, as one source. A malformed line is
//! reported as path:line with its reason and skipped; a last line without its '\n' is kept if
//! it is whole JSON, else reported as truncated.
class jsonl_cursor final : public record_cursor {
 public:
  jsonl_cursor(std::vector<stream_desc> files, const read_hint& hint, damage_log& log)
      : files_(std::move(files)), hint_(hint), log_(&log) {}

  bool next(record& out) override {
    for (;;) {
      if (!reader_) {
        if (index_ >= files_.size()) return false;
        reader_ = std::make_unique<line_reader>(files_[index_].path);
        if (reader_->error()) {
          log_->report(files_[index_].path, 0, 0,
                       std::string(reader_->error() == EACCES || reader_->error() == EPERM
                                       ? "permission denied: "
                                       : "cannot open: ") +
                           std::strerror(reader_->error()));
          close_file();
          continue;
        }
        file_instance_ = files_[index_].scope;
      }
      text_line line;
      bool last = false;
      if (!reader_->next(line)) {
        if (reader_->error())
          log_->report(files_[index_].path, 0, reader_->bytes_read(),
                       std::string("cannot read: ") + std::strerror(reader_->error()));
        if (!reader_->rest(line)) {
          close_file();
          continue;
        }
        last = true;
      }
      if (line.overlong) {
        log_->report(files_[index_].path, line.number, line.offset,
                     "line of " + std::to_string(line.skipped) + " bytes is longer than the " +
                         std::to_string(reader_->max_line()) + "-byte limit: skipped");
        continue;
      }
      if (!last && skippable(line.view())) continue;
      if (!parser_.parse(line.data, line.size, line.capacity, out, reason_)) {
        if (last)
          reason_ = reason_.starts_with("truncated")
                        ? "truncated last line (no newline at end of file)"
                        : reason_ + " (last line, no newline at end of file)";
        log_->report(files_[index_].path, line.number, line.offset, reason_);
        continue;
      }
      if (out.instance.empty()) out.instance = file_instance_;
      if (!hint_.wants(out.kind) || (!hint_.tables && (out.flags & flag_table))) continue;
      return true;
    }
  }

 private:
  // A line in the writer's own layout, {"ts":"<30>","kind":"<kind>",..., shows its kind (and
  // a table line its flag at the very end) without parsing: lines a query does not want are
  // skipped unparsed, which makes a narrow query several times faster. Such a line is then
  // not validated; verify wants every line and so validates all of them.
  bool skippable(std::string_view l) const noexcept {
    constexpr std::string_view sep = "\",\"kind\":\"";
    if (l.size() < 48 || !l.starts_with("{\"ts\":\"") || l.substr(37, sep.size()) != sep)
      return false;
    const auto rest = l.substr(47, 14);
    const auto q = rest.find('"');
    if (q == std::string_view::npos) return false;
    const auto k = parse_record_kind(rest.substr(0, q));
    if (!k) return false;
    if (!hint_.wants(*k)) return true;
    return !hint_.tables && l.ends_with(",\"table\":true}");
  }

  void close_file() {
    reader_.reset();
    ++index_;
  }

  std::vector<stream_desc> files_;
  read_hint hint_;
  damage_log* log_;
  std::size_t index_ = 0;
  std::unique_ptr<line_reader> reader_;
  std::string file_instance_;
  jsonl_record_parser parser_;
  std::string reason_;
};

//! True if `dir` holds at least one `*.jsonl` file.
inline bool has_jsonl_files(const std::filesystem::path& dir) {
  std::error_code ec;
  for (auto it = std::filesystem::directory_iterator(dir, ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    if (it->path().extension() == ".jsonl" && it->is_regular_file(ec)) return true;
  return false;
}

//! A tiny-tier store: any set of JSON-lines files (directories contribute their `*.jsonl`).
class jsonl_store final : public store_reader {
 public:
  //! `paths` are files or directories; a file listed twice is read once.
  explicit jsonl_store(const std::vector<std::filesystem::path>& paths) {
    std::vector<std::filesystem::path> files;
    for (const auto& p : paths) {
      std::error_code ec;
      if (std::filesystem::is_directory(p, ec)) {
        for (auto it = std::filesystem::directory_iterator(p, ec);
             !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
          if (it->path().extension() == ".jsonl" && it->is_regular_file(ec))
            files.push_back(it->path());
      } else {
        files.push_back(p);
      }
    }
    std::vector<std::tuple<std::string, std::string, std::int64_t, std::string, stream_desc>> keyed;
    std::vector<std::string> seen;
    for (const auto& f : files) {
      std::error_code ec;
      auto canon = std::filesystem::weakly_canonical(f, ec).string();
      if (ec) canon = f.string();
      if (std::find(seen.begin(), seen.end(), canon) != seen.end()) continue;
      seen.push_back(canon);
      auto fn = parse_jsonl_file_name(f.filename().string());
      stream_desc d;
      d.scope = fn.instance;
      d.name = f.filename().string();
      d.path = f.string();
      d.bytes = std::filesystem::file_size(f, ec);
      if (ec) d.bytes = 0;
      auto dir = std::filesystem::path(canon).parent_path().string();
      keyed.emplace_back(dir, fn.instance, fn.seq, d.name, std::move(d));
    }
    std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) {
      return std::tie(std::get<0>(a), std::get<1>(a), std::get<2>(a), std::get<3>(a)) <
             std::tie(std::get<0>(b), std::get<1>(b), std::get<2>(b), std::get<3>(b));
    });
    for (auto& k : keyed) {
      groups_.push_back(std::get<0>(k) + '\0' + std::get<1>(k));
      streams_.push_back(std::move(std::get<4>(k)));
    }
  }

  std::string_view format() const noexcept override { return "jsonl"; }
  std::vector<stream_desc> streams() const override { return streams_; }

  std::unique_ptr<record_cursor> open(const std::vector<stream_desc>& selected,
                                      const read_hint& hint, damage_log& log) const override {
    // Files of one instance (in one directory) are chained in sequence order; instances merge.
    std::vector<std::unique_ptr<record_cursor>> inputs;
    std::vector<stream_desc> chain;
    std::string group;
    auto flush = [&] {
      if (chain.empty()) return;
      inputs.push_back(std::make_unique<reorder_cursor>(
          std::make_unique<jsonl_cursor>(std::move(chain), hint, log)));
      chain.clear();
    };
    for (std::size_t i = 0; i < streams_.size(); ++i) {
      const bool wanted = std::any_of(selected.begin(), selected.end(), [&](const stream_desc& s) {
        return s.path == streams_[i].path;
      });
      if (!wanted) continue;
      if (groups_[i] != group) flush();
      group = groups_[i];
      chain.push_back(streams_[i]);
    }
    flush();
    return merge_all(std::move(inputs));
  }

 private:
  std::vector<stream_desc> streams_;
  std::vector<std::string> groups_;  // directory + instance of each stream
};

}  // namespace introspect::inline v1::query::read
