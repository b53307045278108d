#pragma once
//! Run-time options of the Prometheus endpoint (expose::prometheus_http), given with
//! `introspection<...>::configure(config, endpoint_options)`; no HTTP library needed to name them.
#include <string>
#include <vector>

namespace introspect::inline v1::expose {

//! Where and for whom the endpoint serves `GET /metrics`; an empty `listen` serves nothing.
struct prometheus_http_options {
  //! "HOST:PORT", ":PORT" or "PORT" (HOST defaults to 127.0.0.1: never every interface unless
  //! asked); port 0 picks a free port (see endpoint().port()); empty: the endpoint stays off.
  std::string listen{};
  //! When set, a scrape must send `Authorization: Bearer <token>` (else 401).
  std::string bearer_token{};
  //! Name patterns (exporters::name_mapping): `disk.{disk}.*` → `disk_used_bytes{disk="sdb"}`.
  std::vector<std::string> name_patterns{};
  //! Say a failure to start (bad address, port in use) once, through the instance's on_error
  //! or the process's error handler (core/error_handler.hpp; stderr by default).
  bool report_errors = true;
};

}  // namespace introspect::inline v1::expose
