#pragma once
//! Rotating JSON-lines files `<instance>-<seq:08>.jsonl`, N kept: the file layer under
//! jsonl_sink (sink/jsonl_file.hpp), which owns the encoding, the buffer and the state table.
//! POSIX calls on plain strings, no std::filesystem: the tiny tier's whole text budget is
//! 64 KiB, and a product that links only it must not pay for path algebra.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace introspect::inline v1 {

//! Rotating JSON-lines files. Writes only whole lines; every file starts with a preamble the
//! owner supplies (a header and the state table), so any single file is self-contained.
class jsonl_file_writer {
 public:
  //! Files are `<dir>/<instance>-<seq>.jsonl`; a restart continues with the next sequence.
  jsonl_file_writer(std::string dir, std::string instance, std::uint64_t file_bytes,
                    unsigned files_kept)
      : dir_(std::move(dir)),
        instance_(std::move(instance)),
        limit_(file_bytes),
        kept_(files_kept) {
    if (dir_.empty()) dir_ = ".";
  }
  jsonl_file_writer(const jsonl_file_writer&) = delete;
  jsonl_file_writer& operator=(const jsonl_file_writer&) = delete;
  ~jsonl_file_writer() {
    if (fd_ >= 0) ::close(fd_);
  }

  //! Writes whole lines, rotating at line boundaries. `preamble(std::string&)` appends the
  //! first lines of a new file. Returns 0 on success or the errno of the failure; on failure
  //! nothing partial stays in the file and `lines` can be retried later.
  template <class Preamble>
  int write(std::string_view lines, Preamble&& preamble) {
    while (!lines.empty()) {
      if (fd_ < 0 || (size_ > preamble_size_ && size_ + first_line(lines) > limit_)) {
        if (int e = rotate(preamble)) return e;
      }
      std::size_t take = fit(lines);
      if (int e = write_all(lines.substr(0, take))) return e;
      lines.remove_prefix(take);
    }
    return 0;
  }

  //! The file being written, empty before the first write.
  const std::string& current() const noexcept { return path_; }
  std::uint64_t sequence() const noexcept { return seq_; }

  //! Parses the sequence of a file name of this instance, or returns -1.
  static std::int64_t sequence_of(std::string_view file, std::string_view instance) noexcept {
    if (file.size() != instance.size() + 1 + 8 + 6 || !file.starts_with(instance) ||
        file[instance.size()] != '-' || !file.ends_with(".jsonl"))
      return -1;
    std::int64_t v = 0;
    auto digits = file.substr(instance.size() + 1, 8);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
    return ec == std::errc{} && p == digits.data() + digits.size() ? v : -1;
  }

 private:
  static std::size_t first_line(std::string_view s) noexcept {
    auto nl = s.find('\n');
    return nl == std::string_view::npos ? s.size() : nl + 1;
  }

  // The longest prefix of whole lines that fits the current file (at least one line).
  std::size_t fit(std::string_view s) const noexcept {
    const std::uint64_t room = limit_ > size_ ? limit_ - size_ : 0;
    if (s.size() <= room) return s.size();
    auto cut = s.rfind('\n', room ? room - 1 : 0);
    if (cut == std::string_view::npos || cut + 1 > room) return first_line(s);
    return cut + 1;
  }

  // `mkdir -p` with the stream store's directory mode (0750; the umask may make it stricter).
  static int make_dirs(const std::string& dir) noexcept {
    struct stat st {};
    if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode) ? 0 : ENOTDIR;
    std::string part;
    part.reserve(dir.size());
    for (std::size_t i = 0; i <= dir.size(); ++i) {
      if (i == dir.size() || (dir[i] == '/' && i > 0)) {
        if (::mkdir(part.c_str(), 0750) != 0 && errno != EEXIST) return errno;
      }
      if (i < dir.size()) part.push_back(dir[i]);
    }
    return 0;
  }

  std::string path_of(std::uint64_t seq) const {
    char name[32];
    name[0] = '-';
    char* p = name + 1;
    auto r = std::to_chars(p, name + sizeof name, seq);
    const auto digits = static_cast<std::size_t>(r.ptr - p);
    if (digits < 8) {  // zero-padded to 8 digits, as "%08llu" would
      std::memmove(p + (8 - digits), p, digits);
      std::memset(p, '0', 8 - digits);
      r.ptr = p + 8;
    }
    std::memcpy(r.ptr, ".jsonl", 6);
    std::string path = dir_;
    if (path.back() != '/') path.push_back('/');
    path += instance_;
    path.append(name, static_cast<std::size_t>(r.ptr + 6 - name));
    return path;
  }

  // The sequences of this instance's files in the directory, ascending.
  std::vector<std::int64_t> existing() const {
    std::vector<std::int64_t> out;
    if (DIR* d = ::opendir(dir_.c_str())) {
      while (const dirent* e = ::readdir(d)) {
        auto seq = sequence_of(e->d_name, instance_);
        if (seq >= 0) out.push_back(seq);
      }
      ::closedir(d);
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  template <class Preamble>
  int rotate(Preamble&& preamble) {
    if (int rc = make_dirs(dir_)) return rc;
    auto files = existing();
    const std::uint64_t next =
        std::max<std::uint64_t>(seq_ + (fd_ >= 0 ? 1 : 0),
                                files.empty() ? 1 : static_cast<std::uint64_t>(files.back()) + 1);
    auto path = path_of(next);
    // A new file every time: O_EXCL | O_NOFOLLOW so that a symlink or file planted at the next
    // name is never written through (the open fails; the next rotation picks a later number).
    int fd =
        ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd < 0) return errno;
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
    seq_ = next;
    path_ = std::move(path);
    size_ = 0;
    files.push_back(static_cast<std::int64_t>(next));
    // Keep the newest N, this one included.
    const std::size_t remove = files.size() > kept_ ? files.size() - kept_ : 0;
    for (std::size_t i = 0; i < remove; ++i)
      ::unlink(path_of(static_cast<std::uint64_t>(files[i])).c_str());
    std::string pre;
    preamble(pre);
    preamble_size_ = pre.size();
    if (int e = write_all(pre)) {  // a file without its header is not self-contained: retry anew
      ::close(fd_);
      fd_ = -1;
      ::unlink(path_.c_str());
      return e;
    }
    return 0;
  }

  // Writes all of `s` or nothing: a short write is cut back so no partial line remains.
  int write_all(std::string_view s) {
    const std::uint64_t before = size_;
    std::size_t done = 0;
    while (done < s.size()) {
      ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        int e = n < 0 ? errno : EIO;
        if (done && ::ftruncate(fd_, static_cast<off_t>(before)) != 0) { /* keep e */
        }
        return e;
      }
      done += static_cast<std::size_t>(n);
    }
    size_ += s.size();
    return 0;
  }

  std::string dir_;
  std::string instance_;
  std::uint64_t limit_;
  unsigned kept_;
  int fd_ = -1;
  std::uint64_t seq_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t preamble_size_ = 0;
  std::string path_;
};

}  // namespace introspect::inline v1
