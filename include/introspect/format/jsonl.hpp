#pragma once
//! Encodes records as JSON lines: the tiny tier's file format and the CLI's jsonl output.
#include <array>
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
    case value_type::integer: {
      const fmt::format_int digits(v.as_int());
      out.append(digits.data(), digits.size());
      break;
    }
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
    // The text between the timestamp and the source is the same for every record of a kind.
    for (std::size_t k = 0; k < heads_.size(); ++k) {
      auto& h = heads_[k];
      h.assign("\",\"kind\":\"");
      h.append(to_string(static_cast<record_kind>(k)));
      h.append("\",\"instance\":");
      h.append(instance_json_);
      h.append(",\"source\":");
    }
  }

  //! Appends one line (with its '\n') for `r` to `out`.
  void encode(const record_view& r, std::string& out) {
    using namespace std::string_view_literals;
    append_ts(out, r.ts_ns);
    const auto k = static_cast<std::size_t>(r.kind);
    if (k < heads_.size()) {
      out.append(heads_[k]);
    } else {
      out.append("\",\"kind\":\""sv);
      out.append(to_string(r.kind));
      out.append("\",\"instance\":"sv);
      out.append(instance_json_);
      out.append(",\"source\":"sv);
    }
    append_json_string(out, r.source);
    out.append(",\"name\":"sv);
    append_json_string(out, r.name);
    if (r.kind == record_kind::notification || r.kind == record_kind::insight) {
      static constexpr std::string_view sev[] = {
          ",\"severity\":\"debug\""sv,  ",\"severity\":\"info\""sv,
          ",\"severity\":\"notice\""sv, ",\"severity\":\"warning\""sv,
          ",\"severity\":\"error\""sv,  ",\"severity\":\"critical\""sv};
      const auto i = static_cast<std::size_t>(r.sev);
      out.append(i < 6 ? sev[i] : ",\"severity\":\"unknown\""sv);
    }
    if (r.mtype != metric_type::none) {
      out.append(",\"type\":\""sv);
      out.append(to_string(r.mtype));
      out.push_back('"');
    }
    if (r.val.type() != value_type::none) {
      out.append(",\"value\":"sv);
      append_json_value(out, r.val);
    }
    if (!r.fields.empty()) append_fields(out, r);
    if (r.flags & flag_table) out.append(",\"table\":true"sv);
    out.append("}\n"sv);
  }

 private:
  void append_fields(std::string& out, const record_view& r) {
    out.append(",\"fields\":{", 11);
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

  // Appends {"ts":"<RFC 3339 time>.
  void append_ts(std::string& out, std::int64_t ns) {
    // The first whole second above INT64_MIN: earlier times (only a crafted frame holds them)
    // print as it, since their floored second times 1e9 does not fit in 64 bits.
    constexpr std::int64_t earliest = (INT64_MIN / 1'000'000'000 + 1) * 1'000'000'000;
    if (ns < earliest) ns = earliest;
    const std::int64_t sec = ns >= 0 ? ns / 1'000'000'000 : (ns - 999'999'999) / 1'000'000'000;
    if (sec != cached_sec_) {
      std::memcpy(cached_, "{\"ts\":\"", 7);
      format_rfc3339(sec * 1'000'000'000, cached_ + 7);
      cached_sec_ = sec;
    }
    const std::size_t at = out.size();
    out.resize(at + 7 + rfc3339_length);
    char* p = out.data() + at;
    std::memcpy(p, cached_, 7 + 20);
    detail::put_digits(p + 27, static_cast<std::uint64_t>(ns - sec * 1'000'000'000), 9);
    p[36] = 'Z';
  }

  std::string instance_json_;
  std::array<std::string, 8> heads_;  // indexed by record_kind
  std::int64_t cached_sec_ = INT64_MIN;
  char cached_[7 + rfc3339_length] = {};
};

}  // namespace introspect::inline v1
