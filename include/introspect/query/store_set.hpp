#pragma once
//! The STORE arguments of a command opened as one logical view: files and directories are
//! recognised (tiny-tier JSON lines, or a kind an opener knows, such as the stream store) and
//! every store's records merge into one time-ordered view.
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <introspect/query/glob.hpp>
#include <introspect/query/jsonl_store.hpp>
#include <introspect/query/merge_source.hpp>
#include <introspect/query/store_reader.hpp>

namespace introspect::inline v1 {

//! Recognises and opens one kind of store in a directory; nullptr if the directory is not one.
using store_opener = std::function<std::unique_ptr<store_reader>(const std::filesystem::path&)>;

//! A stream of one of the stores of a set.
struct stream_in_set {
  std::size_t store = 0;
  stream_desc desc;
};

//! Several stores read as one.
class store_set {
 public:
  //! Opens `args`; on failure returns false and sets `error` to a message naming the argument.
  //! `openers` are tried on each directory before the JSON-lines reader.
  bool open(const std::vector<std::string>& args, std::span<const store_opener> openers,
            std::string& error) {
    std::vector<std::filesystem::path> jsonl;
    for (const auto& a : args) {
      const std::filesystem::path p{a};
      std::error_code ec;
      const auto st = std::filesystem::status(p, ec);
      if (ec || !std::filesystem::exists(st)) {
        error = "STORE \"" + a + "\": no such file or directory";
        return false;
      }
      if (std::filesystem::is_directory(st)) {
        std::unique_ptr<store_reader> s;
        for (const auto& o : openers)
          if ((s = o(p))) break;
        if (s) {
          stores_.push_back(std::move(s));
          continue;
        }
        if (!has_jsonl_files(p)) {
          error = "STORE \"" + a +
                  "\": no introspect files in this directory (neither *.jsonl files nor a "
                  "stream store)";
          return false;
        }
        jsonl.push_back(p);
        dirs_.push_back(p);
      } else if (std::filesystem::is_regular_file(st)) {
        jsonl.push_back(p);
        files_.push_back(p);
      } else {
        error = "STORE \"" + a + "\": not a file or directory";
        return false;
      }
    }
    if (!jsonl.empty()) stores_.push_back(std::make_unique<jsonl_store>(jsonl));
    return true;
  }

  //! Adds a store opened elsewhere (a remote one, such as JetStream).
  void add(std::unique_ptr<store_reader> s) { stores_.push_back(std::move(s)); }

  //! Every stream of every store, optionally only those whose name or scope matches `glob`
  //! and whose scope matches `scope_glob`.
  std::vector<stream_in_set> streams(std::string_view glob = {},
                                     std::string_view scope_glob = {}) const {
    std::vector<stream_in_set> out;
    for (std::size_t i = 0; i < stores_.size(); ++i)
      for (auto& d : stores_[i]->streams())
        if ((glob.empty() || glob_match(glob, d.name) || glob_match(glob, d.scope)) &&
            (scope_glob.empty() || glob_match(scope_glob, d.scope)))
          out.push_back({i, std::move(d)});
    return out;
  }

  //! One time-ordered view of `selected` across stores.
  std::unique_ptr<record_source> open(const std::vector<stream_in_set>& selected,
                                      const read_hint& hint, damage_log& log) const {
    std::vector<std::unique_ptr<record_source>> inputs;
    for (std::size_t i = 0; i < stores_.size(); ++i)
      if (auto mine = of_store(i, selected); !mine.empty())
        inputs.push_back(stores_[i]->open(mine, hint, log));
    return merge_all(std::move(inputs));
  }

  //! The streams of `selected` that belong to store `i`.
  static std::vector<stream_desc> of_store(std::size_t i,
                                           const std::vector<stream_in_set>& selected) {
    std::vector<stream_desc> mine;
    for (const auto& s : selected)
      if (s.store == i) mine.push_back(s.desc);
    return mine;
  }

  const std::vector<std::unique_ptr<store_reader>>& stores() const noexcept { return stores_; }
  //! The JSON-lines directories and files given (tail --follow watches them).
  const std::vector<std::filesystem::path>& jsonl_dirs() const noexcept { return dirs_; }
  const std::vector<std::filesystem::path>& jsonl_files() const noexcept { return files_; }

 private:
  std::vector<std::unique_ptr<store_reader>> stores_;
  std::vector<std::filesystem::path> dirs_, files_;
};

}  // namespace introspect::inline v1
