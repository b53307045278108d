#pragma once
// The one temporary directory of the tests: a fresh directory (mkdtemp, so parallel runs and
// tests never share one) under $INTROSPECT_TEST_TMP when set, else the system's temp directory
// ($TMPDIR); removed with its contents when the test is done.
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace ix_test {

//! Where temp_dir makes its directories: $INTROSPECT_TEST_TMP, else the system's temp directory.
inline std::filesystem::path temp_root() {
  if (const char* base = std::getenv("INTROSPECT_TEST_TMP"); base && *base) return base;
  return std::filesystem::temp_directory_path();
}

//! A fresh directory `<root>/<tag>-XXXXXX`, removed with its contents at scope exit.
class temp_dir {
 public:
  explicit temp_dir(std::string_view tag = "ix", const std::filesystem::path& root = temp_root()) {
    std::string t = (root / (std::string(tag) + "-XXXXXX")).string();
    if (!::mkdtemp(t.data())) throw std::runtime_error("mkdtemp failed in " + root.string());
    path_ = t;
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }

  const std::filesystem::path& path() const noexcept { return path_; }
  std::filesystem::path operator/(const std::filesystem::path& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace ix_test
