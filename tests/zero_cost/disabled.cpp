// Every API of the tiny type whose kind it does not record (metric, record), called as a
// product would. Each function must compile to exactly what reference.cpp's empty one does.
#include <introspect/introspect.hpp>

#include "zero_cost_api.hpp"

namespace ix = introspect;
using ins_t = ix::tiny_introspection;
static_assert(!ins_t::records<ix::kind::metric> && !ins_t::records<ix::kind::record>,
              "the zero-cost test needs a tiny type that does not record metric and record");

extern "C" {
void zc_count(ins_t& ins) { ins.count("controller.requests"); }
void zc_count_n(ins_t& ins, int n) { ins.count("controller.requests", n); }
void zc_gauge(ins_t& ins, int v) { ins.gauge("segmentstore.cache.bytes", v); }
void zc_observe(ins_t& ins, double v) { ins.observe("bookkeeper.write.latency_us", v); }
void zc_record(ins_t& ins, int health) { ins.record(zc_disk_health{"sdb", health}); }

// The macro forms must not even evaluate their arguments (each is an opaque call here).
void zc_macro_count(ins_t& ins) { INTROSPECT_COUNT(ins, zc_next_name()); }
void zc_macro_count_n(ins_t& ins) { INTROSPECT_COUNT(ins, zc_next_name(), ++zc_evaluations); }
void zc_macro_gauge(ins_t& ins) { INTROSPECT_GAUGE(ins, zc_next_name(), zc_next_value()); }
void zc_macro_observe(ins_t& ins) { INTROSPECT_OBSERVE(ins, zc_next_name(), zc_evaluations++); }
void zc_macro_record(ins_t& ins) { INTROSPECT_RECORD(ins, zc_next_struct()); }

void zc_all(ins_t& ins, int v) {
  ins.count("a");
  ins.count("b", v);
  ins.gauge("c", v);
  ins.observe("d", v);
  ins.record(zc_disk_health{"sdb", v});
  INTROSPECT_COUNT(ins, zc_next_name(), zc_next_value());
  INTROSPECT_GAUGE(ins, zc_next_name(), ++zc_evaluations);
  INTROSPECT_OBSERVE(ins, zc_next_name(), zc_next_value());
  INTROSPECT_RECORD(ins, zc_next_struct());
}
}
