#pragma once
//! Reads a file line by line in large chunks into a buffer padded for simdjson; can be polled
//! again after the end of the file to see lines a live writer appends (tail --follow).
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <simdjson.h>

namespace introspect::inline v1 {

//! One line of a file, without its '\n'. `capacity` bytes are readable from `data`.
struct text_line {
  const char* data = nullptr;
  std::size_t size = 0;
  std::size_t capacity = 0;
  std::uint64_t number = 0;  //!< 1-based
  std::uint64_t offset = 0;  //!< of the line's first byte in the file
  //! The line was longer than the reader's limit: its bytes were skipped (`skipped` of them,
  //! `size` is 0), so that a file without newlines cannot make the reader hold all of it.
  bool overlong = false;
  std::uint64_t skipped = 0;
  std::string_view view() const noexcept { return {data, size}; }
};

//! A chunked reader of whole lines; a line longer than the buffer grows it, up to `max_line`
//! bytes; a longer line is skipped to its end and returned as `overlong` (a 512 MB file without
//! a newline took 1.58 GB of memory before the limit).
class line_reader {
 public:
  //! The default longest line: far above any record the writers make (a record is < 1 MiB).
  static constexpr std::size_t default_max_line = std::size_t{16} << 20;

  explicit line_reader(const std::filesystem::path& path, std::size_t chunk = 1u << 20,
                       std::size_t max_line = default_max_line)
      : buf_(chunk + simdjson::SIMDJSON_PADDING), max_line_(max_line) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) error_ = errno;
  }
  line_reader(const line_reader&) = delete;
  line_reader& operator=(const line_reader&) = delete;
  ~line_reader() {
    if (fd_ >= 0) ::close(fd_);
  }

  //! 0, or the errno of a failed open or read.
  int error() const noexcept { return error_; }

  //! The next whole ('\n'-terminated) line; false when none is available now.
  bool next(text_line& out) {
    for (;;) {
      if (auto* nl =
              static_cast<const char*>(std::memchr(buf_.data() + begin_, '\n', end_ - begin_))) {
        const auto len = static_cast<std::size_t>(nl - (buf_.data() + begin_));
        if (skipping_) {
          end_skip(out, len + 1);
          return true;
        }
        take(out, len, 1);
        return true;
      }
      if (skipping_ || end_ - begin_ >= max_line_) {
        // Too long: drop what is buffered, count it, and look for the line's end.
        skipping_ = true;
        skipped_ += end_ - begin_;
        begin_ = end_;
      }
      if (!fill()) {
        if (skipping_ && error_ == 0 && skipped_ > 0) {
          end_skip(out, 0);  // the file ends inside the long line
          return true;
        }
        return false;
      }
    }
  }

  //! The longest line returned whole.
  std::size_t max_line() const noexcept { return max_line_; }

  //! After next() returned false: the bytes after the last '\n' (a line cut short by a crash,
  //! or one a live writer is still writing). Consumes them; false if there are none.
  bool rest(text_line& out) {
    if (begin_ == end_) return false;
    take(out, end_ - begin_, 0);
    return true;
  }

  //! Bytes read from the file so far.
  std::uint64_t bytes_read() const noexcept { return offset_ + (end_ - begin_); }

 private:
  void take(text_line& out, std::size_t len, std::size_t sep) {
    out.data = buf_.data() + begin_;
    out.size = len;
    out.capacity = buf_.size() - begin_;
    out.number = ++line_no_;
    out.offset = offset_;
    begin_ += len + sep;
    offset_ += len + sep;
  }

  // Ends a skipped overlong line whose last `tail` bytes (with its '\n') are buffered.
  void end_skip(text_line& out, std::size_t tail) {
    skipped_ += tail;
    out = text_line{};
    out.data = buf_.data() + begin_;
    out.capacity = buf_.size() - begin_;
    out.number = ++line_no_;
    out.offset = offset_;
    out.overlong = true;
    out.skipped = skipped_;
    begin_ += tail;
    offset_ += skipped_;
    skipped_ = 0;
    skipping_ = false;
  }

  // Reads more bytes after the partial line kept at the front; false at the end (for now).
  bool fill() {
    if (fd_ < 0) return false;
    const std::size_t cap = buf_.size() - simdjson::SIMDJSON_PADDING;
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == cap) buf_.resize(std::min(cap * 2, max_line_ + cap) + simdjson::SIMDJSON_PADDING);
    const std::size_t room = buf_.size() - simdjson::SIMDJSON_PADDING - end_;
    for (;;) {
      const ssize_t n = ::read(fd_, buf_.data() + end_, room);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error_ = errno;
        return false;
      }
      if (n == 0) return false;
      end_ += static_cast<std::size_t>(n);
      return true;
    }
  }

  std::vector<char> buf_;
  int fd_ = -1;
  int error_ = 0;
  std::size_t begin_ = 0, end_ = 0;
  std::uint64_t line_no_ = 0, offset_ = 0;
  std::size_t max_line_;
  bool skipping_ = false;
  std::uint64_t skipped_ = 0;  // bytes of the overlong line dropped so far
};

}  // namespace introspect::inline v1
