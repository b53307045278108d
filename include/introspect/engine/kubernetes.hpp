#pragma once
//! Selecting source::kubernetes: include this header and link introspect::kubernetes (cpp-httplib,
//! OpenSSL, simdjson). The source lists and watches on its own thread; the collector takes what
//! it queued, at the cadence, on the writer thread. A build whose kinds<> include
//! kind::snapshot (the uber tier's) also records the resources as `snapshot` records.
#include <type_traits>

#include <introspect/engine/collector.hpp>
#include <introspect/policy/sources.hpp>
#include <introspect/source/kubernetes/kubernetes_source.hpp>

namespace introspect::inline v1 {

template <>
inline constexpr bool emits_records_v<source::kubernetes_source> = true;

template <>
struct source_traits<source::kubernetes> {
  using type = source::kubernetes_source;

  //! The source's options for a build whose kinds<> are `Kinds`: snapshot records only where
  //! kind::snapshot is recorded at all (uber), so the large tier's records stay as they were.
  template <class Kinds>
  requires requires { Kinds::has(record_kind::snapshot); }
  static kubernetes::options options_for(std::type_identity<Kinds> = {}) {
    kubernetes::options o;
    o.snapshots = Kinds::has(record_kind::snapshot);
    return o;
  }

  //! For a collector that passes the build's kinds<> (see docs/kubernetes.md, "Tiers").
  template <class Kinds>
  requires requires { Kinds::has(record_kind::snapshot); }
  static std::unique_ptr<type> make(const config& c, std::type_identity<Kinds> k) {
    auto o = options_for(k);
    o.kubeconfig = c.kubeconfig;
    return std::make_unique<type>(provider(c), std::move(o));
  }
  static std::unique_ptr<type> make(const config& c) {
    kubernetes::options o;
    o.kubeconfig = c.kubeconfig;
    return std::make_unique<type>(provider(c), std::move(o));
  }

 private:
  static kubernetes::connection_provider provider(const config& c) {
    kubernetes::discovery d;
    d.kubeconfig = c.kubeconfig;
    return [d] { return kubernetes::discover(d); };
  }
};

}  // namespace introspect::inline v1
