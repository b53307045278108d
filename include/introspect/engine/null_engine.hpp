#pragma once
//! The engine of sink::null: an empty type with the engine interface.
#include <cstdint>

#include <introspect/core/config.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/stats.hpp>

namespace introspect::inline v1 {

//! The engine of sink::null: records nothing, costs nothing.
struct null_engine {
  static constexpr int threads = 0;
  template <class Config>
  explicit null_engine(const Config&) noexcept {}
  void emit(const record_view&) noexcept {}
  void tick() noexcept {}
  void flush() noexcept {}
  std::int64_t now() const noexcept { return 0; }
  engine_stats stats() const noexcept { return {}; }
};

}  // namespace introspect::inline v1
