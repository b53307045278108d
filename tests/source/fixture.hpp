#pragma once
// A temporary /proc-like tree for source tests; removed on destruction.
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <string_view>

namespace fixture {

class proc_tree {
 public:
  proc_tree() {
    static std::atomic<int> n{0};
    root_ = std::filesystem::temp_directory_path() /
            ("ix-source-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(root_ / "self" / "fd");
  }
  ~proc_tree() {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  proc_tree(const proc_tree&) = delete;
  proc_tree& operator=(const proc_tree&) = delete;

  void write(const std::string& rel, std::string_view text) const {
    std::ofstream(root_ / rel, std::ios::binary) << text;
  }
  void remove(const std::string& rel) const { std::filesystem::remove_all(root_ / rel); }
  [[nodiscard]] std::string root() const { return root_.string(); }

 private:
  std::filesystem::path root_;
};

// Collects emitted gauges and reported errors.
struct sink {
  std::map<std::string, double, std::less<>> values;
  std::map<std::string, std::string, std::less<>> errors;
  auto emit() {
    return [this](std::string_view name, double v) { values[std::string(name)] = v; };
  }
  auto on_error() {
    return [this](std::string_view what, std::string_view cause) {
      errors[std::string(what)] = std::string(cause);
    };
  }
  void clear() {
    values.clear();
    errors.clear();
  }
};

}  // namespace fixture
