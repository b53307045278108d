#pragma once
// A tar member being written through libarchive: buffered in 64 KiB blocks (cache-sized: the
// kernel's copy of a written block is then cheap), each block hashed and handed to libarchive by
// a second thread while the caller fills the next one. SHA-256 (~1.6 GB/s) and the write(2) of
// the tar are then off the thread that reads, checks and redacts the frames: on two cores the
// bundle costs the longer of the two, not their sum (docs/benchmarks.md).
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
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

// One tar member at a time: the caller's thread fills blocks; a worker hashes each block and
// writes it (headers too, so libarchive is only ever called from the worker, in order).
class member_writer {
 public:
  static constexpr std::size_t block_size = 64u << 10;
  // Blocks in flight: enough that the filler rarely waits for a write of the kernel.
  static constexpr std::size_t ring = 8;

  explicit member_writer(archive* a) : a_(a) {
    for (auto& b : blocks_) b.resize(block_size);
    worker_ = std::thread([this] { run(); });
  }
  member_writer(const member_writer&) = delete;
  member_writer& operator=(const member_writer&) = delete;
  ~member_writer() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    worker_.join();
  }

  void begin(const std::string& name, std::uint64_t size, std::int64_t mtime) {
    name_ = name;
    size_ = size;
    written_ = 0;
    submit({task::header, 0, 0, name, size, mtime});
    acquire_block();
  }
  void write(const void* p, std::size_t n) {
    const auto* b = static_cast<const std::byte*>(p);
    while (n) {
      const std::size_t k = std::min(n, block_size - used_);
      std::memcpy(cur_ + used_, b, k);
      used_ += k;
      b += k;
      n -= k;
      if (used_ == block_size) {
        flush();
        acquire_block();
      }
    }
  }
  //! Ends the member (waits for its last block to be hashed and written); returns its SHA-256.
  std::string end() {
    flush();
    wait_done(submitted_);
    std::string digest;
    {
      std::lock_guard lk(mu_);
      if (!error_.empty()) throw bundle_error(error_);
      digest = hash_.hex();
    }
    if (written_ != size_)
      throw bundle_error(name_ + ": changed while it was copied (" + std::to_string(written_) +
                         " bytes instead of " + std::to_string(size_) + ")");
    return digest;
  }
  std::uint64_t total() const noexcept { return total_; }

 private:
  struct task {
    enum kind_t { header, data } kind;
    std::size_t block = 0, len = 0;
    std::string name;
    std::uint64_t size = 0;
    std::int64_t mtime = 0;
  };

  // The next block of the ring, once the worker is done with the submission that last used it.
  void acquire_block() {
    cur_index_ = static_cast<std::size_t>(next_block_++ % ring);
    wait_done(block_uses_[cur_index_]);
    cur_ = blocks_[cur_index_].data();
    used_ = 0;
  }
  void flush() {
    if (!used_) return;
    block_uses_[cur_index_] = submitted_ + 1;  // the submission that writes it
    submit({task::data, cur_index_, used_, {}, 0, 0});
    written_ += used_;
    total_ += used_;
    used_ = 0;
  }
  void submit(task t) {
    {
      std::lock_guard lk(mu_);
      if (!error_.empty()) throw bundle_error(error_);
      tasks_.push_back(std::move(t));
      ++submitted_;
    }
    cv_.notify_all();
  }
  void wait_done(std::uint64_t n) {
    std::unique_lock lk(mu_);
    done_cv_.wait(lk, [&] { return done_ >= n; });
    if (!error_.empty()) throw bundle_error(error_);
  }
  void run() {
    bool failed = false;
    for (;;) {
      task t;
      {
        std::unique_lock lk(mu_);
        cv_.wait(lk, [&] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        t = std::move(tasks_.front());
        tasks_.pop_front();
      }
      std::string err;
      if (failed) {
        // After a failure nothing more is written (the caller throws at its next wait).
      } else if (t.kind == task::header) {
        hash_ = sha256{};
        current_ = t.name;
        archive_entry* e = archive_entry_new();
        archive_entry_set_pathname(e, t.name.c_str());
        archive_entry_set_size(e, static_cast<la_int64_t>(t.size));
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_perm(e, 0640);
        archive_entry_set_mtime(e, t.mtime, 0);
        const int rc = archive_write_header(a_, e);
        archive_entry_free(e);
        if (rc != ARCHIVE_OK) err = failure();
      } else {
        const auto* p = blocks_[t.block].data();
        hash_.update(p, t.len);
        if (archive_write_data(a_, p, t.len) != static_cast<la_ssize_t>(t.len)) err = failure();
      }
      failed = failed || !err.empty();
      {
        std::lock_guard lk(mu_);
        if (!err.empty() && error_.empty()) error_ = std::move(err);
        ++done_;
      }
      done_cv_.notify_all();
    }
  }
  // libarchive's message ("Write error") with the cause when it kept one ("File too large").
  std::string failure() const {
    std::string why = archive_error_string(a_) ? archive_error_string(a_) : "archive error";
    if (const int e = archive_errno(a_); e > 0 && why.find(std::strerror(e)) == std::string::npos)
      why += std::string{" ("} + std::strerror(e) + ")";
    return std::string{"writing "} + current_ + ": " + why;
  }

  archive* a_;
  std::array<std::vector<std::byte>, ring> blocks_;
  // Caller's side.
  std::byte* cur_ = nullptr;
  std::size_t cur_index_ = 0, used_ = 0;
  std::uint64_t next_block_ = 0;
  std::array<std::uint64_t, ring> block_uses_{};
  std::string name_;
  std::uint64_t size_ = 0, written_ = 0, total_ = 0;
  // Shared, under mu_.
  std::mutex mu_;
  std::condition_variable cv_, done_cv_;
  std::deque<task> tasks_;
  std::uint64_t submitted_ = 0, done_ = 0;
  bool stop_ = false;
  std::string error_;
  // Worker's side (read by the caller only when every submission is done).
  sha256 hash_;
  std::string current_;
  std::thread worker_;
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
