#pragma once
// Every system call the store makes goes through these wrappers so that tests can fail the Nth
// one with any errno (SQLite's test_vfs and RocksDB's FaultInjectionTestEnv do the same). With no
// hook installed the cost is one relaxed atomic load per call, next to a system call.
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <atomic>
#include <cerrno>

namespace introspect::inline v1::store::detail::sys {

//! What kind of system call a fault hook is asked about.
enum class op : unsigned char { open, read, write, sync, rename, unlink, readdir, truncate, mkdir };

//! Returns the errno to inject (0: let the call run). `path` may be null (fd-based calls).
using fault_hook = int (*)(op, const char* path, int fd) noexcept;

inline std::atomic<fault_hook>& hook() noexcept {
  static std::atomic<fault_hook> h{nullptr};
  return h;
}

inline int inject(op o, const char* path, int fd) noexcept {
  auto h = hook().load(std::memory_order_relaxed);
  if (!h) return 0;
  if (int e = h(o, path, fd)) {
    errno = e;
    return e;
  }
  return 0;
}

inline int open(const char* p, int flags, mode_t mode = 0) noexcept {
  if (inject(op::open, p, -1)) return -1;
  return ::open(p, flags, mode);
}
inline ssize_t pread(int fd, void* b, std::size_t n, off_t off) noexcept {
  if (inject(op::read, nullptr, fd)) return -1;
  return ::pread(fd, b, n, off);
}
inline ssize_t pwrite(int fd, const void* b, std::size_t n, off_t off) noexcept {
  if (inject(op::write, nullptr, fd)) return -1;
  return ::pwrite(fd, b, n, off);
}
inline ssize_t write(int fd, const void* b, std::size_t n) noexcept {
  if (inject(op::write, nullptr, fd)) return -1;
  return ::write(fd, b, n);
}
inline int fdatasync(int fd) noexcept {
  if (inject(op::sync, nullptr, fd)) return -1;
  return ::fdatasync(fd);
}
inline int fsync(int fd) noexcept {
  if (inject(op::sync, nullptr, fd)) return -1;
  return ::fsync(fd);
}
inline int rename(const char* a, const char* b) noexcept {
  if (inject(op::rename, b, -1)) return -1;
  return ::rename(a, b);
}
inline int unlink(const char* p) noexcept {
  if (inject(op::unlink, p, -1)) return -1;
  return ::unlink(p);
}
inline int ftruncate(int fd, off_t n) noexcept {
  if (inject(op::truncate, nullptr, fd)) return -1;
  return ::ftruncate(fd, n);
}
inline int mkdir(const char* p, mode_t m) noexcept {
  if (inject(op::mkdir, p, -1)) return -1;
  return ::mkdir(p, m);
}
inline DIR* opendir(const char* p) noexcept {
  if (inject(op::readdir, p, -1)) return nullptr;
  return ::opendir(p);
}
// readdir reports an error only through errno with a null result; the caller sets errno = 0.
inline dirent* readdir(DIR* d) noexcept {
  if (inject(op::readdir, nullptr, -1)) return nullptr;
  return ::readdir(d);
}

}  // namespace introspect::inline v1::store::detail::sys
