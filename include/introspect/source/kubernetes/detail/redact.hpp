#pragma once
//! Redaction of Kubernetes objects before they are recorded as snapshots: a store or a
//! support bundle must not carry the cluster's credentials. On by default
//! (options::redact_snapshots); what is redacted is listed in docs/kubernetes.md.
#include <cctype>
#include <cstddef>
#include <string>
#include <string_view>

#include <simdjson.h>

#include <introspect/core/secrets.hpp>
#include <introspect/format/json_escape.hpp>

namespace introspect::inline v1::kubernetes::detail {

//! The text that replaces a redacted value.
inline constexpr std::string_view redacted_text = "<redacted>";
//! Objects nested deeper than this are recorded as a redacted placeholder: the walk recurses,
//! and no real object comes near (simdjson itself refuses documents deeper than 1024).
inline constexpr std::size_t max_redact_depth = 128;
//! The annotation where `kubectl apply` keeps the whole last-applied object (Secrets included).
inline constexpr std::string_view last_applied_annotation =
    "kubectl.kubernetes.io/last-applied-configuration";

// The one JSON escaper (format/json_escape.hpp): simdjson's strings are valid UTF-8 already.
using introspect::append_json_string;

// The object of one `env` entry: its value goes when the name or the value looks secret.
inline bool env_value_is_secret(simdjson::dom::object entry) {
  std::string_view name, value;
  if (entry["value"].get_string().get(value) != simdjson::SUCCESS) return false;
  if (entry["name"].get_string().get(name) != simdjson::SUCCESS) return true;
  return secret_like_name(name) || url_with_credentials(value);
}

//! Appends `e` as minified JSON with credentials redacted: `env[].value` whose name looks
//! secret (or whose value is a URL with a password), the last-applied-configuration
//! annotation, and, in a Secret (`secret` at the top), every value of `data` / `stringData`.
//! `metadata.managedFields` is left out at the top (server-side apply bookkeeping).
inline void append_redacted(std::string& out, simdjson::dom::element e, bool secret,
                            std::size_t depth = 0, std::string_view key = {}) {
  if (depth > max_redact_depth) {
    append_json_string(out, "<redacted: nested too deep>");
    return;
  }
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  if (e.get_array().get(arr) == simdjson::SUCCESS) {
    out.push_back('[');
    bool first = true;
    for (auto item : arr) {
      if (!first) out.push_back(',');
      first = false;
      simdjson::dom::object entry;
      if (key == "env" && item.get_object().get(entry) == simdjson::SUCCESS &&
          env_value_is_secret(entry)) {
        out.push_back('{');
        bool first_field = true;
        for (auto [k, v] : entry) {
          if (!first_field) out.push_back(',');
          first_field = false;
          append_json_string(out, k);
          out.push_back(':');
          if (k == "value")
            append_json_string(out, redacted_text);
          else
            append_redacted(out, v, false, depth + 2, k);
        }
        out.push_back('}');
        continue;
      }
      append_redacted(out, item, false, depth + 1);
    }
    out.push_back(']');
    return;
  }
  if (e.get_object().get(obj) != simdjson::SUCCESS) {
    out += simdjson::to_string(e);
    return;
  }
  // What this object's values are: all secret (a Secret's data), or one annotation.
  const bool all_values = secret && depth == 1 && (key == "data" || key == "stringData");
  const bool annotations = key == "annotations";
  out.push_back('{');
  bool first = true;
  for (auto [k, v] : obj) {
    if (depth == 1 && key == "metadata" && k == "managedFields") continue;
    if (!first) out.push_back(',');
    first = false;
    append_json_string(out, k);
    out.push_back(':');
    if (all_values || (annotations && k == last_applied_annotation))
      append_json_string(out, redacted_text);
    else
      append_redacted(out, v, secret, depth + 1, k);
  }
  out.push_back('}');
}

}  // namespace introspect::inline v1::kubernetes::detail
