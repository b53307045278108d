#pragma once
//! Output formats and how output looks beyond its format; the cells and texts every format
//! shares (a record's fields as text, a table's time, a severity's colour, aggregate columns).
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/format/aligned_table.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/format/short_time.hpp>
#include <introspect/query/agg/aggregate.hpp>
#include <introspect/query/expr/field_ref.hpp>

namespace introspect::inline v1::query::output {

//! Output formats (`json` is read as `jsonl`: one object per line).
enum class output_format { table, jsonl, csv, wide };

//! The format named `s` (table, wide, jsonl or json, csv), or nullopt.
inline std::optional<output_format> parse_output_format(std::string_view s) noexcept {
  if (s == "table") return output_format::table;
  if (s == "wide") return output_format::wide;
  if (s == "jsonl" || s == "json") return output_format::jsonl;
  if (s == "csv") return output_format::csv;
  return std::nullopt;
}

//! How output looks beyond its format: the table style, how times read, CSV formula cells.
struct output_style {
  table_style table;        //!< headers, colour, width (colour and width only on a terminal)
  bool local_time = false;  //!< tables: short ISO time in the local zone (on a terminal)
  bool utc = false;         //!< with local_time: the short time in UTC
  bool csv_raw = false;     //!< CSV: keep cells starting with = + - @ as they are
};

namespace detail {

inline std::string fields_text(const record& r) {
  std::string s;
  for (const auto& f : r.fields) {
    if (f.key == "buckets") continue;  // hundreds of numbers: JSON output has them
    if (!s.empty()) s.push_back(' ');
    s.append(f.key);
    s.push_back('=');
    expr::append_text(s, to_view(f.val));
  }
  return s;
}

// A time in a table: RFC 3339 in full, or on a terminal the short local form.
inline std::string table_time(std::int64_t ns, const output_style& st) {
  return st.local_time ? format_short_time(ns, st.utc) : format_rfc3339(ns);
}

inline row_color severity_color(const record& r) {
  if (r.kind != record_kind::notification && r.kind != record_kind::insight) return row_color::none;
  switch (r.sev) {
    case severity::debug:
      return row_color::dim;
    case severity::warning:
      return row_color::yellow;
    case severity::error:
      return row_color::red;
    case severity::critical:
      return row_color::bold_red;
    default:
      return row_color::none;
  }
}

// The columns of an aggregate: ts when bucketed, the --by field when grouped, then the
// function's result, labelled like "avg(fields.ms)".
struct agg_columns {
  bool bucketed = false;
  bool grouped = false;
  std::string by;
  std::string fn;
};

inline agg_columns agg_columns_of(const agg::agg_spec& spec) {
  agg_columns c;
  c.bucketed = spec.every_ns > 0;
  c.grouped = spec.by.has_value();
  if (spec.by) c.by = spec.by->label();
  c.fn = std::string(to_string(spec.fn));
  if (spec.field) c.fn += "(" + spec.field->label() + ")";
  return c;
}

inline std::string agg_number(double v) { return fmt::format("{}", v); }

}  // namespace detail

}  // namespace introspect::inline v1::query::output
