#pragma once
//! Reads a JSON rules file (simdjson; link introspect::simdjson) into an engine configuration,
//! rejecting unknown rules, unknown keys, wrong types and missing parameters with the JSON path
//! of the bad key: `rules[2].params.window: expected a duration string like "5m"`.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include <introspect/insight/duration.hpp>
#include <introspect/insight/engine.hpp>
#include <introspect/insight/params.hpp>

namespace introspect::inline v1::insight {

//! One mistake in a rules file: where (a JSON path) and what.
struct rules_error {
  std::string path;
  std::string message;
  std::string text() const { return path + ": " + message; }
};

//! A configuration and the mistakes found; the configuration is only meaningful when ok().
template <class Rules>
struct parse_result {
  config<Rules> cfg;
  std::vector<rules_error> errors;
  bool ok() const noexcept { return errors.empty(); }
  //! Every error on its own line.
  std::string error_text() const {
    std::string out;
    for (const auto& e : errors) out += e.text() + "\n";
    return out;
  }
};

namespace detail {

using simdjson::dom::element;
using simdjson::dom::element_type;
using simdjson::dom::object;

inline std::string_view json_type_name(element_type t) noexcept {
  switch (t) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::INT64:
    case element_type::UINT64:
    case element_type::DOUBLE:
      return "a number";
    case element_type::STRING:
      return "a string";
    case element_type::BOOL:
      return "a boolean";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "something else";
}

// Text from the file as a quoted, escaped string: error messages go to a terminal, and a key
// or name holding control characters (C0, DEL, or C1 such as U+009B CSI) must not reach it raw.
inline std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    const auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0u;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\u{:04x}", c);
    } else if (c == 0xc2 && next >= 0x80 && next <= 0x9f) {  // UTF-8 of U+0080..U+009F
      out += fmt::format("\\u{:04x}", next);
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + '"';
}

// The JSON path of `key` in the object at `path` (`rules[0].params.window`); a key that is not
// a plain name (empty, dots, spaces, controls) is written `path["key"]`, so that every error names
// where it is (found by fuzz/targets/rules_file.cpp: `{"": []}` gave an empty path).
inline std::string key_path(const std::string& path, std::string_view key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  });
  if (plain) return path.empty() ? std::string{key} : path + "." + std::string{key};
  return (path.empty() ? std::string{"$"} : path) + "[" + quoted(key) + "]";
}

// Reads one JSON value into a parameter of type T; returns the error message or "".
inline std::string read_param(element el, std::string& out) {
  std::string_view s;
  if (el.get_string().get(s))
    return fmt::format("expected a string, got {}", json_type_name(el.type()));
  out.assign(s);
  return {};
}
inline std::string read_param(element el, double& out) {
  switch (el.type()) {
    case element_type::INT64:
      out = static_cast<double>(int64_t(el));
      return {};
    case element_type::UINT64:
      out = static_cast<double>(uint64_t(el));
      return {};
    case element_type::DOUBLE:
      out = double(el);
      return {};
    default:
      return fmt::format("expected a number, got {}", json_type_name(el.type()));
  }
}
inline std::string read_param(element el, std::int64_t& out) {
  if (el.type() == element_type::INT64) {
    out = int64_t(el);
    return {};
  }
  if (el.type() == element_type::DOUBLE) {
    // A whole number written as a double (3.0, 1e3). Range first: casting a double outside
    // int64 (1e30) is undefined behaviour, found by fuzz/targets/rules_file.cpp.
    const double d = double(el);
    if (d >= -0x1p63 && d < 0x1p63 && d == std::trunc(d)) {
      out = static_cast<std::int64_t>(d);
      return {};
    }
  }
  return fmt::format("expected an integer, got {}", json_type_name(el.type()));
}
inline std::string read_param(element el, bool& out) {
  if (el.get_bool().get(out))
    return fmt::format("expected true or false, got {}", json_type_name(el.type()));
  return {};
}
inline std::string read_param(element el, duration& out) {
  std::string_view s;
  std::optional<std::int64_t> ns;
  if (!el.get_string().get(s)) ns = parse_duration(s);
  if (!ns) return "expected a duration string like \"5m\"";
  out.ns = *ns;
  return {};
}
inline std::string read_param(element el, severity& out) {
  std::string_view s;
  std::optional<severity> sev;
  if (!el.get_string().get(s)) sev = parse_severity(s);
  if (!sev) return "expected a severity: debug, info, notice, warning, error or critical";
  out = *sev;
  return {};
}
template <class T>
std::string read_param(element el, std::optional<T>& out) {
  T v{};
  auto err = read_param(el, v);
  if (err.empty()) out = v;
  return err;
}

// The describe() visitor that reads a rule's "params" object.
class json_param_reader {
 public:
  json_param_reader(object obj, std::string path, std::vector<rules_error>& errors)
      : obj_(obj), path_(std::move(path)), errors_(errors) {}

  template <class T>
  void required(std::string_view key, T& v, std::string_view) {
    read(key, v, true);
  }
  template <class T>
  void optional(std::string_view key, T& v, std::string_view) {
    read(key, v, false);
  }

  //! Reports the keys no parameter claimed.
  void finish(std::string_view type) {
    for (auto [key, val] : obj_) {
      (void)val;
      if (known_.count(std::string{key})) continue;
      std::string names;
      for (const auto& k : order_) names += (names.empty() ? "" : ", ") + k;
      errors_.push_back({key_path(path_, key),
                         fmt::format("unknown parameter of {} (it takes: {})", type, names)});
    }
  }

 private:
  template <class T>
  void read(std::string_view key, T& v, bool required) {
    known_.insert(std::string{key});
    order_.emplace_back(key);
    element el;
    if (obj_.at_key(key).get(el)) {
      if (required)
        errors_.push_back({path_ + "." + std::string{key}, "missing required parameter"});
      return;
    }
    if (auto err = read_param(el, v); !err.empty())
      errors_.push_back({path_ + "." + std::string{key}, std::move(err)});
  }

  object obj_;
  std::string path_;
  std::vector<rules_error>& errors_;
  std::set<std::string> known_;
  std::vector<std::string> order_;
};

template <class X, class... R>
bool parse_rule_params(std::string_view type, object params, const std::string& path,
                       std::string name, severity sev, std::string message,
                       config<rules<R...>>& cfg, std::vector<rules_error>& errors) {
  if (type != X::type_name) return false;
  rule_def<X> def;
  def.name = std::move(name);
  def.sev = sev;
  def.message = std::move(message);
  const auto before = errors.size();
  json_param_reader reader(params, path, errors);
  X::describe(def.params, reader);
  reader.finish(X::type_name);
  if (errors.size() == before) {
    if (auto e = X::validate(def.params)) {
      errors.push_back({path + "." + e->key, e->message});
      return true;
    }
    cfg.add(std::move(def));
  }
  return true;
}

inline void check_keys(object obj, const std::string& path,
                       std::initializer_list<std::string_view> allowed,
                       std::vector<rules_error>& errors) {
  for (auto [key, val] : obj) {
    (void)val;
    bool ok = false;
    for (auto a : allowed) ok |= a == key;
    if (ok) continue;
    std::string names;
    for (auto a : allowed) names += std::string{names.empty() ? "" : ", "} + std::string{a};
    errors.push_back(
        {key_path(path, key), fmt::format("unknown key (expected one of: {})", names)});
  }
}

}  // namespace detail

//! The rule type names an engine over Rules accepts, comma-separated.
template <class... R>
std::string rule_names(rules<R...>) {
  std::string out;
  ((out += (out.empty() ? "" : ", ") + std::string{R::type_name}), ...);
  return out;
}

//! Parses a rules file's text. Every error is collected (not only the first).
template <class Rules>
parse_result<Rules> parse_rules(std::string_view json) {
  parse_result<Rules> res;
  auto& errors = res.errors;
  simdjson::dom::parser parser;
  simdjson::padded_string text(json);
  detail::element root;
  if (auto err = parser.parse(text).get(root)) {
    errors.push_back({"$", fmt::format("not valid JSON: {}", simdjson::error_message(err))});
    return res;
  }
  detail::object top;
  if (root.get_object().get(top)) {
    errors.push_back({"$", "expected an object with a \"rules\" array"});
    return res;
  }
  detail::check_keys(top, "", {"version", "options", "rules"}, errors);
  if (detail::element v; !top.at_key("version").get(v)) {
    std::int64_t version = 0;
    if (!detail::read_param(v, version).empty() || version != 1)
      errors.push_back({"version", "expected 1"});
  }
  if (detail::element o; !top.at_key("options").get(o)) {
    detail::object opts;
    if (o.get_object().get(opts)) {
      errors.push_back({"options", "expected an object"});
    } else {
      detail::check_keys(opts, "options", {"period", "update_min_periods", "update_delta"}, errors);
      duration period{res.cfg.opts.period_ns};
      auto read = [&](std::string_view key, auto& target) {
        detail::element el;
        if (opts.at_key(key).get(el)) return;
        if (auto e = detail::read_param(el, target); !e.empty())
          errors.push_back({"options." + std::string{key}, e});
      };
      read("period", period);
      read("update_min_periods", res.cfg.opts.update.min_periods);
      read("update_delta", res.cfg.opts.update.delta);
      if (period.ns <= 0) errors.push_back({"options.period", "must be positive"});
      res.cfg.opts.period_ns = period.ns;
      if (res.cfg.opts.update.min_periods < 0)
        errors.push_back({"options.update_min_periods", "must not be negative"});
      if (res.cfg.opts.update.delta < 0)
        errors.push_back({"options.update_delta", "must not be negative"});
    }
  }
  detail::element rules_el;
  simdjson::dom::array list;
  if (top.at_key("rules").get(rules_el)) {
    errors.push_back({"rules", "missing: the list of rules"});
    return res;
  }
  if (rules_el.get_array().get(list)) {
    errors.push_back({"rules", fmt::format("expected an array, got {}",
                                           detail::json_type_name(rules_el.type()))});
    return res;
  }
  std::set<std::string> names;
  std::size_t i = 0;
  for (detail::element item : list) {
    const std::string path = fmt::format("rules[{}]", i++);
    detail::object rule;
    if (item.get_object().get(rule)) {
      errors.push_back({path, "expected an object with \"name\", \"type\" and \"params\""});
      continue;
    }
    detail::check_keys(rule, path, {"name", "type", "severity", "message", "params"}, errors);
    std::string name, type, message;
    severity sev = severity::warning;
    auto get = [&](std::string_view key, auto& target, bool required) {
      detail::element el;
      if (rule.at_key(key).get(el)) {
        if (required) errors.push_back({path + "." + std::string{key}, "missing"});
        return false;
      }
      if (auto e = detail::read_param(el, target); !e.empty()) {
        errors.push_back({path + "." + std::string{key}, e});
        return false;
      }
      return true;
    };
    const bool has_name = get("name", name, true);
    const bool has_type = get("type", type, true);
    get("severity", sev, false);
    get("message", message, false);
    if (has_name && name.empty()) errors.push_back({path + ".name", "must not be empty"});
    if (has_name && !name.empty() && !names.insert(name).second)
      errors.push_back(
          {path + ".name", fmt::format("duplicate rule name {}", detail::quoted(name))});
    if (!has_type) continue;
    detail::object params;
    detail::element pel;
    simdjson::dom::parser empty_parser;
    if (rule.at_key("params").get(pel)) {
      // No "params": an empty object, so that each required parameter is reported as missing.
      detail::element empty;
      if (empty_parser.parse("{}", 2).get(empty) || empty.get_object().get(params)) continue;
    } else if (pel.get_object().get(params)) {
      errors.push_back({path + ".params", fmt::format("expected an object, got {}",
                                                      detail::json_type_name(pel.type()))});
      continue;
    }
    const bool known = [&]<class... R>(rules<R...>) {
      return (detail::parse_rule_params<R>(type, params, path + ".params", name, sev, message,
                                           res.cfg, errors) ||
              ...);
    }(Rules{});
    if (!known)
      errors.push_back({path + ".type", fmt::format("unknown rule {} (this engine has: {})",
                                                    detail::quoted(type), rule_names(Rules{}))});
  }
  return res;
}

//! Reads and parses a rules file; an unreadable file is an error with the file's path.
template <class Rules>
parse_result<Rules> load_rules_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    parse_result<Rules> res;
    res.errors.push_back({path, "cannot read the rules file"});
    return res;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_rules<Rules>(ss.str());
}

}  // namespace introspect::inline v1::insight
