#pragma once
//! Table output for people: records as aligned rows with intervals of cumulative metrics
//! (agg/metric_display.hpp), aggregate rows as their own table.
#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <introspect/format/aligned_table.hpp>
#include <introspect/query/agg/metric_display.hpp>
#include <introspect/query/output/format.hpp>
#include <introspect/query/output/writer.hpp>

namespace introspect::inline v1::query::output {

//! An aligned table for people: time, kind, instance, name, severity and value (`wide`: also the
//! source and every field). A counter shows its value and its rate since the previous sample,
//! a histogram its count, mean and p99 of the interval since its previous snapshot.
class table_writer final : public writer {
 public:
  explicit table_writer(std::FILE* f, const output_style& st = {}, bool wide = false)
      : out_(f), style_(st), wide_(wide) {}
  void write(const record& r) override {
    if (!table_) table_.emplace(out_, header(wide_), std::vector<bool>{}, style_.table);
    std::vector<std::string> cells;
    cells.reserve(wide_ ? 7 : 6);
    cells.push_back(detail::table_time(r.ts_ns, style_));
    cells.emplace_back(to_string(r.kind));
    if (r.flags & flag_table) cells.back() += "*";  // a periodic table line, not a change
    introspect::detail::append_printable(cells.emplace_back(), r.instance);
    if (wide_) introspect::detail::append_printable(cells.emplace_back(), r.source);
    introspect::detail::append_printable(cells.emplace_back(), r.name);
    auto& sev = cells.emplace_back();
    if (r.kind == record_kind::notification || r.kind == record_kind::insight)
      sev = std::string(to_string(r.sev));
    std::string v = metrics_.text(r);
    if (v.empty()) expr::append_text(v, to_view(r.val));
    if (wide_ || r.mtype != metric_type::histogram) {
      const auto f = detail::fields_text(r);
      if (!f.empty()) {
        if (!v.empty()) v.append(wide_ && r.mtype == metric_type::histogram ? " | " : " ");
        v += f;
      }
    }
    introspect::detail::append_printable(cells.emplace_back(), v);
    table_->row(std::move(cells), detail::severity_color(r));
  }
  void write(const std::vector<agg::agg_row>& rows, const agg::agg_spec& spec) override {
    const auto c = detail::agg_columns_of(spec);
    std::vector<std::string> head;
    std::vector<bool> right;
    if (c.bucketed) head.push_back("TS"), right.push_back(false);
    if (c.grouped) head.push_back(c.by), right.push_back(false);
    head.push_back(c.fn);
    right.push_back(true);
    if (table_) table_->finish();
    table_.emplace(out_, std::move(head), std::move(right), style_.table);
    for (const auto& r : rows) {
      std::vector<std::string> cells;
      if (c.bucketed) cells.push_back(detail::table_time(r.bucket_ns, style_));
      if (c.grouped) {
        std::string k;
        introspect::detail::append_printable(k, r.key);
        cells.push_back(std::move(k));
      }
      cells.push_back(std::isnan(r.value) ? "-" : detail::agg_number(r.value));
      table_->row(std::move(cells));
    }
  }
  //! Prints the table (with its header even when it has no rows).
  void finish() override {
    if (!table_) table_.emplace(out_, header(wide_), std::vector<bool>{}, style_.table);
    table_->finish();
  }

 private:
  static std::vector<std::string> header(bool wide) {
    if (wide) return {"TS", "KIND", "INSTANCE", "SOURCE", "NAME", "SEVERITY", "VALUE"};
    return {"TS", "KIND", "INSTANCE", "NAME", "SEVERITY", "VALUE"};
  }
  std::FILE* out_;
  output_style style_;
  bool wide_;
  std::optional<introspect::detail::aligned_table> table_;  // records' or an aggregate's
  agg::metric_display metrics_;
};

}  // namespace introspect::inline v1::query::output
