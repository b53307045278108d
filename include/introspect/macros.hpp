#pragma once
//! Macro forms of the recording calls: when the kind is disabled the arguments are not even
//! evaluated (like SPDLOG_ACTIVE_LEVEL). `ins` is not evaluated either in that case.
#include <type_traits>

#include <introspect/core/kind.hpp>

#ifndef INTROSPECT_IF_RECORDS
#define INTROSPECT_IF_RECORDS(ins, K) \
  if constexpr (std::remove_cvref_t<decltype(ins)>::template records<::introspect::kind::K>)
#endif

#define INTROSPECT_STATE(ins, key, value)                     \
  do {                                                        \
    INTROSPECT_IF_RECORDS(ins, state)(ins).state(key, value); \
  } while (0)
#define INTROSPECT_NOTIFY(ins, sev, ...)                                    \
  do {                                                                      \
    INTROSPECT_IF_RECORDS(ins, notification)(ins).notify(sev, __VA_ARGS__); \
  } while (0)
#define INTROSPECT_COUNT(ins, ...)                              \
  do {                                                          \
    INTROSPECT_IF_RECORDS(ins, metric)(ins).count(__VA_ARGS__); \
  } while (0)
#define INTROSPECT_GAUGE(ins, name, value)                      \
  do {                                                          \
    INTROSPECT_IF_RECORDS(ins, metric)(ins).gauge(name, value); \
  } while (0)
#define INTROSPECT_OBSERVE(ins, name, value)                      \
  do {                                                            \
    INTROSPECT_IF_RECORDS(ins, metric)(ins).observe(name, value); \
  } while (0)
#define INTROSPECT_RECORD(ins, s)                      \
  do {                                                 \
    INTROSPECT_IF_RECORDS(ins, record)(ins).record(s); \
  } while (0)
