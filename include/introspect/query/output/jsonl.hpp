#pragma once
//! JSON-lines output: a record as the tiny tier writes it, an aggregate row as one object.
#include <cmath>
#include <cstdio>
#include <iterator>
#include <string>
#include <vector>

#include <fmt/format.h>

#include <introspect/format/aligned_table.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/query/output/format.hpp>
#include <introspect/query/output/writer.hpp>

namespace introspect::inline v1::query::output {

//! JSON lines: the tiny tier's own line format, with each record's instance.
class jsonl_writer final : public writer {
 public:
  explicit jsonl_writer(std::FILE* f) : out_(f) {}
  void write(const record& r) override {
    if (r.instance != instance_) {
      instance_ = r.instance;
      enc_.set_instance(instance_);
    }
    enc_.encode(view_of(r, fields_), out_.str());
    out_.maybe_flush();
  }
  void write(const std::vector<agg::agg_row>& rows, const agg::agg_spec& spec) override {
    const auto c = detail::agg_columns_of(spec);
    auto& s = out_.str();
    for (const auto& r : rows) {
      s.push_back('{');
      if (c.bucketed) s.append("\"ts\":\"").append(format_rfc3339(r.bucket_ns)).append("\",");
      if (c.grouped) {
        append_json_string(s, c.by);
        s.push_back(':');
        append_json_string(s, r.key);
        s.push_back(',');
      }
      append_json_string(s, c.fn);
      s.push_back(':');
      if (std::isnan(r.value) || std::isinf(r.value))
        s.append("null");
      else
        s.append(detail::agg_number(r.value));
      fmt::format_to(std::back_inserter(s), ",\"records\":{}}}\n", r.records);
      out_.maybe_flush();
    }
  }
  void finish() override { out_.flush(); }

 private:
  introspect::detail::out_buffer out_;
  jsonl_encoder enc_{""};  // not a null view: json_escape would memcpy from nullptr
  std::string instance_;
  std::vector<field_view> fields_;
};

}  // namespace introspect::inline v1::query::output
