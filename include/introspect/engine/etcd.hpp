#pragma once
//! Selecting source::etcd: include this header and link introspect::http and introspect::simdjson.
//! The source snapshots the configured prefixes at one revision each and watches changes between
//! snapshots on its own thread; the collector takes what it queued on the writer thread.
#include <introspect/engine/collector.hpp>
#include <introspect/policy/sources.hpp>
#include <introspect/source/etcd/etcd_source.hpp>

namespace introspect::inline v1 {

template <>
inline constexpr bool emits_records_v<source::etcd_source> = true;

template <>
struct source_traits<source::etcd> {
  using type = source::etcd_source;
  static std::unique_ptr<type> make(const config& c) {
    etcd::options o;
    if (!c.etcd_endpoint.empty()) o.endpoint = c.etcd_endpoint;
    o.prefixes = c.etcd_prefixes;
    return std::make_unique<type>(o);
  }
};

}  // namespace introspect::inline v1
