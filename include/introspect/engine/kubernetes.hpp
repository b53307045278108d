#pragma once
//! Selecting source::kubernetes: include this header and link introspect::kubernetes (cpp-httplib,
//! OpenSSL, simdjson). The source lists and watches on its own thread; the collector takes what
//! it queued, at the cadence, on the writer thread.
#include <introspect/engine/collector.hpp>
#include <introspect/policy/sources.hpp>
#include <introspect/source/kubernetes/kubernetes_source.hpp>

namespace introspect::inline v1 {

template <>
inline constexpr bool emits_records_v<source::kubernetes_source> = true;

template <>
struct source_traits<source::kubernetes> {
  using type = source::kubernetes_source;
  static std::unique_ptr<type> make(const config& c) {
    kubernetes::discovery d;
    d.kubeconfig = c.kubeconfig;
    return std::make_unique<type>([d] { return kubernetes::discover(d); }, kubernetes::options{});
  }
};

}  // namespace introspect::inline v1
