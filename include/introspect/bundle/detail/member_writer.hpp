#pragma once
// A tar member being written through libarchive: buffered in 64 KiB blocks (cache-sized: the
// kernel's copy of a written block is then cheap) and hashed on the way.
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <introspect/bundle/sha256.hpp>
#include <introspect/store/detail/io.hpp>
#include <introspect/store/tooling.hpp>

namespace introspect::inline v1::bundle {

//! A bundle could not be written or read: the message names the path and the cause.
struct bundle_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

namespace detail {

// One tar member being written: buffered, hashed, then handed to libarchive.
class member_writer {
 public:
  explicit member_writer(archive* a) : a_(a), buf_(64u << 10) {}
  void begin(const std::string& name, std::uint64_t size, std::int64_t mtime) {
    name_ = name;
    size_ = size;
    written_ = 0;
    hash_ = sha256{};
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, name.c_str());
    archive_entry_set_size(e, static_cast<la_int64_t>(size));
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0640);
    archive_entry_set_mtime(e, mtime, 0);
    const int rc = archive_write_header(a_, e);
    archive_entry_free(e);
    if (rc != ARCHIVE_OK) fail();
  }
  void write(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    while (n) {
      const std::size_t k = std::min(n, buf_.size() - used_);
      std::memcpy(buf_.data() + used_, b, k);
      used_ += k;
      b += k;
      n -= k;
      if (used_ == buf_.size()) flush();
    }
  }
  //! Ends the member; returns its SHA-256.
  std::string end() {
    flush();
    if (written_ != size_)
      throw bundle_error(name_ + ": changed while it was copied (" + std::to_string(written_) +
                         " bytes instead of " + std::to_string(size_) + ")");
    return hash_.hex();
  }
  std::uint64_t total() const noexcept { return total_; }

 private:
  void flush() {
    if (!used_) return;
    hash_.update(buf_.data(), used_);
    if (archive_write_data(a_, buf_.data(), used_) != static_cast<la_ssize_t>(used_)) fail();
    written_ += used_;
    total_ += used_;
    used_ = 0;
  }
  [[noreturn]] void fail() {
    throw bundle_error(std::string{"writing "} + name_ + ": " +
                       (archive_error_string(a_) ? archive_error_string(a_) : "archive error"));
  }
  archive* a_;
  std::vector<std::byte> buf_;
  std::size_t used_ = 0;
  std::string name_;
  std::uint64_t size_ = 0, written_ = 0, total_ = 0;
  sha256 hash_;
};

inline std::string read_whole(const std::filesystem::path& p, int& err) {
  err = 0;
  store::unique_fd fd(store::open_file(p.c_str(), O_RDONLY | store::no_follow));
  if (!fd) {
    err = errno;
    return {};
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const auto n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      err = errno;
      return out;
    }
    if (n == 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

}  // namespace detail

}  // namespace introspect::inline v1::bundle
