#pragma once
//! What the Kubernetes source watches and how it paces itself: scope, time slices, timeouts
//! and the backoff after failures.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include <introspect/core/clock.hpp>
#include <introspect/source/kubernetes/resource.hpp>

namespace introspect::inline v1::kubernetes {

//! Options of the Kubernetes source; the defaults suit a product watching its own namespace.
//! Every member has a default member initializer, so a designated initializer may name only
//! some (`cfg.kubernetes = {.namespace_name = "pravega"}`) without -Wmissing-field-initializers.
struct options {
  //! Where the connection comes from: a kubeconfig file; empty = in-cluster (the pod's service
  //! account), then $KUBECONFIG, then ~/.kube/config (discovery.hpp).
  std::string kubeconfig{};
  //! The collections to list and watch.
  std::vector<resource> resources = {deployments(), statefulsets(), pods()};
  //! "" = the connection's namespace (the pod's, or the kubeconfig context's), or every
  //! namespace when it has none; "*" = every namespace; anything else = that namespace.
  std::string namespace_name{};
  //! A label selector applied to every list and watch ("app=segmentstore"); empty = all.
  //! (Not to Events: they carry no labels of the objects they are about.)
  std::string label_selector{};
  //! Also watch the namespace's Events (`events.k8s.io/v1`; `core_events()` in `resources`
  //! for core v1 instead) and record each as a notification (events.hpp): the cluster's own
  //! account of why ("Readiness probe failed", "Back-off restarting failed container"). Needs
  //! `list`/`watch` on events. Off when `resources` already holds an Events resource.
  bool events = true;

  //! One watch request lasts at most this long; the next one resumes where it ended (nothing
  //! is lost). Every collection has its own watch on its own thread, so a change is read as
  //! soon as the server sends it, whatever the window; it bounds how long a connection that
  //! died silently goes unnoticed.
  std::chrono::milliseconds watch_window{30000};
  //! A list, or a watch's first reply, with no bytes for this long is cut. An open watch may
  //! be idle up to watch_window + read_timeout.
  std::chrono::milliseconds read_timeout{1000};
  //! TCP connect bound (a black-holed server).
  std::chrono::milliseconds connect_timeout{2000};
  //! A watch that ends sooner than this is not reopened before it has elapsed (a server that
  //! closes every watch at once must not make the source spin).
  std::chrono::milliseconds min_watch_interval{200};

  //! Backoff after a failure: initial x 2^(failures - 1), capped, with +-jitter.
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{30000};
  double backoff_jitter = 0.1;

  //! Objects per list page (`limit`); pages are followed with `continue`.
  std::size_t page_size = 500;
  //! Events held between the source's thread and the collector; the oldest are dropped
  //! (and counted) beyond this.
  std::size_t handoff_capacity = 4096;

  //! Also record every listed object as a `snapshot` record at the list's resourceVersion, and
  //! each change the watch sees as a `put` or `delete` snapshot record (the uber tier's way,
  //! the same shape as the etcd source's; docs/kubernetes.md). The state records and
  //! notifications are recorded either way.
  bool snapshots = false;
  //! With `snapshots`: every collection is listed again (a new snapshot) this long after the
  //! last snapshot; zero = only the first list, re-lists after 410 Gone, and snapshot_now().
  //! Hours, not minutes: the watch records every change in between anyway.
  std::chrono::milliseconds snapshot_interval{std::chrono::hours{6}};
  //! With `snapshots`: an object unchanged since the last snapshot that recorded its JSON is
  //! recorded without it, with `same_as_snapshot` = that snapshot's id (200 mostly idle pods:
  //! a few KiB per snapshot instead of ~2 MB).
  bool snapshot_references = true;
  //! Whether a bearer token may be sent to an http:// server (in clear). Off: such a
  //! connection is a configuration error (a test server on loopback may turn it on).
  bool allow_token_over_http = false;
  //! Whether snapshot records are redacted (detail/redact.hpp): Secret data and stringData,
  //! container env values whose names look like secrets, and the
  //! kubectl.kubernetes.io/last-applied-configuration annotation become "<redacted>".
  bool redact_snapshots = true;

  //! The time stamped on records.
  clock_fn clock = realtime_ns;
};

}  // namespace introspect::inline v1::kubernetes
