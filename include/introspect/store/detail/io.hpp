#pragma once
// Thin POSIX wrappers: errno-returning, EINTR-safe, no exceptions.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bit>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <introspect/store/detail/sys.hpp>

namespace introspect::inline v1::store::detail {

// Creation modes; the process umask still applies (a stricter umask is the operator's choice).
inline constexpr mode_t file_mode = 0640;
inline constexpr mode_t dir_mode = 0750;
// Never follow a symlink planted in a store directory: the writer must not write outside it.
inline constexpr int no_follow = O_NOFOLLOW | O_CLOEXEC;

class unique_fd {
 public:
  unique_fd() = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  unique_fd& operator=(unique_fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd() { reset(); }
  int get() const noexcept { return fd_; }
  explicit operator bool() const noexcept { return fd_ >= 0; }
  void reset() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

inline std::string errno_text(int err) { return std::strerror(err); }

// Writes everything or returns errno; `done` says how much reached the file (for rollback).
inline int write_all(int fd, const void* data, std::size_t n, std::size_t& done) noexcept {
  auto* p = static_cast<const char*>(data);
  done = 0;
  while (done < n) {
    ssize_t w = sys::write(fd, p + done, n - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (w == 0) return EIO;
    done += static_cast<std::size_t>(w);
  }
  return 0;
}

// Reads up to n bytes at off; returns bytes read (short only at end of file) or -1.
inline ssize_t pread_full(int fd, void* data, std::size_t n, std::uint64_t off) noexcept {
  auto* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = sys::pread(fd, p + got, n - got, static_cast<off_t>(off + got));
    if (r < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (r == 0) break;
    got += static_cast<std::size_t>(r);
  }
  return static_cast<ssize_t>(got);
}

// An empty path is the current directory: the parent of a bare file name ("t.log").
inline int fsync_dir(const std::filesystem::path& dir) noexcept {
  int fd = sys::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return errno;
  int rc = sys::fsync(fd) == 0 ? 0 : errno;
  ::close(fd);
  return rc;
}

// A directory the store already finds in place must be a real directory (not a symlink that
// would redirect writes elsewhere), owned by us and not writable by others. Returns errno-like
// codes: ENOTDIR for a symlink or file, EPERM for a foreign owner or a world-writable mode.
inline int check_own_dir(const std::filesystem::path& dir) noexcept {
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  if (st.st_uid != ::geteuid() || (st.st_mode & S_IWOTH)) return EPERM;
  return 0;
}

inline std::string dir_problem_text(int rc) {
  if (rc == ENOTDIR) return "not a directory (a symlink or a file is in its place)";
  if (rc == EPERM) return "owned by another user or writable by others";
  return std::strerror(rc);
}

// mkdir -p with 0750 for the directories it creates; returns errno.
inline int make_dirs(const std::filesystem::path& dir) noexcept {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return 0;
  if (dir.has_parent_path() && dir.parent_path() != dir) {
    if (int rc = make_dirs(dir.parent_path())) return rc;
  }
  if (sys::mkdir(dir.c_str(), dir_mode) != 0 && errno != EEXIST) return errno;
  return 0;
}

// A directory of the store's own (scope, stream, .meta): created if missing, then checked.
inline int make_own_dir(const std::filesystem::path& dir) noexcept {
  if (int rc = make_dirs(dir)) return rc;
  return check_own_dir(dir);
}

// Whole small file into memory; false when it cannot be read, with the errno in *err.
inline bool read_file(const std::filesystem::path& p, std::vector<std::byte>& out,
                      int* err = nullptr) {
  unique_fd fd(sys::open(p.c_str(), O_RDONLY | no_follow));
  auto fail = [&] {
    if (err) *err = errno;
    return false;
  };
  if (!fd) return fail();
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return fail();
  // Control files are small; a huge one is foreign and must not exhaust memory.
  if (st.st_size > (64 << 20)) return errno = EFBIG, fail();
  out.resize(static_cast<std::size_t>(st.st_size));
  ssize_t r = pread_full(fd.get(), out.data(), out.size(), 0);
  if (r < 0) return fail();
  out.resize(static_cast<std::size_t>(r));
  return true;
}

// Atomic replace: write temp, fsync it, rename over `p`, fsync the directory. Returns errno.
// A crash leaves either the old file or the new one, plus at worst a stale *.tmp that the
// writer removes when it next opens.
inline int atomic_write_file(const std::filesystem::path& p, std::span<const std::byte> bytes,
                             bool durable = true) noexcept {
  auto tmp = p;
  tmp += ".tmp";
  // O_EXCL: a planted file or symlink at the temp name is removed (unlink never follows a
  // link), never written through.
  (void)::unlink(tmp.c_str());
  unique_fd fd(sys::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | no_follow, file_mode));
  if (!fd) return errno;
  std::size_t done = 0;
  if (int rc = write_all(fd.get(), bytes.data(), bytes.size(), done)) {
    ::unlink(tmp.c_str());
    return rc;
  }
  if (durable && sys::fsync(fd.get()) != 0) {
    int rc = errno;
    ::unlink(tmp.c_str());
    return rc;
  }
  fd.reset();
  if (sys::rename(tmp.c_str(), p.c_str()) != 0) {
    int rc = errno;
    ::unlink(tmp.c_str());
    return rc;
  }
  return durable ? fsync_dir(p.parent_path()) : 0;
}

// Little-endian load/store; the format is little-endian and so are the hosts we build for.
static_assert(std::endian::native == std::endian::little,
              "introspect::store assumes little-endian");
template <class T>
inline T load(const std::byte* p) noexcept {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <class T>
inline void store_le(std::byte* p, T v) noexcept {
  std::memcpy(p, &v, sizeof(T));
}

}  // namespace introspect::inline v1::store::detail
