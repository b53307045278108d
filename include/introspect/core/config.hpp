#pragma once
//! Run-time configuration of an introspection instance, given once at start-up.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <introspect/core/clock.hpp>
#include <introspect/core/error_handler.hpp>

namespace introspect::inline v1 {

//! The run-time options of a component a build did not select: an empty member, so a tier
//! without that component carries none of its fields (the tiny tier has no `kubernetes`).
template <class Component>
struct no_options {};
struct kubernetes_options_tag;
struct etcd_options_tag;
struct jetstream_options_tag;

//! Where and as whom a product instance records; every field has a sensible default. The
//! options of each selected component are members named after it (`kubernetes`, `etcd`,
//! `jetstream`): `introspection<P...>::config` is this template with the selected ones filled
//! in, and plain `config` the one with none. No base classes, so designated initializers work:
//! @code
//! my_introspection::config c{.store = "/var/lib/product/introspection", .instance = "node-1"};
//! c.etcd.endpoint = "http://127.0.0.1:2379";  // the options of a selected component
//! c.etcd.prefixes = {"/app/"};
//! @endcode
//! (A nested `.etcd = {.prefixes = ...}` compiles too; GCC's -Wextra warns about it while an
//! options struct has members without a default member initializer.)
template <class Kubernetes = no_options<struct kubernetes_options_tag>,
          class Etcd = no_options<struct etcd_options_tag>,
          class JetStream = no_options<struct jetstream_options_tag>>
struct basic_config {
  std::filesystem::path store{};        //!< empty: $INTROSPECT_STORE, else ./introspection
  std::string instance{};               //!< empty: the host name
  std::uint64_t file_bytes = 8u << 20;  //!< tiny: rotate a JSON-lines file past this size
  unsigned files_kept = 8;              //!< tiny: rotated files kept (oldest removed)
  std::size_t buffer_bytes = 1u << 16;  //!< tiny: the fixed buffer (64 KiB), written when full
  std::size_t queue_slots = 0;          //!< stream store: events queued; 0: the tier's size
  std::string proc_root = "/proc";      //!< where the process and host sources read
  clock_fn clock = nullptr;             //!< nullptr: realtime_ns
  error_handler on_error = nullptr;     //!< nullptr: the process-wide set_error_handler()
  //! source::kubernetes: kubernetes::options (kubeconfig, namespace_name, resources, ...).
  [[no_unique_address]] Kubernetes kubernetes{};
  //! source::etcd: etcd::options (endpoint, prefixes, credentials, ...).
  [[no_unique_address]] Etcd etcd{};
  //! A JetStream sink: jetstream::forwarder_options (url, credentials, replicas, ...).
  [[no_unique_address]] JetStream jetstream{};
};

//! The configuration of a build that selects no component with options of its own.
using config = basic_config<>;

//! True when `C` is a basic_config<...>.
template <class C>
inline constexpr bool is_config_v = false;
template <class K, class E, class J>
inline constexpr bool is_config_v<basic_config<K, E, J>> = true;

namespace detail {

inline std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

// Fills every unset field from the environment or a default.
template <class K, class E, class J>
basic_config<K, E, J> complete(basic_config<K, E, J> c) {
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
inline config complete(config c) { return complete<>(std::move(c)); }

// A build's config made from the common one: the components keep their defaults (a product
// that sets only where and as whom it records can keep writing `introspect::config{...}`).
template <class To>
To with_common(config c) {
  To t;
  t.store = std::move(c.store);
  t.instance = std::move(c.instance);
  t.file_bytes = c.file_bytes;
  t.files_kept = c.files_kept;
  t.buffer_bytes = c.buffer_bytes;
  t.queue_slots = c.queue_slots;
  t.proc_root = std::move(c.proc_root);
  t.clock = c.clock;
  t.on_error = c.on_error;
  return t;
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
