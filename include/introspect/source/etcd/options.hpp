#pragma once
//! What the etcd source snapshots and watches, and how it paces itself.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <introspect/core/clock.hpp>

namespace introspect::inline v1::etcd {

//! Options of the etcd source; the defaults suit one local etcd member. Every member has a
//! default member initializer (`cfg.etcd = {.prefixes = {"/app/"}}` compiles warning-free).
struct options {
  //! The JSON gateway's base URL: "http://host:port" or "https://host:port" (an optional
  //! path prefix is kept; https needs cpp-httplib built with OpenSSL).
  std::string endpoint = "http://127.0.0.1:2379";
  //! https: the PEM file of the CA that signs the members' certificates; when given it is the
  //! only one trusted (etcdctl's --cacert). Empty: the system's CAs.
  std::string ca_file{};
  //! https: a client certificate and its key (PEM files), for etcd's --client-cert-auth.
  std::string cert_file{};
  std::string key_file{};
  //! The key prefixes to snapshot and watch; "" is the whole keyspace. Every prefix of one
  //! snapshot is read at the same revision.
  std::vector<std::string> prefixes{};
  //! A new snapshot this long after the previous one; zero = only the first one and those asked
  //! for with snapshot_now() (or forced by a compaction). Hours, not a minute: the watch
  //! records every change in between, so a snapshot only bounds how far back a reader must
  //! replay changes.
  std::chrono::milliseconds snapshot_interval{std::chrono::hours{6}};
  //! Whether changes between snapshots are watched and recorded.
  bool watch = true;
  //! Keys per range request (`limit`); further pages are read at the snapshot's revision.
  std::size_t page_size = 1000;

  //! One watch request lasts at most this long (and ends after this long without bytes);
  //! it then resumes from the next revision, so nothing is lost. It bounds how late a due
  //! periodic snapshot starts.
  std::chrono::milliseconds watch_window{5000};
  std::chrono::milliseconds connect_timeout{2000};
  //! A range, authenticate or compaction request with no bytes for this long fails.
  std::chrono::milliseconds request_timeout{5000};
  //! TCP_NODELAY on the gateway connection. A snapshot is one small POST per page on one
  //! keep-alive connection; with Nagle's algorithm each waits for a delayed ACK (a 20 000-key
  //! snapshot took about 4x longer; docs/benchmarks.md). Off only to measure that.
  bool tcp_nodelay = true;

  //! etcd authentication (v3 auth): empty user = none. A token is fetched from
  //! /v3/auth/authenticate and fetched again when the server rejects it.
  std::string username{};
  std::string password{};
  //! A password is never sent over plain http unless this is set (it would cross the network
  //! in clear): with an http:// endpoint the source reports a configuration error instead.
  bool allow_password_over_http = false;

  //! Backoff after a failure: initial x 2^(failures - 1), capped, with +-jitter.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  double backoff_jitter = 0.1;

  //! Records held between the source's thread and the collector. When it is full the source's
  //! thread waits (it never drops a snapshot's records); the product's threads never do.
  std::size_t handoff_capacity = 16384;
  //! The time stamped on records.
  clock_fn clock = realtime_ns;
};

//! The end of the range that holds every key starting with `prefix` (etcd's rule: the prefix
//! with its last byte below 0xff incremented; "\0" = to the end of the keyspace).
inline std::string prefix_range_end(std::string prefix) {
  while (!prefix.empty()) {
    auto& c = prefix.back();
    if (static_cast<unsigned char>(c) < 0xff) {
      c = static_cast<char>(static_cast<unsigned char>(c) + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::string(1, '\0');
}

}  // namespace introspect::inline v1::etcd
