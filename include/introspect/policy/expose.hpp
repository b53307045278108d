#pragma once
//! Expose policies: endpoints that serve the live metric registry to a pulling scraper. A
//! separate category from sink: a sink receives the records the writer produces each period,
//! an endpoint reads the registry's cells whenever it is asked (docs/prometheus.md).
#include <introspect/fwd/policies.hpp>

namespace introspect::inline v1::expose {
struct none {
  using category = tag::expose;
};
//! `GET /metrics` in the Prometheus text format (OpenMetrics when asked); needs
//! <introspect/expose/prometheus_http.hpp> and introspect::http (cpp-httplib).
struct prometheus_http {
  using category = tag::expose;
};
}  // namespace introspect::inline v1::expose
