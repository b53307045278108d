#pragma once
// Helpers shared by the core tests: temporary directories, reading JSON-lines files back,
// a simulated clock, thread counting and stderr capture.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <simdjson.h>

#include <introspect/format/rfc3339.hpp>
#include "../support/temp_dir.hpp"

namespace ixt {

namespace fs = std::filesystem;

using ix_test::temp_dir;

//! The regular files of `dir` (not recursive), sorted by name; empty if `dir` is missing.
inline std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir, ec); !ec && it != fs::directory_iterator();
       it.increment(ec))
    if (it->is_regular_file()) out.push_back(it->path());
  std::sort(out.begin(), out.end());
  return out;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

//! The lines of a file; a last line without '\n' is returned too (and then is partial).
inline std::vector<std::string> read_lines(const fs::path& p) {
  std::vector<std::string> out;
  const std::string all = read_file(p);
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto nl = all.find('\n', pos);
    if (nl == std::string::npos) {
      out.push_back(all.substr(pos));
      break;
    }
    out.push_back(all.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return out;
}

//! True when the file's content ends with '\n' (no partial last line) or is empty.
inline bool ends_with_newline(const fs::path& p) {
  const std::string all = read_file(p);
  return all.empty() || all.back() == '\n';
}

//! Every line of every file of `dir`, in file-name order.
inline std::vector<std::string> lines_in(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& f : files_in(dir))
    for (auto& l : read_lines(f)) out.push_back(std::move(l));
  return out;
}

//! One JSON document parsed by simdjson (throws simdjson_error if it is not valid JSON).
class json {
 public:
  explicit json(std::string_view text) : text_(text) { root_ = parser_.parse(text_); }
  simdjson::dom::element operator[](std::string_view key) const { return root_[key]; }
  simdjson::dom::element root() const { return root_; }
  bool has(std::string_view key) const { return root_[key].error() == simdjson::SUCCESS; }
  std::string str(std::string_view key) const { return std::string(std::string_view(root_[key])); }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

//! Runs `jq -c . file` and returns its exit status (0: every value in the file parsed).
inline int jq_status(const fs::path& file, std::string* out = nullptr) {
  const std::string cmd = "jq -c . '" + file.string() + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0)
    if (out) out->append(buf, n);
  const int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

//! The simulated clock: tests set it; engines read it through config.clock.
inline std::atomic<std::int64_t> sim_now{0};
inline std::int64_t sim_clock() noexcept { return sim_now.load(std::memory_order_relaxed); }

//! 2026-01-01T00:00:00Z in ns, the epoch of the simulations.
inline const std::int64_t t2026 = *introspect::parse_rfc3339("2026-01-01T00:00:00Z");
inline constexpr std::int64_t sec = 1'000'000'000;

//! Threads of this process, from /proc/self/task.
inline std::size_t thread_count() {
  std::size_t n = 0;
  for (auto it = fs::directory_iterator("/proc/self/task"); it != fs::directory_iterator(); ++it)
    ++n;
  return n;
}

//! Redirects fd 2 to a file while alive; text() returns what was written meanwhile.
class stderr_capture {
 public:
  stderr_capture() : file_(dir_ / "stderr.txt") {
    std::fflush(stderr);
    saved_ = ::dup(2);
    const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ::dup2(fd, 2);
    ::close(fd);
  }
  stderr_capture(const stderr_capture&) = delete;
  stderr_capture& operator=(const stderr_capture&) = delete;
  ~stderr_capture() { restore(); }
  std::string text() {
    restore();
    return read_file(file_);
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  temp_dir dir_;
  fs::path file_;
  int saved_ = -1;
};

//! Number of non-overlapping occurrences of `needle` in `hay`.
inline std::size_t occurrences(std::string_view hay, std::string_view needle) {
  std::size_t n = 0;
  for (auto p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

}  // namespace ixt
