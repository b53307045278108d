#pragma once
//! The engine of a type that records nothing (sink::null, or cadence::off with no kind): an
//! empty type with the engine interface, and the config such a type takes.
#include <cstdint>

#include <introspect/core/config.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/stats.hpp>

namespace introspect::inline v1 {

namespace detail {
//! A config field of a type that records nothing: accepts any value and keeps none, so that
//! `configure({.store = ..., .instance = ...})` compiles to nothing (no path, no string).
struct ignored_field {
  constexpr ignored_field() noexcept = default;
  template <class T>
  constexpr ignored_field(T&&) noexcept {}  // NOLINT: implicit on purpose, like the real field
};
}  // namespace detail

//! The config of a type that records nothing: the field names of basic_config (designated
//! initializers and assignments compile), none of their storage or construction.
struct null_config {
  detail::ignored_field store{};
  detail::ignored_field instance{};
  detail::ignored_field file_bytes{};
  detail::ignored_field files_kept{};
  detail::ignored_field buffer_bytes{};
  detail::ignored_field queue_slots{};
  detail::ignored_field proc_root{};
  detail::ignored_field clock{};
  detail::ignored_field on_error{};
  detail::ignored_field kubernetes{};
  detail::ignored_field etcd{};
  detail::ignored_field jetstream{};
};

//! The engine of sink::null: records nothing, costs nothing.
struct null_engine {
  static constexpr int threads = 0;
  template <class Config>
  constexpr explicit null_engine(const Config&) noexcept {}
  void emit(const record_view&) noexcept {}
  void tick() noexcept {}
  void flush() noexcept {}
  std::int64_t now() const noexcept { return 0; }
  engine_stats stats() const noexcept { return {}; }
};

}  // namespace introspect::inline v1
