#pragma once
//! The vocabulary every rule policy shares: how a record is matched to a subject, how a rule
//! reads numbers from records, and how parameter errors are reported.
//!
//! A rule is a policy type R with:
//! @code
//! static constexpr std::string_view type_name;          // "threshold", as in the rules file
//! struct params;                                         // its parameters, with defaults
//! template <class P, class V> static void describe(P&, V&);  // names each parameter once
//! static std::optional<param_error> validate(const params&);
//! static void prepare(params&);              // optional: precompute from validated params
//! static std::optional<match> select(const params&, const record_key&);
//! struct state { std::string subject; ... };             // per subject
//! static bool observe(const params&, state&, episode&, const record_view&, std::uint8_t role);
//! static void evaluate(const params&, state&, episode&, const tick_context&);
//! static std::int64_t window_ns(const params&);
//! @endcode
//! `describe` calls v.required(key, member, doc) or v.optional(key, member, doc) per parameter;
//! the rules-file reader, the evidence writer and the docs test are visitors over it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <fmt/format.h>

#include <introspect/core/glob.hpp>
#include <introspect/core/kind.hpp>
#include <introspect/core/record.hpp>

namespace introspect::inline v1::insight {

//! What routing knows about a record: it is cached per (kind, source, name).
struct record_key {
  record_kind kind = record_kind::metric;
  std::string_view source;
  std::string_view name;
};

//! A rule's answer to a record key: the subject it belongs to and the record's role in it.
struct match {
  std::string subject;      // the insight's subject (a metric name, a state key, a source...)
  std::uint8_t role = 0;    // e.g. the exhaustion rule's companion limit gauge is role 1
  bool per_record = false;  // the subject depends on the record itself (e.g. its severity)
};

//! A parameter that is wrong for reasons beyond its JSON type.
struct param_error {
  std::string key;
  std::string message;
};

//! A record-kind filter parameter: "any" or a kind name.
inline bool kind_matches(std::string_view filter, record_kind k) noexcept {
  return filter.empty() || filter == "any" || filter == to_string(k);
}
inline bool kind_filter_valid(std::string_view filter) noexcept {
  return filter.empty() || filter == "any" || parse_record_kind(filter).has_value();
}

//! A glob or a literal name, whichever is cheaper for the pattern.
inline bool name_matches(std::string_view pattern, std::string_view name) noexcept {
  return glob_is_literal(pattern) ? pattern == name : glob_match(pattern, name);
}

//! For a pattern with exactly one `*` and no other metacharacter, the text `*` matched in `name`;
//! for other patterns, the whole name if it matches. Used to pair "disk.*.used_bytes" with
//! "disk.*.capacity_bytes" through the device name.
inline std::optional<std::string_view> glob_capture(std::string_view pattern,
                                                    std::string_view name) noexcept {
  const auto star = pattern.find('*');
  const bool simple = star != std::string_view::npos &&
                      pattern.find_first_of("*?[\\", star + 1) == std::string_view::npos &&
                      pattern.find_first_of("?[\\") == std::string_view::npos;
  if (!simple) {
    if (!name_matches(pattern, name)) return std::nullopt;
    return name;
  }
  const auto prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  if (name.size() < prefix.size() + suffix.size() || !name.starts_with(prefix) ||
      !name.ends_with(suffix))
    return std::nullopt;
  return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
}

//! `pattern` with its first `*` replaced by `capture`.
inline std::string glob_fill(std::string_view pattern, std::string_view capture) {
  std::string out{pattern};
  if (auto star = out.find('*'); star != std::string::npos) out.replace(star, 1, capture);
  return out;
}

//! A field of a record by key, or a value of type none.
inline value_view field_of(const record_view& r, std::string_view key) noexcept {
  for (const auto& f : r.fields)
    if (f.key == key) return f.value;
  return {};
}

//! The number a rule reads from a record: its value, or a numeric field when `field` is set.
inline std::optional<double> numeric(const record_view& r, std::string_view field) noexcept {
  const value_view v = field.empty() ? r.val : field_of(r, field);
  switch (v.type()) {
    case value_type::integer:
    case value_type::real:
    case value_type::boolean:
      return v.as_number();
    default:
      return std::nullopt;
  }
}

//! True if an owning value equals a view (a state that did not change).
inline bool same_value(const value& a, const value_view& b) noexcept {
  switch (b.type()) {
    case value_type::integer:
      return std::holds_alternative<std::int64_t>(a) && std::get<std::int64_t>(a) == b.as_int();
    case value_type::real:
      return std::holds_alternative<double>(a) && std::get<double>(a) == b.as_real();
    case value_type::boolean:
      return std::holds_alternative<bool>(a) && std::get<bool>(a) == b.as_bool();
    case value_type::string:
      return std::holds_alternative<std::string>(a) && std::get<std::string>(a) == b.as_string();
    default:
      return std::holds_alternative<std::monostate>(a);
  }
}

//! A subject derived from a record key: "source", "name", "all" or "prefix" (the first `depth`
//! segments of the name, split at any of `separators`).
inline std::optional<std::string> subject_of(std::string_view by, const record_key& k,
                                             std::int64_t depth = 1,
                                             std::string_view separators = "./") {
  if (by == "source") return std::string{k.source};
  if (by == "name") return std::string{k.name};
  if (by == "all") return std::string{"*"};
  if (by == "prefix") {
    std::size_t pos = 0;
    for (std::int64_t i = 0; i < depth; ++i) {
      pos = k.name.find_first_of(separators, pos);
      if (pos == std::string_view::npos) return std::string{k.name};
      if (i + 1 < depth) ++pos;
    }
    return std::string{k.name.substr(0, pos)};
  }
  return std::nullopt;
}

//! A textual value for evidence: a state's value as a string.
inline std::string value_text(const value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::monostate>)
          return "";
        else if constexpr (std::is_same_v<X, std::string>)
          return x;
        else if constexpr (std::is_same_v<X, bool>)
          return x ? "true" : "false";
        else
          return fmt::format("{}", x);
      },
      v);
}

}  // namespace introspect::inline v1::insight
