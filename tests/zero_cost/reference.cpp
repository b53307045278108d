// The reference: the same functions, empty. What a disabled call must cost: nothing.
#include <introspect/introspect.hpp>  // the same headers as disabled.cpp: same static data

#include "zero_cost_api.hpp"

using ins_t = introspect::tiny_introspection;

extern "C" {
void zc_count(ins_t&) {}
void zc_count_n(ins_t&, int) {}
void zc_gauge(ins_t&, int) {}
void zc_observe(ins_t&, double) {}
void zc_record(ins_t&, int) {}
void zc_macro_count(ins_t&) {}
void zc_macro_count_n(ins_t&) {}
void zc_macro_gauge(ins_t&) {}
void zc_macro_observe(ins_t&) {}
void zc_macro_record(ins_t&) {}
void zc_all(ins_t&, int) {}
}
