#pragma once
//! Parses one line of the tiny tier's JSON-lines format back into a record (simdjson DOM: every
//! line is fully validated, trailing garbage included, which a cheaper lazy parse would miss).
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include <introspect/core/record.hpp>
#include <introspect/query/time_arg.hpp>

namespace introspect::inline v1::query::read {

//! Turns JSON lines into records, reusing the storage of `out` between calls.
class jsonl_record_parser {
 public:
  //! Parses `len` bytes at `data`; `capacity` bytes must be readable from `data` and
  //! capacity >= len + simdjson::SIMDJSON_PADDING. On failure returns false and says why.
  bool parse(const char* data, std::size_t len, std::size_t capacity, record& out,
             std::string& reason) {
    if (capacity < len + simdjson::SIMDJSON_PADDING)
      return parse(std::string_view{data, len}, out, reason);
    simdjson::dom::element doc;
    if (auto err = parser_.parse(data, len, false).get(doc)) {
      reason = describe(err, data, len);
      return false;
    }
    return decode(doc, out, reason);
  }

  //! Parses a line without padding guarantees (copies it into a padded buffer first).
  bool parse(std::string_view line, record& out, std::string& reason) {
    scratch_.assign(line);
    scratch_.append(simdjson::SIMDJSON_PADDING, '\0');
    return parse(scratch_.data(), line.size(), scratch_.size(), out, reason);
  }

 private:
  static std::string describe(simdjson::error_code err, const char* data, std::size_t len) {
    // A line cut short by a crash is the common case: say so rather than quote simdjson.
    std::string_view line{data, len};
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t'))
      line.remove_suffix(1);
    if (line.empty()) return "empty line";
    if (line.front() == '{' && line.back() != '}') return "truncated line (not valid JSON)";
    return std::string("not valid JSON (") + simdjson::error_message(err) + ")";
  }

  static bool decode_value(simdjson::dom::element e, value& out) {
    using T = simdjson::dom::element_type;
    switch (e.type()) {
      case T::INT64:
        out = e.get_int64().value_unsafe();
        return true;
      case T::UINT64: {
        const std::uint64_t u = e.get_uint64().value_unsafe();
        out = static_cast<double>(u);  // above INT64_MAX: keep the magnitude
        return true;
      }
      case T::DOUBLE:
        out = e.get_double().value_unsafe();
        return true;
      case T::BOOL:
        out = e.get_bool().value_unsafe();
        return true;
      case T::STRING: {
        const std::string_view s = e.get_string().value_unsafe();
        if (auto* cur = std::get_if<std::string>(&out))
          cur->assign(s);
        else
          out = std::string{s};
        return true;
      }
      case T::NULL_VALUE:
        out = std::monostate{};
        return true;
      default:  // nested arrays and objects are kept as their JSON text
        out = simdjson::minify(e);
        return true;
    }
  }

  static bool decode(simdjson::dom::element doc, record& out, std::string& reason) {
    simdjson::dom::object obj;
    if (doc.get_object().get(obj)) {
      reason = "not a JSON object";
      return false;
    }
    bool has_ts = false, has_kind = false, has_name = false;
    out.flags = flag_none;
    out.sev = severity::info;
    out.mtype = metric_type::none;
    out.instance.clear();
    out.source.clear();
    out.val = std::monostate{};
    std::size_t nf = 0;
    for (auto [key, val] : obj) {
      if (key == "ts") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "ts is not a string");
        auto ns = parse_rfc3339_checked(s);
        if (!ns) return fail(reason, "bad timestamp \"" + std::string(s.substr(0, 64)) + "\"");
        out.ts_ns = *ns;
        has_ts = true;
      } else if (key == "kind") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "kind is not a string");
        auto k = parse_record_kind(s);
        if (!k) return fail(reason, "unknown kind \"" + std::string(s.substr(0, 64)) + "\"");
        out.kind = *k;
        has_kind = true;
      } else if (key == "name") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "name is not a string");
        out.name.assign(s);
        has_name = true;
      } else if (key == "instance") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "instance is not a string");
        out.instance.assign(s);
      } else if (key == "source") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "source is not a string");
        out.source.assign(s);
      } else if (key == "severity") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "severity is not a string");
        auto sv = parse_severity(s);
        if (!sv) return fail(reason, "unknown severity \"" + std::string(s.substr(0, 64)) + "\"");
        out.sev = *sv;
      } else if (key == "type") {
        std::string_view s;
        if (val.get_string().get(s)) return fail(reason, "type is not a string");
        auto t = parse_metric_type(s);
        if (!t) return fail(reason, "unknown metric type \"" + std::string(s.substr(0, 64)) + "\"");
        out.mtype = *t;
      } else if (key == "value") {
        decode_value(val, out.val);
      } else if (key == "fields") {
        simdjson::dom::object fo;
        if (val.get_object().get(fo)) return fail(reason, "fields is not an object");
        for (auto [fk, fv] : fo) {
          if (nf == out.fields.size()) out.fields.emplace_back();
          auto& f = out.fields[nf++];
          f.key.assign(fk);
          decode_value(fv, f.val);
        }
      } else if (key == "table") {
        bool b = false;
        if (val.get_bool().get(b)) return fail(reason, "table is not a boolean");
        if (b) out.flags |= flag_table;
      }
      // Other keys are ignored: a newer writer may add some.
    }
    out.fields.resize(nf);
    if (!has_ts) return fail(reason, "missing \"ts\"");
    if (!has_kind) return fail(reason, "missing \"kind\"");
    if (!has_name) return fail(reason, "missing \"name\"");
    return true;
  }

  static bool fail(std::string& reason, std::string why) {
    reason = std::move(why);
    return false;
  }

  simdjson::dom::parser parser_;
  std::string scratch_;
};

}  // namespace introspect::inline v1::query::read
