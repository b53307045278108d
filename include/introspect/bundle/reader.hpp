#pragma once
//! Reads a support bundle: its members are extracted into a directory the caller owns (the CLI
//! uses a private temporary directory removed at exit), checked against SHA256SUMS, and the
//! stores found under `stores/<k>/` are handed back as ordinary store directories. A damaged or
//! truncated bundle yields every member that came out whole, the part of the member it broke
//! in (readers treat a cut segment like a torn one), and one problem line per loss.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/bundle/detail/member_writer.hpp>
#include <introspect/bundle/json_spans.hpp>
#include <introspect/bundle/manifest.hpp>
#include <introspect/bundle/sha256.hpp>
#include <introspect/store/tooling.hpp>

#if defined(INTROSPECT_HAS_ZSTD)
#include <zstd.h>
#endif

namespace introspect::inline v1::bundle {

//! What extract_bundle found.
struct opened_bundle {
  std::vector<std::filesystem::path> stores;  //!< into/stores/<k>, in order of k
  std::vector<std::string> problems;          //!< "member: what is wrong", one per loss
  std::string manifest_json;                  //!< empty when the manifest did not come out
  std::uint64_t members = 0;
  //! problems[0, losses) are losses of the bundle itself (cut, damaged, unknown members); the
  //! rest name damage the stores had when they were bundled (the manifest's damaged lines).
  std::size_t losses = 0;
};

//! Whether `p` is a regular file that starts like a bundle: a tar header, or zstd, gzip or xz
//! compressed data (the compressed contents are checked when it is read).
inline bool looks_like_bundle(const std::filesystem::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
  store::unique_fd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return false;
  unsigned char b[512] = {};
  const auto n = store::pread_full(fd.get(), b, sizeof b, 0);
  if (n >= 4 && b[0] == 0x28 && b[1] == 0xB5 && b[2] == 0x2F && b[3] == 0xFD) return true;  // zstd
  if (n >= 2 && b[0] == 0x1F && b[1] == 0x8B) return true;                                  // gzip
  if (n >= 6 && std::memcmp(b,
                            "\xFD"
                            "7zXZ",
                            5) == 0)
    return true;                                             // xz
  return n >= 262 && std::memcmp(b + 257, "ustar", 5) == 0;  // tar
}

namespace detail {

// A member name we write ourselves: relative, no "..", no empty or control-character part.
inline bool safe_member_name(std::string_view n) {
  if (n.empty() || n.front() == '/' || n.size() > 4096) return false;
  std::size_t start = 0;
  for (;;) {
    const auto end = n.find('/', start);
    const auto part = n.substr(start, end == std::string_view::npos ? n.npos : end - start);
    if (part.empty() || part == "." || part == "..") return false;
    for (unsigned char c : part)
      if (c < 0x20 || c == 0x7F) return false;
    if (end == std::string_view::npos) return true;
    start = end + 1;
  }
}

inline void make_parents(const std::filesystem::path& p) {
  std::error_code ec;
  std::filesystem::create_directories(p.parent_path(), ec);
}

// libarchive's zstd filter drops what it decompressed in a read that meets the end of a cut
// frame, so a cut bundle smaller than one read (64 KiB) fails before its first member. This
// decompresses `file` with libzstd as far as its data goes into the tar `out`; returns what
// stopped it ("" at a clean end), or nullopt without libzstd (a build without
// introspect::zstd) or when the file cannot be read.
inline std::optional<std::string> unzstd_to(const std::filesystem::path& file,
                                            const std::filesystem::path& out) {
#if defined(INTROSPECT_HAS_ZSTD)
  store::unique_fd in(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  store::unique_fd o(
      ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!in || !o) return std::nullopt;
  std::unique_ptr<ZSTD_DStream, std::size_t (*)(ZSTD_DStream*)> ds(ZSTD_createDStream(),
                                                                   &ZSTD_freeDStream);
  if (!ds) return std::nullopt;
  std::vector<char> ibuf(ZSTD_DStreamInSize()), obuf(ZSTD_DStreamOutSize());
  std::size_t pending = 0;  // non-zero: a frame is not finished
  for (;;) {
    const auto n = ::read(in.get(), ibuf.data(), ibuf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return std::string{"read: "} + std::strerror(errno);
    if (n == 0) return pending ? std::string{"truncated input"} : std::string{};
    ZSTD_inBuffer ib{ibuf.data(), static_cast<std::size_t>(n), 0};
    while (ib.pos < ib.size) {
      ZSTD_outBuffer ob{obuf.data(), obuf.size(), 0};
      pending = ZSTD_decompressStream(ds.get(), &ob, &ib);
      if (ZSTD_isError(pending)) return std::string{ZSTD_getErrorName(pending)};
      if (ob.pos && ::write(o.get(), obuf.data(), ob.pos) != static_cast<ssize_t>(ob.pos))
        return std::string{"write: "} + std::strerror(errno);
    }
  }
#else
  (void)file, (void)out;
  return std::nullopt;
#endif
}

// A JSON string's text as the manifest writes it (append_json_string), unescaped.
inline std::string json_unescape(std::string_view s) {
  std::string o;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      o += s[i];
      continue;
    }
    const char c = s[++i];
    o += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
  }
  return o;
}

// The manifest's verify.damaged_lines as problems: a tiny-tier line that was not a record on the
// sender's machine is left out of the bundle, so it is known only from the manifest.
inline void damaged_line_problems(std::string_view manifest_json,
                                  std::vector<std::string>& problems) {
  std::vector<json_span> spans;
  if (manifest_json.empty() || !json_walk(manifest_json, spans)) return;
  std::map<std::size_t, damaged_line> at;  // by where the entry's object starts
  for (const auto& v : spans) {
    if (v.depth != 4) continue;
    auto& d = at[v.container];
    if (v.key == "member") d.member = json_unescape(v.text(manifest_json));
    if (v.key == "why") d.why = json_unescape(v.text(manifest_json));
    if (v.key == "line")
      d.line = std::strtoull(std::string{v.text(manifest_json)}.c_str(), nullptr, 10);
  }
  for (const auto& v : spans) {
    if (v.depth != 3 || v.parent_key != "damaged_lines") continue;
    const auto& d = at[v.begin];
    problems.push_back(
        fmt::format("{}:{}: not a record when it was bundled ({}): left out", d.member,
                    d.line, d.why));
  }
}

// The directories of extracted_bundle objects alive: removed at exit too, for a host that exits
// without closing what holds them (the sqlite3 shell, after an error). Never destroyed: an
// extracted_bundle may go after static destruction.
struct live_dirs {
  std::mutex m;
  std::set<std::string> dirs;
  static live_dirs& get() {
    static live_dirs* l = [] {
      auto* p = new live_dirs;
      std::atexit([] {
        auto& l = get();
        const std::lock_guard g(l.m);
        for (const auto& d : l.dirs) {
          std::error_code ec;
          std::filesystem::remove_all(d, ec);
        }
        l.dirs.clear();
      });
      return p;
    }();
    return *l;
  }
};

}  // namespace detail

//! Extracts `file` into the existing directory `into` (which should be empty and private).
//! Never throws for a damaged bundle: what is wrong is in `problems`. Throws bundle_error when
//! the file cannot be opened at all or is not a bundle.
inline opened_bundle extract_bundle(const std::filesystem::path& file,
                                    const std::filesystem::path& into) {
  namespace fs = std::filesystem;
  opened_bundle r;
  struct reader_guard {
    archive* a = archive_read_new();
    ~reader_guard() { archive_read_free(a); }
  } g;
  archive* a = g.a;
  archive_read_support_filter_all(a);
  archive_read_support_format_tar(a);
  // 64 KiB reads: a compressed bundle cut short still decompresses block by block up to the
  // cut (libarchive's zstd filter fails a read whose input ends early, so big reads lose more).
  if (archive_read_open_filename(a, file.c_str(), 64 << 10) != ARCHIVE_OK) {
    const std::string why = archive_error_string(a) ? archive_error_string(a) : "unreadable";
    // A cut zstd bundle smaller than one read: decompress what is there, then read that tar.
    const auto plain = into / ".bundle.tar";
    const auto cut = looks_like_bundle(file) ? detail::unzstd_to(file, plain) : std::nullopt;
    struct unlink_guard {
      std::filesystem::path p;
      ~unlink_guard() { ::unlink(p.c_str()); }
    } remove_plain{plain};
    archive_read_free(a);
    g.a = a = archive_read_new();
    archive_read_support_format_tar(a);
    if (!cut || archive_read_open_filename(a, plain.c_str(), 64 << 10) != ARCHIVE_OK)
      throw bundle_error(file.string() + ": damaged or truncated before its first member: " + why);
    if (!cut->empty())
      r.problems.push_back(
          fmt::format("the compressed data is damaged or cut short ({}): "
                      "reading what came out before that",
                      *cut));
  }
  std::map<std::string, std::string> got;  // member -> sha256
  std::string last = "(the start)";
  for (;;) {
    archive_entry* e = nullptr;
    const int rc = archive_read_next_header(a, &e);
    if (rc == ARCHIVE_EOF) break;
    if (rc < ARCHIVE_WARN) {
      r.problems.push_back(
          fmt::format("damaged or truncated after {} members (the last whole one: {}): {}",
                      r.members, last, archive_error_string(a)));
      break;
    }
    const std::string name = archive_entry_pathname(e) ? archive_entry_pathname(e) : "";
    if (archive_entry_filetype(e) == AE_IFDIR) continue;
    if (archive_entry_filetype(e) != AE_IFREG || !detail::safe_member_name(name)) {
      r.problems.push_back(fmt::format("{}: not a file this tool writes (skipped)", name));
      continue;
    }
    const bool ours = name.starts_with("stores/") || name == manifest_name || name == sums_name ||
                      name == verify_name;
    if (!ours) {
      r.problems.push_back(fmt::format("{}: unknown member (skipped)", name));
      continue;
    }
    const fs::path out = into / name;
    detail::make_parents(out);
    store::unique_fd fd(
        ::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640));
    if (!fd) {
      r.problems.push_back(
          fmt::format("{}: cannot write {}: {}", name, out.string(), std::strerror(errno)));
      continue;
    }
    sha256 h;
    std::string text;  // the manifest and the sums are kept
    const bool keep = name == manifest_name || name == sums_name;
    const auto want = archive_entry_size(e);
    std::int64_t have = 0;
    bool broken = false;
    // Block by block: a member cut short still gives every block before the cut.
    for (;;) {
      const void* block = nullptr;
      std::size_t n = 0;
      la_int64_t at = 0;
      const int drc = archive_read_data_block(a, &block, &n, &at);
      if (drc == ARCHIVE_EOF) break;
      if (drc < ARCHIVE_WARN) {
        r.problems.push_back(fmt::format("{}: cut short after {} of {} bytes: {}", name, have, want,
                                         archive_error_string(a)));
        broken = true;
        break;
      }
      h.update(block, n);
      if (keep) text.append(static_cast<const char*>(block), n);
      for (std::size_t done = 0; done < n;) {
        const auto w = ::pwrite(fd.get(), static_cast<const char*>(block) + done, n - done,
                                static_cast<off_t>(at) + static_cast<off_t>(done));
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) throw bundle_error(out.string() + ": " + std::strerror(errno));
        done += static_cast<std::size_t>(w);
      }
      have += static_cast<std::int64_t>(n);
    }
    if (broken) break;
    ++r.members;
    last = name;
    got[name] = h.hex();
    if (name == manifest_name) r.manifest_json = std::move(text);
    if (name == sums_name) {
      // "<64 hex>  <name>" per line (sha256sum's format).
      std::size_t at = 0;
      while (at < text.size()) {
        auto nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        const std::string_view line{text.data() + at, nl - at};
        if (line.size() > 66) {
          const std::string m{line.substr(66)};
          const auto it = got.find(m);
          if (it == got.end())
            r.problems.push_back(fmt::format("{}: missing from the bundle", m));
          else if (it->second != line.substr(0, 64))
            r.problems.push_back(
                fmt::format("{}: checksum mismatch (the bundle is damaged; its "
                            "damaged records are reported as they are read)",
                            m));
        }
        at = nl + 1;
      }
    }
  }
  if (!got.count(std::string{sums_name}))
    r.problems.push_back(
        fmt::format("no {}: the bundle is truncated (checksums and manifest are its last members); "
                    "reading the {} members that came out",
                    sums_name, r.members));
  r.losses = r.problems.size();
  detail::damaged_line_problems(r.manifest_json, r.problems);
  for (std::size_t k = 0;; ++k) {
    const auto d = into / "stores" / std::to_string(k);
    std::error_code ec;
    if (!fs::is_directory(d, ec)) break;
    r.stores.push_back(d);
  }
  return r;
}

//! A bundle extracted into a private directory (mode 0700, `$TMPDIR/introspect-bundle-*`) that
//! is removed with this object: for readers that live as long as a connection (the SQLite
//! extension); the CLI keeps its directories to the end of the process instead.
class extracted_bundle {
 public:
  //! Throws bundle_error naming `file` and the cause (missing, unreadable, not a bundle, no
  //! temporary directory); a damaged bundle is no error: see contents().problems.
  explicit extracted_bundle(const std::filesystem::path& file) {
    const char* tmpdir = std::getenv("TMPDIR");
    dir_ = (std::filesystem::path(tmpdir && *tmpdir ? tmpdir : "/tmp") / "introspect-bundle-XXXXXX")
               .string();
    if (!::mkdtemp(dir_.data()))
      throw bundle_error(file.string() + ": cannot make a temporary directory to read it in (" +
                         dir_ + "): " + std::strerror(errno) +
                         " (set TMPDIR to a writable directory)");
    {
      auto& live = detail::live_dirs::get();
      const std::lock_guard g(live.m);
      live.dirs.insert(dir_);
    }
    try {
      got_ = extract_bundle(file, dir_);
    } catch (...) {
      remove();
      throw;
    }
  }
  extracted_bundle(const extracted_bundle&) = delete;
  extracted_bundle& operator=(const extracted_bundle&) = delete;
  ~extracted_bundle() { remove(); }

  //! What came out: the store directories and one problem line per loss.
  const opened_bundle& contents() const noexcept { return got_; }
  //! The private directory the members were extracted into.
  const std::string& dir() const noexcept { return dir_; }

 private:
  void remove() noexcept {
    auto& live = detail::live_dirs::get();
    const std::lock_guard g(live.m);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    live.dirs.erase(dir_);
  }
  std::string dir_;
  opened_bundle got_;
};

}  // namespace introspect::inline v1::bundle
