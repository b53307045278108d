#pragma once
//! The one factory of output strategies: a format's writer, for records and aggregates alike.
#include <cstdio>
#include <memory>

#include <introspect/query/output/csv.hpp>
#include <introspect/query/output/format.hpp>
#include <introspect/query/output/jsonl.hpp>
#include <introspect/query/output/table.hpp>
#include <introspect/query/output/writer.hpp>

namespace introspect::inline v1::query::output {

//! The writer of format `f` on `out` (table and wide are one writer, wide with more columns).
inline std::unique_ptr<writer> make_writer(output_format f, std::FILE* out,
                                           const output_style& st = {}) {
  switch (f) {
    case output_format::jsonl:
      return std::make_unique<jsonl_writer>(out);
    case output_format::csv:
      return std::make_unique<csv_writer>(out, st);
    case output_format::table:
    case output_format::wide:
      break;
  }
  return std::make_unique<table_writer>(out, st, f == output_format::wide);
}

}  // namespace introspect::inline v1::query::output
