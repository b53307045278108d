#pragma once
// Test-side control of the store's syscall shim (store/detail/sys.hpp): fail calls that match a
// path, or the Nth call of a kind, with a chosen errno; or only count calls.
#include <introspect/store/detail/sys.hpp>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace store_test {

namespace sys = introspect::store::detail::sys;

//! What the installed hook does; one global instance (the shim's hook is a plain function).
struct fault_plan {
  // Path rule: every call of `path_op` whose path contains `path_part` fails with `path_errno`.
  std::string path_part;
  int path_op = -1;  // -1: any op
  int path_errno = 0;
  // Count rule: the `fail_at`-th call (1-based) among ops in `mask` fails with `nth_errno`;
  // `sticky` fails every later one of them too (a disk that stays broken).
  unsigned mask = 0;
  std::uint64_t fail_at = 0;
  int nth_errno = 0;
  bool sticky = false;
  std::atomic<std::uint64_t> calls{0};
  std::atomic<std::uint64_t> injected{0};
};

inline fault_plan& plan() {
  static fault_plan p;
  return p;
}

inline unsigned bit(sys::op o) { return 1u << static_cast<unsigned>(o); }

inline int fault_hook(sys::op o, const char* path, int fd) noexcept {
  auto& p = plan();
  if (!p.path_part.empty() && p.path_errno && path &&
      (p.path_op < 0 || p.path_op == static_cast<int>(o)) &&
      std::strstr(path, p.path_part.c_str())) {
    ++p.injected;
    return p.path_errno;
  }
  if (p.mask & bit(o)) {
    auto n = ++p.calls;
    // INTROSPECT_FAULT_TRACE=1 prints every counted call: which one a failing N names.
    static const bool trace = std::getenv("INTROSPECT_FAULT_TRACE") != nullptr;
    if (trace && p.fail_at)
      std::fprintf(stderr, "call %llu: op %d %s fd %d%s\n", static_cast<unsigned long long>(n),
                   static_cast<int>(o), path ? path : "", fd, n == p.fail_at ? "  <-- fails" : "");
    if (p.fail_at && (n == p.fail_at || (p.sticky && n > p.fail_at))) {
      ++p.injected;
      return p.nth_errno;
    }
  }
  return 0;
}

//! Installs the hook for the scope; the plan is reset on both ends.
struct fault_scope {
  fault_scope() {
    reset();
    sys::hook().store(&fault_hook);
  }
  ~fault_scope() {
    sys::hook().store(nullptr);
    reset();
  }
  static void reset() {
    auto& p = plan();
    p.path_part.clear();
    p.path_op = -1;
    p.path_errno = 0;
    p.mask = 0;
    p.fail_at = 0;
    p.nth_errno = 0;
    p.sticky = false;
    p.calls = 0;
    p.injected = 0;
  }
};

}  // namespace store_test
