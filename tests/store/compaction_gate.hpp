#pragma once
// Test-side control of the writer's compactor thread through the store's syscall shim: hold it
// at the point where it creates `<segment>.log.tmp` (its work is done, the rename is next), or
// fail that step with an errno (a full disk). Also a compressible record payload.
#include <introspect/codec/varint.hpp>
#include <introspect/store/detail/sys.hpp>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/store/reader.hpp>

#include <unistd.h>

namespace store_test {

//! A counter sample as docs/payload.md lays it out: the columnar codec compresses these.
inline std::string counter_payload(std::uint64_t i) {
  std::string p{'\1', '\1', '\1', '\0'};
  introspect::codec::put_varint(p, 7);
  p += "product";
  const std::string name = "cache." + std::to_string(i % 5) + ".hits";
  introspect::codec::put_varint(p, name.size());
  p += name;
  p += '\1';
  introspect::codec::put_varint(p, introspect::codec::zigzag(static_cast<std::int64_t>(i * 3)));
  p += '\0';
  return p;
}

//! Every counter_payload record of `stream` (scope "node") from offset 0, once, in order,
//! exactly as appended; no damage, nothing skipped.
inline bool reads_back(const std::filesystem::path& root, const std::string& stream,
                       std::uint64_t n) {
  introspect::store::reader r(root);
  auto c = r.open("node", stream);
  introspect::store::frame_view rv;
  std::uint64_t i = 0;
  bool ok = true;
  while (c.next(rv)) {
    ok = ok && rv.ts_ns == static_cast<std::int64_t>(i) && rv.text() == counter_payload(i);
    ++i;
  }
  return ok && i == n && c.stats().damages.empty() && c.stats().skipped_ranges == 0;
}

inline bool is_compressed_file(const std::filesystem::path& p) {
  std::ifstream f(p, std::ios::binary);
  char m[8] = {};
  f.read(m, 8);
  return std::memcmp(m, introspect::store::detail::compressed_magic, 8) == 0;
}

inline int tmp_files(const std::filesystem::path& dir) {
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir))
    n += e.path().filename().string().ends_with(".tmp");
  return n;
}

//! Threads of this process (a compactor is one more).
inline int thread_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/task")) ++n;
  return n;
}

struct compaction_gate_state {
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;             // hold the compactor at its temporary file
  int held = 0;                    // compactors waiting at the gate now
  int passed = 0;                  // temporary files created so far
  int fail_errno = 0;              // fail the temporary file's creation instead
  std::vector<std::string> paths;  // the temporary files, in the order they were created
  std::vector<pid_t> tids;         // the thread that created each
};
inline compaction_gate_state& gate_state() {
  static compaction_gate_state g;
  return g;
}
inline int compaction_gate_hook(introspect::store::detail::sys::op o, const char* path,
                                int) noexcept {
  if (o != introspect::store::detail::sys::op::open || !path ||
      !std::string_view(path).ends_with(".log.tmp"))
    return 0;
  auto& g = gate_state();
  std::unique_lock l(g.mu);
  if (g.fail_errno) return g.fail_errno;
  ++g.held;
  g.cv.notify_all();
  g.cv.wait(l, [&] { return !g.closed; });
  --g.held;
  ++g.passed;
  g.paths.emplace_back(path);
  g.tids.push_back(::gettid());
  return 0;
}

//! Installs the hook for its lifetime (open, no failure, when it goes).
class compaction_gate {
 public:
  compaction_gate() {
    set([](auto& g) {
      g.closed = false;
      g.held = g.passed = g.fail_errno = 0;
      g.paths.clear();
      g.tids.clear();
    });
    introspect::store::detail::sys::hook().store(&compaction_gate_hook);
  }
  compaction_gate(const compaction_gate&) = delete;
  compaction_gate& operator=(const compaction_gate&) = delete;
  ~compaction_gate() {
    open();
    introspect::store::detail::sys::hook().store(nullptr);
  }
  void close() {
    set([](auto& g) { g.closed = true; });
  }
  void open() {
    set([](auto& g) { g.closed = false; });
  }
  void fail_with(int err) {
    set([err](auto& g) { g.fail_errno = err; });
  }
  //! Waits (at most 10 s) until a compactor is held at the gate.
  bool wait_held() {
    auto& g = gate_state();
    std::unique_lock l(g.mu);
    return g.cv.wait_for(l, std::chrono::seconds(10), [&] { return g.held > 0; });
  }
  int passed() {
    std::lock_guard l(gate_state().mu);
    return gate_state().passed;
  }
  //! The temporary files created so far, in order, and the threads that created them.
  std::vector<std::string> paths() {
    std::lock_guard l(gate_state().mu);
    return gate_state().paths;
  }
  std::vector<pid_t> tids() {
    std::lock_guard l(gate_state().mu);
    return gate_state().tids;
  }

 private:
  template <class F>
  static void set(F f) {
    auto& g = gate_state();
    {
      std::lock_guard l(g.mu);
      f(g);
    }
    g.cv.notify_all();
  }
};

}  // namespace store_test
