#pragma once
//! Reads a file line by line in large chunks into a buffer padded for simdjson; can be polled
//! again after the end of the file to see lines a live writer appends (tail --follow).
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
  std::string_view view() const noexcept { return {data, size}; }
};

//! A chunked reader of whole lines; a line longer than the buffer grows it.
class line_reader {
 public:
  explicit line_reader(const std::filesystem::path& path, std::size_t chunk = 1u << 20)
      : buf_(chunk + simdjson::SIMDJSON_PADDING) {
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
        take(out, static_cast<std::size_t>(nl - (buf_.data() + begin_)), 1);
        return true;
      }
      if (!fill()) return false;
    }
  }

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

  // Reads more bytes after the partial line kept at the front; false at the end (for now).
  bool fill() {
    if (fd_ < 0) return false;
    const std::size_t cap = buf_.size() - simdjson::SIMDJSON_PADDING;
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
    }
    if (end_ == cap) buf_.resize(cap * 2 + simdjson::SIMDJSON_PADDING);
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
};

}  // namespace introspect::inline v1
