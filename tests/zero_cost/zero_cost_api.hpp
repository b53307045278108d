#pragma once
// The functions compared by the zero-cost test, declared once so that the disabled, reference
// and enabled translation units define exactly the same set (extern "C": names without types,
// so each unit may take its own introspection type).
#include <boost/hana/define_struct.hpp>

//! A product struct as it would be recorded with record().
struct zc_disk_health {
  BOOST_HANA_DEFINE_STRUCT(zc_disk_health, (const char*, disk), (int, health));
};

// Opaque functions with side effects: if a macro evaluated its arguments, their calls would stay.
extern "C" const char* zc_next_name();
extern "C" int zc_next_value();
extern "C" zc_disk_health zc_next_struct();
extern int zc_evaluations;

// The compared functions; tests/zero_cost/CMakeLists.txt reads this list (one source of truth).
#define ZC_FUNCTIONS(X) \
  X(zc_count)           \
  X(zc_count_n)         \
  X(zc_gauge)           \
  X(zc_observe)         \
  X(zc_record)          \
  X(zc_macro_count)     \
  X(zc_macro_count_n)   \
  X(zc_macro_gauge)     \
  X(zc_macro_observe)   \
  X(zc_macro_record)    \
  X(zc_all)
