#pragma once
//! Reflects a Boost.Hana struct into record fields: each member becomes one field.
#include <array>
#include <chrono>
#include <string>
#include <string_view>
#include <type_traits>

#include <boost/hana/accessors.hpp>
#include <boost/hana/concept/struct.hpp>
#include <boost/hana/for_each.hpp>
#include <boost/hana/length.hpp>
#include <boost/hana/pair.hpp>
#include <boost/hana/string.hpp>

#include <introspect/core/value.hpp>
#include <introspect/reflect/type_name.hpp>

namespace introspect::inline v1 {

//! True for structs adapted with BOOST_HANA_DEFINE_STRUCT or BOOST_HANA_ADAPT_STRUCT.
template <class T>
concept reflected_struct = boost::hana::Struct<T>::value;

namespace detail {

template <class>
inline constexpr bool is_duration = false;
template <class R, class P>
inline constexpr bool is_duration<std::chrono::duration<R, P>> = true;

template <class M>
inline constexpr bool is_field_type =
    std::is_arithmetic_v<M> || std::is_enum_v<M> || is_duration<M> ||
    std::is_convertible_v<const M&, std::string_view>;

template <class M>
value_view member_value(const M& m) noexcept {
  if constexpr (std::is_enum_v<M>)
    return value_view{static_cast<std::underlying_type_t<M>>(m)};
  else if constexpr (is_duration<M>)  // durations are stored in nanoseconds
    return value_view{std::chrono::duration_cast<std::chrono::nanoseconds>(m).count()};
  else if constexpr (std::is_same_v<M, char>)
    return value_view{std::string_view{&m, 1}};
  else if constexpr (std::is_arithmetic_v<M>)
    return value_view{m};
  else
    return value_view{std::string_view{m}};
}

}  // namespace detail

//! Number of fields a reflected struct produces.
template <reflected_struct T>
inline constexpr std::size_t field_count_v =
    decltype(boost::hana::length(boost::hana::accessors<T>()))::value;

//! The fields of `s`, viewing its members (valid while `s` lives).
template <reflected_struct T>
std::array<field_view, field_count_v<T>> reflect_fields(const T& s) noexcept {
  std::array<field_view, field_count_v<T>> out{};
  std::size_t i = 0;
  boost::hana::for_each(boost::hana::accessors<T>(), [&](auto acc) {
    using M = std::remove_cvref_t<decltype(boost::hana::second(acc)(s))>;
    static_assert(detail::is_field_type<M>,
                  "introspection::record(s): every member of a reflected struct must be a "
                  "number, bool, enum, std::chrono::duration or string; nested structs are not "
                  "fields");
    out[i].key = boost::hana::to<const char*>(boost::hana::first(acc));
    out[i].value = detail::member_value(boost::hana::second(acc)(s));
    ++i;
  });
  return out;
}

}  // namespace introspect::inline v1
