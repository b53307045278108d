#pragma once
//! Rotating JSON-lines files `<instance>-<seq:08>.jsonl`, N kept: the file layer under
//! jsonl_sink (sink/jsonl_file.hpp), which owns the encoding, the buffer and the state table.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <introspect/store/files.hpp>

namespace introspect::inline v1 {

//! Rotating JSON-lines files. Writes only whole lines; every file starts with a preamble the
//! owner supplies (a header and the state table), so any single file is self-contained.
class jsonl_file_writer {
 public:
  //! Files are `<dir>/<instance>-<seq>.jsonl`; a restart continues with the next sequence.
  jsonl_file_writer(std::filesystem::path dir, std::string instance, std::uint64_t file_bytes,
                    unsigned files_kept)
      : dir_(std::move(dir)),
        instance_(std::move(instance)),
        limit_(file_bytes),
        kept_(files_kept) {}
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
  const std::filesystem::path& current() const noexcept { return path_; }
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

  std::vector<std::pair<std::int64_t, std::filesystem::path>> existing() const {
    std::vector<std::pair<std::int64_t, std::filesystem::path>> out;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir_, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      auto seq = sequence_of(it->path().filename().native(), instance_);
      if (seq >= 0) out.emplace_back(seq, it->path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  template <class Preamble>
  int rotate(Preamble&& preamble) {
    std::error_code ec;
    // 0750 like the stream store's directories (the umask may make it stricter).
    if (int rc = store::make_directories(dir_)) return rc;
    auto files = existing();
    const std::uint64_t next = std::max<std::uint64_t>(
        seq_ + (fd_ >= 0 ? 1 : 0),
        files.empty() ? 1 : static_cast<std::uint64_t>(files.back().first) + 1);
    char name[32];
    auto n =
        std::snprintf(name, sizeof name, "-%08llu.jsonl", static_cast<unsigned long long>(next));
    auto path = dir_ / (instance_ + std::string(name, static_cast<std::size_t>(n)));
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
    files.emplace_back(static_cast<std::int64_t>(next), path_);
    while (files.size() > kept_) {  // keep the newest N, this one included
      std::filesystem::remove(files.front().second, ec);
      files.erase(files.begin());
    }
    std::string pre;
    preamble(pre);
    preamble_size_ = pre.size();
    if (int e = write_all(pre)) {  // a file without its header is not self-contained: retry anew
      ::close(fd_);
      fd_ = -1;
      std::filesystem::remove(path_, ec);
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

  std::filesystem::path dir_;
  std::string instance_;
  std::uint64_t limit_;
  unsigned kept_;
  int fd_ = -1;
  std::uint64_t seq_ = 0;
  std::uint64_t size_ = 0;
  std::uint64_t preamble_size_ = 0;
  std::filesystem::path path_;
};

}  // namespace introspect::inline v1
