#pragma once
//! CSV cells as RFC 4180 says: a cell with a comma, quote, CR or LF is quoted, quotes doubled;
//! text cells are also kept from being read as formulas (append_csv_text); and the CSV writer.
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/format/aligned_table.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/format/rfc3339.hpp>
#include <introspect/query/output/format.hpp>
#include <introspect/query/output/writer.hpp>

namespace introspect::inline v1::query::output {

//! Appends `cell` to `out`, quoted when needed.
inline void append_csv_cell(std::string& out, std::string_view cell) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(cell);
    return;
  }
  out.push_back('"');
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

//! Appends a text cell that may come from outside (names, string values): with `guard`, a cell
//! a spreadsheet would run as a formula (starting with = + - @, tab or CR) is written as text
//! with a leading apostrophe, quoted, as OWASP's "CSV injection" page recommends.
inline void append_csv_text(std::string& out, std::string_view cell, bool guard = true) {
  if (!guard || cell.empty() ||
      std::string_view{"=+-@\t\r"}.find(cell[0]) == std::string_view::npos) {
    append_csv_cell(out, cell);
    return;
  }
  out.append("\"'");
  for (char c : cell) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

//! CSV (RFC 4180) with a header; fields are one cell holding a JSON object.
class csv_writer final : public writer {
 public:
  explicit csv_writer(std::FILE* f, const output_style& st = {})
      : out_(f), guard_(!st.csv_raw), header_(st.table.headers) {}
  void write(const record& r) override {
    auto& s = out_.str();
    if (header_) {
      header_ = false;
      s.append("ts,kind,instance,source,name,severity,type,value,fields,table\r\n");
    }
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
    expr::append_text(cell_, to_view(r.val));
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
  void write(const std::vector<agg::agg_row>& rows, const agg::agg_spec& spec) override {
    const auto c = detail::agg_columns_of(spec);
    auto& s = out_.str();
    if (header_) {
      header_ = false;
      if (c.bucketed) s.append("ts,");
      if (c.grouped) append_csv_cell(s, c.by), s.push_back(',');
      append_csv_cell(s, c.fn);
      s.append("\r\n");
    }
    for (const auto& r : rows) {
      if (c.bucketed) s.append(format_rfc3339(r.bucket_ns)).push_back(',');
      if (c.grouped) append_csv_text(s, r.key, guard_), s.push_back(',');
      if (!std::isnan(r.value)) s.append(detail::agg_number(r.value));
      s.append("\r\n");
      out_.maybe_flush();
    }
  }
  //! An empty result still has its (record) header.
  void finish() override {
    if (header_) {
      header_ = false;
      out_.str().append("ts,kind,instance,source,name,severity,type,value,fields,table\r\n");
    }
    out_.flush();
  }

 private:
  introspect::detail::out_buffer out_;
  bool guard_;
  bool header_;  // the header is still to be written (records and aggregates have their own)
  std::string cell_;
};

}  // namespace introspect::inline v1::query::output
