#pragma once
//! Selecting source::kubernetes: include this header and link introspect::kubernetes (cpp-httplib,
//! OpenSSL, simdjson). The source lists and watches on its own thread; the collector takes what
//! it queued, at the cadence, on the writer thread. A build whose kinds<> include
//! kind::snapshot (the uber tier's) also records the resources as `snapshot` records.
//! Its options are the config's `kubernetes` member:
//! @code
//! my_introspection::config c{.store = "/var/lib/product/introspection"};
//! c.kubernetes.kubeconfig = "/etc/product/kubeconfig";
//! c.kubernetes.namespace_name = "storage";
//! @endcode
#include <type_traits>

#include <introspect/engine/collector.hpp>
#include <introspect/policy/options.hpp>
#include <introspect/policy/sources.hpp>
#include <introspect/source/kubernetes/kubernetes_source.hpp>

namespace introspect::inline v1 {

template <>
inline constexpr bool emits_records_v<source::kubernetes_source> = true;

//! source::kubernetes is configured by `config.kubernetes`.
template <>
struct component_options<source::kubernetes> {
  using type = kubernetes::options;
};

template <>
struct source_traits<source::kubernetes> {
  using type = source::kubernetes_source;

  //! The source's options for a build whose kinds<> are `Kinds`: the config's, with snapshot
  //! records only where kind::snapshot is recorded at all (uber), so the large tier's records
  //! stay as they were.
  template <class Kinds>
  requires requires { Kinds::has(record_kind::snapshot); }
  static kubernetes::options options_for(kubernetes::options o = {},
                                         std::type_identity<Kinds> = {}) {
    o.snapshots = Kinds::has(record_kind::snapshot);
    return o;
  }

  //! For a collector that passes the build's kinds<> (see docs/kubernetes.md, "Tiers").
  template <class Config, class Kinds>
  requires requires { Kinds::has(record_kind::snapshot); }
  static std::unique_ptr<type> make(const Config& c, std::type_identity<Kinds> k) {
    auto o = options_for(c.kubernetes, k);
    return std::make_unique<type>(provider(o), std::move(o));
  }
  template <class Config>
  static std::unique_ptr<type> make(const Config& c) {
    return std::make_unique<type>(provider(c.kubernetes), c.kubernetes);
  }

 private:
  static kubernetes::connection_provider provider(const kubernetes::options& o) {
    kubernetes::discovery d;
    d.kubeconfig = o.kubeconfig;
    return [d] { return kubernetes::discover(d); };
  }
};

}  // namespace introspect::inline v1
