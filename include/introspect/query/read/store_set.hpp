#pragma once
//! The STORE arguments of a command opened as one logical view: files and directories are
//! recognised (tiny-tier JSON lines, or a kind an opener knows, such as the stream store) and
//! every store's records merge into one time-ordered view.
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <span>
#include <string>
#include <system_error>
#include <vector>

#include <introspect/core/glob.hpp>
#include <introspect/query/read/jsonl_store.hpp>
#include <introspect/query/read/merge_cursor.hpp>
#include <introspect/query/read/store_reader.hpp>

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

namespace introspect::inline v1::query::read {

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
      // An unreadable store is said to be one (not "no introspect files here").
      if (const int err = readable(p, std::filesystem::is_directory(st))) {
        error = open_error(p, err);
        return false;
      }
      if (std::filesystem::is_directory(st)) {
        std::unique_ptr<store_reader> s;
        for (const auto& o : openers)
          if ((s = o(p))) break;
        if (s) {
          stores_.push_back(std::move(s));
          args_.push_back(a);
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
    if (!jsonl.empty()) {
      stores_.push_back(std::make_unique<jsonl_store>(jsonl));
      args_.emplace_back(jsonl.size() == 1 ? jsonl.front().string() : std::string{});
    }
    label_instances();
    return true;
  }

  //! What is appended to the instance of store `i`'s records ("@STORE"), or empty: set when two
  //! stores given hold an instance of the same name, which would otherwise merge into one.
  const std::string& instance_suffix(std::size_t i) const noexcept { return suffix_[i]; }

  //! "permission denied: PATH (errno text)", or "cannot read PATH: errno text".
  static std::string open_error(const std::filesystem::path& p, int err) {
    if (err == EACCES || err == EPERM)
      return "permission denied: " + p.string() + " (" + std::strerror(err) + ")";
    return "cannot read " + p.string() + ": " + std::strerror(err);
  }

  //! Adds a store opened elsewhere (a remote one, such as JetStream).
  void add(std::unique_ptr<store_reader> s) {
    stores_.push_back(std::move(s));
    args_.emplace_back();
    label_instances();
  }

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
  std::unique_ptr<record_cursor> open(const std::vector<stream_in_set>& selected,
                                      const read_hint& hint, damage_log& log) const {
    std::vector<std::unique_ptr<record_cursor>> inputs;
    for (std::size_t i = 0; i < stores_.size(); ++i)
      if (auto mine = of_store(i, selected); !mine.empty()) {
        auto src = stores_[i]->open(mine, hint, log);
        if (!suffix_[i].empty())
          src = std::make_unique<suffixed_cursor>(std::move(src), suffix_[i]);
        inputs.push_back(std::move(src));
      }
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
  // Records of one store with its suffix on their instance.
  class suffixed_cursor final : public record_cursor {
   public:
    suffixed_cursor(std::unique_ptr<record_cursor> in, std::string suffix)
        : in_(std::move(in)), suffix_(std::move(suffix)) {}
    bool next(record& r) override {
      if (!in_->next(r)) return false;
      r.instance += suffix_;
      return true;
    }

   private:
    std::unique_ptr<record_cursor> in_;
    std::string suffix_;
  };

  // Two stores holding one instance name: each store's records get "@ARG" on their instance.
  void label_instances() {
    suffix_.assign(stores_.size(), std::string{});
    if (stores_.size() < 2) return;
    std::map<std::string, std::size_t> seen;  // instance -> stores holding it
    for (const auto& st : stores_) {
      std::set<std::string> mine;
      for (const auto& d : st->streams()) mine.insert(d.scope);
      for (const auto& m : mine) ++seen[m];
    }
    bool clash = false;
    for (const auto& [k, n] : seen) clash = clash || n > 1;
    if (!clash) return;
    for (std::size_t i = 0; i < stores_.size(); ++i)
      if (!args_[i].empty()) suffix_[i] = "@" + args_[i];
  }

  // 0, or the errno of opening `p` (a directory is listed, a file opened) as a reader would.
  static int readable(const std::filesystem::path& p, bool dir) noexcept {
    if (dir) {
      DIR* d = ::opendir(p.c_str());
      if (!d) return errno;
      errno = 0;
      const bool ok = ::readdir(d) != nullptr || errno == 0;
      const int err = errno;
      ::closedir(d);
      return ok ? 0 : err;
    }
    const int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ::close(fd);
    return 0;
  }

  std::vector<std::unique_ptr<store_reader>> stores_;
  std::vector<std::string> args_;    // the argument each store came from ("" for remote ones)
  std::vector<std::string> suffix_;  // per store: appended to its records' instance
  std::vector<std::filesystem::path> dirs_, files_;
};

}  // namespace introspect::inline v1::query::read
