#pragma once
//! Record and aggregate output: aligned tables for people, JSON lines and CSV for tools.
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/query/aggregate.hpp>
#include <introspect/query/csv.hpp>
#include <introspect/query/field_ref.hpp>

namespace introspect::inline v1 {

//! Output formats.
enum class output_format { table, jsonl, csv };

inline std::optional<output_format> parse_output_format(std::string_view s) noexcept {
  if (s == "table") return output_format::table;
  if (s == "jsonl" || s == "json") return output_format::jsonl;
  if (s == "csv") return output_format::csv;
  return std::nullopt;
}

namespace detail {

// Buffered writes to a FILE*: one fwrite per 64 KiB instead of one per record.
class out_buffer {
 public:
  explicit out_buffer(std::FILE* f) : f_(f) {}
  ~out_buffer() { flush(); }
  std::string& str() noexcept { return buf_; }
  void maybe_flush() {
    if (buf_.size() >= (64u << 10)) flush();
  }
  void flush() {
    if (!buf_.empty()) std::fwrite(buf_.data(), 1, buf_.size(), f_);
    buf_.clear();
  }
  std::FILE* file() const noexcept { return f_; }

 private:
  std::FILE* f_;
  std::string buf_;
};

// Text for a terminal: control characters would move the cursor, so they are escaped.
inline void append_printable(std::string& out, std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u != 0x7f) {
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else if (c == '\t') {
      out.append("\\t");
    } else {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", u);
    }
  }
}

inline std::string fields_text(const record& r) {
  std::string s;
  for (const auto& f : r.fields) {
    if (!s.empty()) s.push_back(' ');
    s.append(f.key);
    s.push_back('=');
    append_text(s, to_view(f.val));
  }
  return s;
}

// Display width of UTF-8 text: code points, which is right for the names records carry.
inline std::size_t display_width(std::string_view s) noexcept {
  std::size_t n = 0;
  for (char c : s) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return n;
}

// Columns padded to the widest cell of the first rows seen (later rows may stick out rather
// than holding the whole output in memory).
class aligned_table {
 public:
  aligned_table(std::FILE* f, std::vector<std::string> header, std::vector<bool> right = {})
      : out_(f), header_(std::move(header)), right_(std::move(right)) {
    right_.resize(header_.size(), false);
  }
  void row(std::vector<std::string> cells) {
    if (fixed_) {
      print(cells);
      return;
    }
    rows_.push_back(std::move(cells));
    if (rows_.size() >= 1000) fix();
  }
  void finish() {
    if (!fixed_) fix();
    out_.flush();
  }

 private:
  void fix() {
    fixed_ = true;
    width_.assign(header_.size(), 0);
    for (std::size_t i = 0; i < header_.size(); ++i) width_[i] = display_width(header_[i]);
    for (const auto& r : rows_)
      for (std::size_t i = 0; i < r.size() && i < width_.size(); ++i)
        width_[i] = std::max(width_[i], display_width(r[i]));
    print(header_);
    for (const auto& r : rows_) print(r);
    rows_.clear();
  }
  void print(const std::vector<std::string>& cells) {
    auto& s = out_.str();
    for (std::size_t i = 0; i < cells.size(); ++i) {
      const bool last = i + 1 == cells.size();
      const std::size_t pad =
          width_[i] > display_width(cells[i]) ? width_[i] - display_width(cells[i]) : 0;
      if (right_[i]) s.append(pad, ' ');
      s.append(cells[i]);
      if (!right_[i] && !last) s.append(pad, ' ');
      if (!last) s.append("  ");
    }
    s.push_back('\n');
    out_.maybe_flush();
  }

  out_buffer out_;
  std::vector<std::string> header_;
  std::vector<bool> right_;
  std::vector<std::size_t> width_;
  std::vector<std::vector<std::string>> rows_;
  bool fixed_ = false;
};

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
  explicit csv_record_writer(std::FILE* f) : out_(f) {
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
    append_csv_cell(s, r.instance);
    s.push_back(',');
    append_csv_cell(s, r.source);
    s.push_back(',');
    append_csv_cell(s, r.name);
    s.push_back(',');
    if (r.kind == record_kind::notification || r.kind == record_kind::insight)
      s.append(to_string(r.sev));
    s.push_back(',');
    if (r.mtype != metric_type::none) s.append(to_string(r.mtype));
    s.push_back(',');
    cell_.clear();
    append_text(cell_, to_view(r.val));
    append_csv_cell(s, cell_);
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
  std::string cell_;
};

//! An aligned table for people: time, kind, instance, source, name, severity, value and fields.
class table_record_writer final : public record_writer {
 public:
  explicit table_record_writer(std::FILE* f)
      : table_(f, {"TS", "KIND", "INSTANCE", "SOURCE", "NAME", "SEVERITY", "VALUE"}) {}
  void write(const record& r) override {
    std::vector<std::string> cells(7);
    cells[0] = format_rfc3339(r.ts_ns);
    cells[1] = std::string(to_string(r.kind));
    if (r.flags & flag_table) cells[1] += "*";  // a periodic table line, not a change
    detail::append_printable(cells[2], r.instance);
    detail::append_printable(cells[3], r.source);
    detail::append_printable(cells[4], r.name);
    if (r.kind == record_kind::notification || r.kind == record_kind::insight)
      cells[5] = std::string(to_string(r.sev));
    std::string v;
    append_text(v, to_view(r.val));
    const auto f = detail::fields_text(r);
    if (!f.empty()) {
      if (!v.empty()) v.push_back(' ');
      v += f;
    }
    detail::append_printable(cells[6], v);
    table_.row(std::move(cells));
  }
  void finish() override { table_.finish(); }

 private:
  detail::aligned_table table_;
};

inline std::unique_ptr<record_writer> make_record_writer(output_format f, std::FILE* out) {
  switch (f) {
    case output_format::jsonl:
      return std::make_unique<jsonl_record_writer>(out);
    case output_format::csv:
      return std::make_unique<csv_record_writer>(out);
    default:
      return std::make_unique<table_record_writer>(out);
  }
}

//! Prints aggregate rows: columns ts (when bucketed), the --by field (when grouped) and the
//! function's result (NaN, meaning no numeric input, is null / empty / "-").
inline void write_agg_rows(const std::vector<agg_row>& rows, const agg_spec& spec, output_format f,
                           std::FILE* out) {
  const bool bucketed = spec.every_ns > 0;
  const std::string by = spec.by ? spec.by->label() : std::string{};
  const std::string fn{to_string(spec.fn)};
  auto num = [](double v) { return fmt::format("{}", v); };
  if (f == output_format::table) {
    std::vector<std::string> head;
    std::vector<bool> right;
    if (bucketed) head.push_back("TS"), right.push_back(false);
    if (spec.by) head.push_back(by), right.push_back(false);
    head.push_back(fn);
    right.push_back(true);
    detail::aligned_table t(out, head, right);
    for (const auto& r : rows) {
      std::vector<std::string> cells;
      if (bucketed) cells.push_back(format_rfc3339(r.bucket_ns));
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
    if (bucketed) s.append("ts,");
    if (spec.by) append_csv_cell(s, by), s.push_back(',');
    s.append(fn).append("\r\n");
    for (const auto& r : rows) {
      if (bucketed) s.append(format_rfc3339(r.bucket_ns)).push_back(',');
      if (spec.by) append_csv_cell(s, r.key), s.push_back(',');
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
