#pragma once
//! Selecting source::etcd: include this header and link introspect::http and introspect::simdjson.
//! The source snapshots the configured prefixes at one revision each and watches changes between
//! snapshots on its own thread; the collector takes what it queued on the writer thread.
//! Its options are the config's `etcd` member:
//! @code
//! my_introspection::config c{.store = "/var/lib/product/introspection"};
//! c.etcd.endpoint = "http://127.0.0.1:2379";
//! c.etcd.prefixes = {"/app/"};
//! @endcode
#include <introspect/engine/collector.hpp>
#include <introspect/policy/options.hpp>
#include <introspect/policy/sources.hpp>
#include <introspect/source/etcd/etcd_source.hpp>

namespace introspect::inline v1 {

template <>
inline constexpr bool emits_records_v<source::etcd_source> = true;

//! source::etcd is configured by `config.etcd`.
template <>
struct component_options<source::etcd> {
  using type = etcd::options;
};

template <>
struct source_traits<source::etcd> {
  using type = source::etcd_source;
  template <class Config>
  static std::unique_ptr<type> make(const Config& c) {
    return std::make_unique<type>(c.etcd);
  }
};

}  // namespace introspect::inline v1
