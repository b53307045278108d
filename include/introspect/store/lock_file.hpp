#pragma once
// One writer per scope: an open-file-description lock on <scope>/.lock holding the owner's pid.
// OFD locks (unlike classic fcntl locks) also exclude a second writer in the same process, and
// the kernel drops them when the holder dies, so a crash never leaves a stale lock.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include <introspect/store/detail/io.hpp>
#include <introspect/store/errors.hpp>

namespace introspect::inline v1::store {

//! Exclusive writer lock on a scope; throws lock_error naming the holder's pid.
class lock_file {
 public:
  explicit lock_file(const std::filesystem::path& p) : path_(p) {
    // O_NOFOLLOW: a symlink planted as .lock must not make us truncate its target.
    fd_ = detail::unique_fd(
        detail::sys::open(p.c_str(), O_RDWR | O_CREAT | detail::no_follow, detail::file_mode));
    if (!fd_)
      throw store_error("cannot open lock file " + p.string() + ": " + detail::errno_text(errno));
    struct stat st {};
    if (::fstat(fd_.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1)
      throw store_error("cannot use lock file " + p.string() +
                        ": not a plain file of its own (a link was planted?)");
    struct flock fl {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd_.get(), F_OFD_SETLK, &fl) != 0) {
      int err = errno;
      if (err != EAGAIN && err != EACCES)
        throw store_error("cannot lock " + p.string() + ": " + detail::errno_text(err));
      pid_t holder = read_holder();
      throw lock_error("store scope " + p.parent_path().string() +
                           " is locked by another writer (pid " + std::to_string(holder) + ")",
                       holder);
    }
    auto pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd_.get(), 0) == 0) {
      std::size_t done = 0;
      (void)::pwrite(fd_.get(), pid.data(), pid.size(), 0);
      (void)done;
    }
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  // The holder writes its pid just after locking; give it a moment if we raced it.
  pid_t read_holder() const {
    for (int i = 0; i < 50; ++i) {
      char buf[32] = {};
      auto n = ::pread(fd_.get(), buf, sizeof buf - 1, 0);
      if (n > 0 && buf[n - 1] == '\n') return static_cast<pid_t>(std::atol(buf));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return 0;
  }

  std::filesystem::path path_;
  detail::unique_fd fd_;
};

}  // namespace introspect::inline v1::store
