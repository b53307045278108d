#pragma once
//! Support bundles as STORE arguments of the `introspect` SQL tables (needs the bundle
//! component): a bundle (`introspect bundle`'s `.tar` or `.tar.zst`) is extracted with the CLI's
//! reader (bundle/reader.hpp) once per connection into a private directory removed when the
//! connection closes, and its stores are read like any store directory.
//!
//! A damaged or truncated bundle is an error naming the bundle and every loss, unless the table
//! asks for what is intact (`on_damage=read`): SQLite has no side channel a person reads (the
//! CLI's stderr), so a partial answer is given only when asked for.
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/bundle/reader.hpp>
#include <introspect/sql/table_spec.hpp>

namespace introspect::inline v1::sql {

//! Turns STORE arguments that are support bundles into the store directories extracted from
//! them; owned by one connection (module_context::resolve).
class bundle_stores {
 public:
  //! `on_problem(bundle, what)` hears each loss of a bundle the first time it is read with
  //! read_damaged (the extension logs it with sqlite3_log and counts it as damage).
  explicit bundle_stores(
      std::function<void(const std::string&, const std::string&)> on_problem = {})
      : on_problem_(std::move(on_problem)) {}

  //! The store directories `path` names: `path` itself unless it is a bundle. Throws
  //! table_error naming the path and the cause for a bundle that cannot be read, and, unless
  //! `read_damaged`, for a damaged or truncated one.
  std::vector<std::string> resolve(const std::string& path, bool read_damaged) {
    auto it = opened_.find(path);
    if (it == opened_.end()) {
      if (!bundle::looks_like_bundle(path)) {
        check_named_bundle(path);
        return {path};
      }
      std::unique_ptr<bundle::extracted_bundle> b;
      try {
        b = std::make_unique<bundle::extracted_bundle>(path);
      } catch (const bundle::bundle_error& e) {
        throw table_error(std::string{"bundle "} + e.what());
      }
      it = opened_.emplace(path, entry{std::move(b), false}).first;
    }
    auto& e = it->second;
    const auto& got = e.bundle->contents();
    // Damage the stores had when they were bundled is no loss of the bundle: it is reported
    // as readers report damage, like a stream store's damaged frames.
    if (got.losses && !read_damaged) {
      std::string msg = "bundle \"" + path + "\" is damaged or truncated: ";
      for (std::size_t i = 0; i < got.losses; ++i) msg += (i ? "; " : "") + got.problems[i];
      throw table_error(msg +
                        ". To read what is intact: CREATE VIRTUAL TABLE t USING introspect('" +
                        path + "', KIND, on_damage=read), or SELECT ... FROM introspect('" + path +
                        "') WHERE on_damage = 'read'");
    }
    if (got.stores.empty())
      throw table_error("bundle \"" + path + "\": no store could be read from it" +
                        (got.problems.empty() ? std::string{} : " (" + got.problems.front() + ")"));
    if (!e.reported && on_problem_)
      for (const auto& p : got.problems) on_problem_(path, p);
    e.reported = true;
    std::vector<std::string> out;
    for (const auto& s : got.stores) out.push_back(s.string());
    return out;
  }

  //! `text` with each extracted directory named as the CLI names it: `BUNDLE:stores/0/...`.
  std::string display(std::string text) const {
    for (const auto& [path, e] : opened_) {
      const auto& dir = e.bundle->dir();
      for (auto at = text.find(dir); at != std::string::npos; at = text.find(dir, at)) {
        const auto tail = at + dir.size() < text.size() && text[at + dir.size()] == '/' ? 1 : 0;
        text.replace(at, dir.size() + tail, path + ":");
        at += path.size() + 1;
      }
    }
    return text;
  }

 private:
  // A file named like a bundle that does not start like one: say why, rather than what a
  // JSON-lines reader would make of it.
  static void check_named_bundle(const std::string& path) {
    const std::string_view p = path;
    bool named = false;
    for (const char* ext : {".tar", ".tar.zst", ".tzst", ".tar.gz", ".tgz", ".tar.xz"})
      named |= p.ends_with(ext);
    struct stat st {};
    if (!named || ::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    store::unique_fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) throw table_error("bundle \"" + path + "\": cannot read it: " + std::strerror(errno));
    throw table_error("bundle \"" + path +
                      "\": not a bundle (it starts with neither a tar header nor zstd, gzip "
                      "or xz data)");
  }

  struct entry {
    std::unique_ptr<bundle::extracted_bundle> bundle;
    bool reported = false;
  };
  std::function<void(const std::string&, const std::string&)> on_problem_;
  std::map<std::string, entry> opened_;
};

//! Makes the tables of `ctx` read bundles: ctx.resolve goes through a bundle_stores owned by
//! `ctx` (so the extracted directories go when the connection closes). Returns it (for
//! display()); it lives as long as `ctx`.
inline bundle_stores& read_bundles(
    module_context& ctx, std::function<void(const std::string&, const std::string&)> on_problem) {
  auto b = std::make_shared<bundle_stores>(std::move(on_problem));
  ctx.resolve = [b](const std::string& path, bool read_damaged) {
    return b->resolve(path, read_damaged);
  };
  return *b;
}

}  // namespace introspect::inline v1::sql
