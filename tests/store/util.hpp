#pragma once
// Test helpers for the store: a temporary directory and small byte utilities.
#include <unistd.h>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>
#include "../support/temp_dir.hpp"

namespace store_test {

using ix_test::temp_dir;

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
