#pragma once
//! Names of a record's parts on the command line (`--where`, `--by`): ts, kind, instance,
//! source, name, severity, type, value, table and fields.<key>.
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <introspect/core/record.hpp>
#include <introspect/format/rfc3339.hpp>

namespace introspect::inline v1::query::expr {

//! A resolved reference to one part of a record.
struct field_ref {
  enum class part { ts, kind, instance, source, name, severity, type, value, table, field };
  part which = part::value;
  std::string key;  //!< for part::field: the key after "fields."

  //! The name as the user wrote it (used for column headers).
  std::string label() const {
    return which == part::field ? "fields." + key : std::string(names[static_cast<int>(which)]);
  }

  static constexpr std::string_view names[] = {"ts",       "kind", "instance", "source", "name",
                                               "severity", "type", "value",    "table"};
};

//! The words accepted by parse_field_ref, for error messages.
inline constexpr std::string_view known_fields =
    "ts, kind, instance, source, name, severity, type, value, table, fields.<key>";

//! Resolves `text` to a field reference, or nullopt if no record has such a part.
inline std::optional<field_ref> parse_field_ref(std::string_view text) {
  if (text.starts_with("fields.") && text.size() > 7)
    return field_ref{field_ref::part::field, std::string(text.substr(7))};
  for (int i = 0; i < 9; ++i)
    if (text == field_ref::names[i]) return field_ref{static_cast<field_ref::part>(i), {}};
  return std::nullopt;
}

//! The referenced part of `r` (a record or a scanned_record) as a value view (none if
//! absent); views into `r`.
template <class R>
value_view get_field(const R& r, const field_ref& f) noexcept {
  using P = field_ref::part;
  switch (f.which) {
    case P::ts:
      return value_view{r.ts_ns};
    case P::kind:
      return value_view{to_string(r.kind)};
    case P::instance:
      return value_view{std::string_view{r.instance}};
    case P::source:
      return value_view{std::string_view{r.source}};
    case P::name:
      return value_view{std::string_view{r.name}};
    case P::severity:
      if (r.kind != record_kind::notification && r.kind != record_kind::insight) return {};
      return value_view{to_string(r.sev)};
    case P::type:
      if (r.mtype == metric_type::none) return {};
      return value_view{to_string(r.mtype)};
    case P::value:
      return to_view(r.val);
    case P::table:
      return value_view{(r.flags & flag_table) != 0};
    case P::field:
      if (const auto* v = r.find_field(f.key)) return to_view(*v);
      return {};
  }
  return {};
}

//! A value as plain text (for tables, csv cells and group keys); none is empty.
inline void append_text(std::string& out, const value_view& v) {
  switch (v.type()) {
    case value_type::integer:
      fmt::format_to(std::back_inserter(out), "{}", v.as_int());
      break;
    case value_type::real:
      fmt::format_to(std::back_inserter(out), "{}", v.as_real());
      break;
    case value_type::boolean:
      out.append(v.as_bool() ? "true" : "false");
      break;
    case value_type::string:
      out.append(v.as_string());
      break;
    default:
      break;
  }
}

//! The text of a field for grouping and display: ts is formatted as RFC 3339.
template <class R>
std::string field_text(const R& r, const field_ref& f) {
  std::string s;
  if (f.which == field_ref::part::ts) return format_rfc3339(r.ts_ns);
  append_text(s, get_field(r, f));
  return s;
}

}  // namespace introspect::inline v1::query::expr
