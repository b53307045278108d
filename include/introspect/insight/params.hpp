#pragma once
//! Visitors over a rule's `describe`: the parameters as `param.*` evidence fields, and a list of
//! their names (for error messages and the docs test).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <introspect/core/kind.hpp>
#include <introspect/core/record.hpp>
#include <introspect/insight/duration.hpp>

namespace introspect::inline v1::insight {

namespace detail {
template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};
}  // namespace detail

//! Appends each set parameter as a field "param.<key>" (durations spelled like the rules file).
class param_writer {
 public:
  explicit param_writer(std::vector<field>& out) : out_(out) {}
  template <class T>
  void required(std::string_view key, const T& v, std::string_view) {
    put(key, v);
  }
  template <class T>
  void optional(std::string_view key, const T& v, std::string_view) {
    put(key, v);
  }

 private:
  template <class T>
  void put(std::string_view key, const T& v) {
    if constexpr (detail::is_optional<T>::value) {
      if (v) put(key, *v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!v.empty()) add(key, value{v});
    } else if constexpr (std::is_same_v<T, duration>) {
      add(key, value{format_duration(v.ns)});
    } else if constexpr (std::is_same_v<T, severity>) {
      add(key, value{std::string{to_string(v)}});
    } else if constexpr (std::is_same_v<T, bool>) {
      add(key, value{v});
    } else if constexpr (std::is_integral_v<T>) {
      add(key, value{static_cast<std::int64_t>(v)});
    } else {
      add(key, value{static_cast<double>(v)});
    }
  }
  void add(std::string_view key, value v) {
    out_.push_back(field{std::string{"param."}.append(key), std::move(v)});
  }
  std::vector<field>& out_;
};

//! A parameter's name, whether it is required, and its one-line documentation.
struct param_info {
  std::string_view key;
  bool required = false;
  std::string_view doc;
};

//! Collects the parameter names of a rule.
class param_lister {
 public:
  template <class T>
  void required(std::string_view key, const T&, std::string_view doc) {
    out.push_back({key, true, doc});
  }
  template <class T>
  void optional(std::string_view key, const T&, std::string_view doc) {
    out.push_back({key, false, doc});
  }
  std::vector<param_info> out;
};

//! The parameters of rule R, in the order `describe` names them.
template <class R>
std::vector<param_info> parameters_of() {
  param_lister l;
  const typename R::params p{};
  R::describe(p, l);
  return l.out;
}

}  // namespace introspect::inline v1::insight
