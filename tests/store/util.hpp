#pragma once
// Test helpers for the store: a temporary directory and small byte utilities.
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

namespace store_test {

//! A fresh directory under $INTROSPECT_TEST_TMP or /tmp, removed at scope exit.
class temp_dir {
 public:
  explicit temp_dir(const std::string& tag = "store") {
    const char* base = std::getenv("INTROSPECT_TEST_TMP");
    std::random_device rd;
    path_ = std::filesystem::path(base ? base : "/tmp") /
            ("ix-" + tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& s) const { return path_ / s; }

 private:
  std::filesystem::path path_;
};

inline std::string payload_for(std::uint64_t i, std::size_t len = 100) {
  std::string s = "rec-" + std::to_string(i) + "-";
  while (s.size() < len) s += static_cast<char>('a' + (i + s.size()) % 26);
  s.resize(len);
  return s;
}

inline void flip_byte(const std::filesystem::path& p, std::uint64_t pos) {
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(pos));
  char c;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(pos));
  f.put(static_cast<char>(c ^ 0x5A));
}

inline std::vector<std::filesystem::path> logs_of(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> v;
  for (auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".log") v.push_back(e.path());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace store_test
