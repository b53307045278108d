#pragma once
//! Record and aggregate output: aligned tables for people (`table`, `wide`), JSON lines and CSV
//! for tools. What a person reads of a cumulative metric is its interval (metric_display.hpp).
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/format/aligned_table.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/format/short_time.hpp>
#include <introspect/query/aggregate.hpp>
#include <introspect/query/csv.hpp>
#include <introspect/query/field_ref.hpp>
#include <introspect/query/metric_display.hpp>

namespace introspect::inline v1 {

//! Output formats (`json` is read as `jsonl`: one object per line).
enum class output_format { table, jsonl, csv, wide };

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
    append_text(s, to_view(f.val));
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

}  // namespace detail

//! Writes records one by one in a format; finish() ends the output (tables print there).
class record_writer {
 public:
  virtual ~record_writer() = default;
  virtual void write(const record& r) = 0;
  virtual void finish() = 0;
};

//! JSON lines: the tiny tier's own line format, with each record's instance.
class jsonl_record_writer final : public record_writer {
 public:
  explicit jsonl_record_writer(std::FILE* f) : out_(f) {}
  void write(const record& r) override {
    if (r.instance != instance_) {
      instance_ = r.instance;
      enc_.set_instance(instance_);
    }
    enc_.encode(view_of(r, fields_), out_.str());
    out_.maybe_flush();
  }
  void finish() override { out_.flush(); }

 private:
  detail::out_buffer out_;
  jsonl_encoder enc_{""};  // not a null view: json_escape would memcpy from nullptr
  std::string instance_;
  std::vector<field_view> fields_;
};

//! CSV (RFC 4180) with a header; fields are one cell holding a JSON object.
class csv_record_writer final : public record_writer {
 public:
  explicit csv_record_writer(std::FILE* f, const output_style& st = {})
      : out_(f), guard_(!st.csv_raw) {
    if (st.table.headers)
      out_.str().append("ts,kind,instance,source,name,severity,type,value,fields,table\r\n");
  }
  void write(const record& r) override {
    auto& s = out_.str();
    char ts[rfc3339_length];
    format_rfc3339(r.ts_ns, ts);
    s.append(ts, rfc3339_length);
    s.push_back(',');
    s.append(to_string(r.kind));
    s.push_back(',');
    append_csv_text(s, r.instance, guard_);
    s.push_back(',');
    append_csv_text(s, r.source, guard_);
    s.push_back(',');
    append_csv_text(s, r.name, guard_);
    s.push_back(',');
    if (r.kind == record_kind::notification || r.kind == record_kind::insight)
      s.append(to_string(r.sev));
    s.push_back(',');
    if (r.mtype != metric_type::none) s.append(to_string(r.mtype));
    s.push_back(',');
    cell_.clear();
    append_text(cell_, to_view(r.val));
    // Numbers we format are not formulas (-5 stays a number); text from outside may be.
    append_csv_text(s, cell_, guard_ && to_view(r.val).type() == value_type::string);
    s.push_back(',');
    if (!r.fields.empty()) {
      cell_.assign("{");
      for (std::size_t i = 0; i < r.fields.size(); ++i) {
        if (i) cell_.push_back(',');
        append_json_string(cell_, r.fields[i].key);
        cell_.push_back(':');
        append_json_value(cell_, to_view(r.fields[i].val));
      }
      cell_.push_back('}');
      append_csv_cell(s, cell_);
    }
    s.push_back(',');
    if (r.flags & flag_table) s.append("true");
    s.append("\r\n");
    out_.maybe_flush();
  }
  void finish() override { out_.flush(); }

 private:
  detail::out_buffer out_;
  bool guard_;
  std::string cell_;
};

//! An aligned table for people: time, kind, instance, name, severity and value (`wide`: also the
//! source and every field). A counter shows its value and its rate since the previous sample,
//! a histogram its count, mean and p99 of the interval since its previous snapshot.
class table_record_writer final : public record_writer {
 public:
  explicit table_record_writer(std::FILE* f, const output_style& st = {}, bool wide = false)
      : table_(f, header(wide), {}, st.table), style_(st), wide_(wide) {}
  void write(const record& r) override {
    std::vector<std::string> cells;
    cells.reserve(wide_ ? 7 : 6);
    cells.push_back(detail::table_time(r.ts_ns, style_));
    cells.emplace_back(to_string(r.kind));
    if (r.flags & flag_table) cells.back() += "*";  // a periodic table line, not a change
    detail::append_printable(cells.emplace_back(), r.instance);
    if (wide_) detail::append_printable(cells.emplace_back(), r.source);
    detail::append_printable(cells.emplace_back(), r.name);
    auto& sev = cells.emplace_back();
    if (r.kind == record_kind::notification || r.kind == record_kind::insight)
      sev = std::string(to_string(r.sev));
    std::string v = metrics_.text(r);
    if (v.empty()) append_text(v, to_view(r.val));
    if (wide_ || r.mtype != metric_type::histogram) {
      const auto f = detail::fields_text(r);
      if (!f.empty()) {
        if (!v.empty()) v.append(wide_ && r.mtype == metric_type::histogram ? " | " : " ");
        v += f;
      }
    }
    detail::append_printable(cells.emplace_back(), v);
    table_.row(std::move(cells), detail::severity_color(r));
  }
  void finish() override { table_.finish(); }

 private:
  static std::vector<std::string> header(bool wide) {
    if (wide) return {"TS", "KIND", "INSTANCE", "SOURCE", "NAME", "SEVERITY", "VALUE"};
    return {"TS", "KIND", "INSTANCE", "NAME", "SEVERITY", "VALUE"};
  }
  detail::aligned_table table_;
  output_style style_;
  bool wide_;
  metric_display metrics_;
};

inline std::unique_ptr<record_writer> make_record_writer(output_format f, std::FILE* out,
                                                         const output_style& st = {}) {
  switch (f) {
    case output_format::jsonl:
      return std::make_unique<jsonl_record_writer>(out);
    case output_format::csv:
      return std::make_unique<csv_record_writer>(out, st);
    default:
      return std::make_unique<table_record_writer>(out, st, f == output_format::wide);
  }
}

//! Prints aggregate rows: columns ts (when bucketed), the --by field (when grouped) and the
//! function's result (NaN, meaning no numeric input, is null / empty / "-").
inline void write_agg_rows(const std::vector<agg_row>& rows, const agg_spec& spec, output_format f,
                           std::FILE* out, const output_style& st = {}) {
  const bool bucketed = spec.every_ns > 0;
  const std::string by = spec.by ? spec.by->label() : std::string{};
  std::string fn{to_string(spec.fn)};
  if (spec.field) fn += "(" + spec.field->label() + ")";
  auto num = [](double v) { return fmt::format("{}", v); };
  if (f == output_format::table || f == output_format::wide) {
    std::vector<std::string> head;
    std::vector<bool> right;
    if (bucketed) head.push_back("TS"), right.push_back(false);
    if (spec.by) head.push_back(by), right.push_back(false);
    head.push_back(fn);
    right.push_back(true);
    detail::aligned_table t(out, head, right, st.table);
    for (const auto& r : rows) {
      std::vector<std::string> cells;
      if (bucketed) cells.push_back(detail::table_time(r.bucket_ns, st));
      if (spec.by) {
        std::string k;
        detail::append_printable(k, r.key);
        cells.push_back(std::move(k));
      }
      cells.push_back(std::isnan(r.value) ? "-" : num(r.value));
      t.row(std::move(cells));
    }
    t.finish();
    return;
  }
  detail::out_buffer o(out);
  auto& s = o.str();
  if (f == output_format::csv) {
    if (st.table.headers) {
      if (bucketed) s.append("ts,");
      if (spec.by) append_csv_cell(s, by), s.push_back(',');
      append_csv_cell(s, fn);
      s.append("\r\n");
    }
    for (const auto& r : rows) {
      if (bucketed) s.append(format_rfc3339(r.bucket_ns)).push_back(',');
      if (spec.by) append_csv_text(s, r.key, !st.csv_raw), s.push_back(',');
      if (!std::isnan(r.value)) s.append(num(r.value));
      s.append("\r\n");
      o.maybe_flush();
    }
    return;
  }
  for (const auto& r : rows) {
    s.push_back('{');
    if (bucketed) s.append("\"ts\":\"").append(format_rfc3339(r.bucket_ns)).append("\",");
    if (spec.by) {
      append_json_string(s, by);
      s.push_back(':');
      append_json_string(s, r.key);
      s.push_back(',');
    }
    append_json_string(s, fn);
    s.push_back(':');
    if (std::isnan(r.value) || std::isinf(r.value))
      s.append("null");
    else
      s.append(num(r.value));
    fmt::format_to(std::back_inserter(s), ",\"records\":{}}}\n", r.records);
    o.maybe_flush();
  }
}

}  // namespace introspect::inline v1
