#pragma once
//! Encodes records as JSON lines: the tiny tier's file format and the CLI's jsonl output.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/format/json_escape.hpp>
#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1 {

//! Appends a value as JSON (non-finite numbers become null, which JSON has no other word for).
inline void append_json_value(std::string& out, const value_view& v) {
  switch (v.type()) {
    case value_type::integer:
      fmt::format_to(std::back_inserter(out), "{}", v.as_int());
      break;
    case value_type::real:
      if (std::isfinite(v.as_real()))
        fmt::format_to(std::back_inserter(out), "{}", v.as_real());
      else
        out.append("null");
      break;
    case value_type::boolean:
      out.append(v.as_bool() ? "true" : "false");
      break;
    case value_type::string:
      append_json_string(out, v.as_string());
      break;
    default:
      out.append("null");
  }
}

//! Turns records into JSON lines for one instance; caches the formatted second so that a burst
//! of records in the same second formats only the fraction.
class jsonl_encoder {
 public:
  explicit jsonl_encoder(std::string_view instance = {}) { set_instance(instance); }

  void set_instance(std::string_view instance) {
    instance_json_.clear();
    append_json_string(instance_json_, instance);
  }

  //! Appends one line (with its '\n') for `r` to `out`.
  void encode(const record_view& r, std::string& out) {
    out.append("{\"ts\":\"");
    append_ts(out, r.ts_ns);
    out.append("\",\"kind\":\"");
    out.append(to_string(r.kind));
    out.append("\",\"instance\":");
    out.append(instance_json_);
    out.append(",\"source\":");
    append_json_string(out, r.source);
    out.append(",\"name\":");
    append_json_string(out, r.name);
    if (r.kind == record_kind::notification || r.kind == record_kind::insight) {
      out.append(",\"severity\":\"");
      out.append(to_string(r.sev));
      out.push_back('"');
    }
    if (r.mtype != metric_type::none) {
      out.append(",\"type\":\"");
      out.append(to_string(r.mtype));
      out.push_back('"');
    }
    if (r.val.type() != value_type::none) {
      out.append(",\"value\":");
      append_json_value(out, r.val);
    }
    if (!r.fields.empty()) append_fields(out, r);
    if (r.flags & flag_table) out.append(",\"table\":true");
    out.append("}\n");
  }

 private:
  void append_fields(std::string& out, const record_view& r) {
    out.append(",\"fields\":{");
    bool first = true;
    for (const auto& f : r.fields) {
      if (!first) out.push_back(',');
      first = false;
      append_json_string(out, f.key);
      out.push_back(':');
      append_json_value(out, f.value);
    }
    out.push_back('}');
  }

  void append_ts(std::string& out, std::int64_t ns) {
    const std::int64_t sec = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    if (sec != cached_sec_) {
      format_rfc3339(sec * 1'000'000'000, cached_);
      cached_sec_ = sec;
    }
    char buf[rfc3339_length];
    std::memcpy(buf, cached_, 20);
    detail::put_digits(buf + 20, static_cast<std::uint64_t>(ns - sec * 1'000'000'000), 9);
    buf[29] = 'Z';
    out.append(buf, rfc3339_length);
  }

  std::string instance_json_;
  std::int64_t cached_sec_ = INT64_MIN;
  char cached_[rfc3339_length] = {};
};

}  // namespace introspect::inline v1
