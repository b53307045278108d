#pragma once
//! An insight's message from its rule's template (rule_def::message): {subject}, {name} and
//! {<evidence key>} replaced.
#include <string>
#include <string_view>
#include <variant>

#include <fmt/format.h>

#include <introspect/insight/duration.hpp>
#include <introspect/insight/episode.hpp>
#include <introspect/insight/rule.hpp>

namespace introspect::inline v1::insight::detail {

// Replaces {key} placeholders of a message template (see rule_def).
inline std::string render_message(std::string_view tpl, std::string_view subject,
                                  std::string_view name, const evidence& ev) {
  std::string out;
  std::size_t i = 0;
  while (i < tpl.size()) {
    const auto open = tpl.find('{', i);
    const auto close = open == std::string_view::npos ? open : tpl.find('}', open);
    if (close == std::string_view::npos) {
      out.append(tpl.substr(i));
      break;
    }
    out.append(tpl.substr(i, open - i));
    const auto key = tpl.substr(open + 1, close - open - 1);
    if (key == "subject") {
      out.append(subject);
    } else if (key == "name") {
      out.append(name);
    } else if (const value* v = ev.find(key)) {
      if (auto* d = std::get_if<double>(v))
        out.append(fmt::format("{:.4g}", *d));
      else
        out.append(value_text(*v));
    } else if (const value* ns = ev.find(std::string{key} + "_ns");
               ns && std::holds_alternative<std::int64_t>(*ns)) {
      out.append(human_duration(std::get<std::int64_t>(*ns)));
    } else {
      out.append(tpl.substr(open, close - open + 1));
    }
    i = close + 1;
  }
  return out;
}

}  // namespace introspect::inline v1::insight::detail
