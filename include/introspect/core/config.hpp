#pragma once
//! Run-time configuration of an introspection instance, given once at start-up.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <introspect/core/clock.hpp>

namespace introspect::inline v1 {

//! Where and as whom a product instance records; every field has a sensible default.
struct config {
  std::filesystem::path store{};        //!< empty: $INTROSPECT_STORE, else ./introspection
  std::string instance{};               //!< empty: the host name
  std::uint64_t file_bytes = 8u << 20;  //!< tiny: rotate a JSON-lines file past this size
  unsigned files_kept = 8;              //!< tiny: rotated files kept (oldest removed)
  std::size_t buffer_bytes = 4u << 20;  //!< tiny: records buffered between flushes
  std::size_t queue_slots = 8192;       //!< stream store: events queued for the writer
  std::string proc_root = "/proc";
  std::string kubeconfig{};  //!< kubernetes: a kubeconfig; empty: in-cluster, ~/.kube
  std::string nats_url = "nats://127.0.0.1:4222";  //!< uber: JetStream server(s), comma-separated
  std::string etcd_endpoint{};               //!< etcd: the v3 JSON gateway, e.g. http://host:2379
  std::vector<std::string> etcd_prefixes{};  //!< etcd: key prefixes to snapshot
                                             //!< where the process and host sources read
  clock_fn clock = nullptr;                  //!< nullptr: realtime_ns
  bool report_errors = true;                 //!< print a failure once on stderr
};

namespace detail {

inline std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// Fills every unset field from the environment or a default.
inline config complete(config c) {
  if (c.store.empty()) {
    const char* env = std::getenv("INTROSPECT_STORE");
    c.store = env && *env ? env : "introspection";
  }
  if (c.instance.empty()) c.instance = host_name();
  if (!c.clock) c.clock = &realtime_ns;
  if (c.files_kept == 0) c.files_kept = 1;
  if (c.file_bytes < 4096) c.file_bytes = 4096;
  return c;
}

// Instance names end up in file and scope names: keep them portable and traversal-free. The
// result is always a name the store accepts (store::name_problem): no leading '.', no "..", no
// ".tmp" suffix, at most 128 bytes; a name that cannot be used is never the reason nothing is
// recorded. The original name is kept next to the data (identity.json; each tiny-tier record).
inline std::string sanitize_instance(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.';
    // A dot that would start the name or follow another dot becomes '_' (".." is traversal).
    const bool bad_dot = ch == '.' && (out.empty() || out.back() == '.');
    out.push_back(ok && !bad_dot ? ch : '_');
  }
  if (out.size() > 128) out.resize(128);
  if (out.find_first_not_of("._") == std::string::npos) out = "instance";
  if (out.ends_with(".tmp")) out.back() = '_';
  return out;
}
}  // namespace detail
}  // namespace introspect::inline v1
