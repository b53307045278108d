#pragma once
// Shared by the fuzz targets: a failed property check, and a private scratch directory for the
// targets whose parser reads files (store segments, kubeconfig).
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

namespace introspect_fuzz {

// A property the code promises was broken: abort, so that libFuzzer saves the input as a crash
// (a plain return would let the fuzzer go on as if nothing happened).
[[noreturn]] inline void property_failed(const char* what, const char* file, int line) {
  std::fprintf(stderr, "%s:%d: property failed: %s\n", file, line, what);
  std::abort();
}

#define INTROSPECT_FUZZ_CHECK(cond) \
  ((cond) ? void(0) : ::introspect_fuzz::property_failed(#cond, __FILE__, __LINE__))

// One directory per process (libFuzzer's -fork/-jobs run several), removed at exit.
class scratch_dir {
 public:
  static const std::filesystem::path& get() {
    static scratch_dir d;
    return d.path_;
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

 private:
  scratch_dir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/introspect-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      std::perror("mkdtemp");
      std::abort();
    }
    path_ = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path_;
};

// Replaces the file at `p` with `bytes` (create, truncate, write: as a writer or an editor would).
inline void write_file(const std::filesystem::path& p, std::string_view bytes) {
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) {
    std::perror(p.c_str());
    std::abort();
  }
  if (!bytes.empty() && std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size()) {
    std::perror(p.c_str());
    std::abort();
  }
  std::fclose(f);
}

inline std::string_view as_text(const unsigned char* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace introspect_fuzz
