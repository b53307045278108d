#pragma once
// A notification whose message and attribute keys are template arguments, encoded with its
// constant bytes made at compile time. The payload is byte for byte the one encode_into() (and
// codec::encode) writes for the same notification — the writer, the store and every reader see
// no difference — but the call copies the constant runs (source, message, field count, each key
// with its length) as fixed-size moves and encodes only its values and severity between them:
// no record_view or attribute list built on the caller's stack, no length or page test per
// constant string. Measured: benchmarks/writer/notify_calls.cpp (docs/benchmarks.md).
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "introspect/core/fixed_string.hpp"
#include "introspect/core/product_source.hpp"
#include "introspect/core/record.hpp"
#include "introspect/pipeline/record_slot.hpp"

namespace introspect::inline v1::pipeline {

namespace detail {

// The bytes of a string as the payload holds it: its length as a varint, then its characters.
constexpr std::size_t run_bytes(std::string_view s) noexcept {
  return varint_size(s.size()) + s.size();
}
constexpr char* put_run_string(char* p, std::string_view s) noexcept {
  p = put_varint(p, s.size());
  for (char c : s) *p++ = c;
  return p;
}

}  // namespace detail

//! The constant part of one notification call site: the payload's bytes but the head and the
//! values, as runs — run 0 holds the source, the message, the notification's empty value, the
//! field count and the first key; run i (1 ≤ i < K) the key of value i.
template <fixed_string Message, fixed_string... Keys>
struct notification_site {
  static constexpr std::size_t fields = sizeof...(Keys);
  static constexpr std::string_view source = product_source;  // as introspection::make()

 private:
  static constexpr std::array<std::string_view, fields + 1> keys_{Keys.view()..., {}};
  static constexpr std::array<std::size_t, fields + 2> ends_ = [] {
    std::array<std::size_t, fields + 2> e{};
    e[0] = 0;
    e[1] = detail::run_bytes(source) + detail::run_bytes(Message.view()) + 1 +
           detail::varint_size(fields) + (fields ? detail::run_bytes(keys_[0]) : 0);
    for (std::size_t i = 1; i <= fields; ++i)
      e[i + 1] = e[i] + (i < fields ? detail::run_bytes(keys_[i]) : 0);
    return e;
  }();

 public:
  //! Bytes of all runs together.
  static constexpr std::size_t constant_bytes = ends_[fields + 1];

  //! The runs, one after the other (their bounds: run_begin / run_size).
  static constexpr std::array<char, constant_bytes> runs = [] {
    std::array<char, constant_bytes> b{};
    char* p = b.data();
    p = detail::put_run_string(p, source);
    p = detail::put_run_string(p, Message.view());
    *p++ = static_cast<char>(value_type::none);
    p = detail::put_varint(p, fields);
    for (std::size_t i = 0; i < fields; ++i) p = detail::put_run_string(p, keys_[i]);
    return b;
  }();
  template <std::size_t I>
  static constexpr std::size_t run_begin = ends_[I];
  template <std::size_t I>
  static constexpr std::size_t run_size = ends_[I + 1] - ends_[I];
};

namespace detail {

// How a call site's value is held and encoded: its type known where it is called, so that no
// value_view is built and no type is tested at run time.
template <class V, class T = std::remove_cvref_t<V>>
using site_value_t = std::conditional_t<
    std::is_same_v<T, bool>, bool,
    std::conditional_t<
        std::is_integral_v<T> && !std::is_same_v<T, char>, std::int64_t,
        std::conditional_t<std::is_floating_point_v<T>, double,
                           std::conditional_t<std::is_convertible_v<const V&, std::string_view>,
                                              std::string_view, value_view>>>>;

// Most bytes a value takes (before the chunked copies' slack), and exactly.
constexpr std::size_t site_value_bound(bool) noexcept { return 2; }
constexpr std::size_t site_value_bound(std::int64_t) noexcept { return value_room; }
constexpr std::size_t site_value_bound(double) noexcept { return 9; }
constexpr std::size_t site_value_bound(std::string_view s) noexcept {
  return 1 + length_room + s.size();
}
constexpr std::size_t site_value_bound(const value_view& v) noexcept {
  return value_room + v.string_size();
}
constexpr std::size_t site_value_size(bool) noexcept { return 2; }
constexpr std::size_t site_value_size(std::int64_t i) noexcept {
  return 1 + varint_size(codec::zigzag(i));
}
constexpr std::size_t site_value_size(double) noexcept { return 9; }
constexpr std::size_t site_value_size(std::string_view s) noexcept {
  return 1 + varint_size(s.size()) + s.size();
}
constexpr std::size_t site_value_size(const value_view& v) noexcept { return value_size(v); }

// Each writes the value's tag and bytes as put_value() does.
template <bool Chunked>
inline char* put_site_value(char* p, bool b) noexcept {
  p[0] = static_cast<char>(value_type::boolean);
  p[1] = b ? 1 : 0;
  return p + 2;
}
template <bool Chunked>
inline char* put_site_value(char* p, std::int64_t i) noexcept {
  *p = static_cast<char>(value_type::integer);
  return put_varint(p + 1, codec::zigzag(i));
}
template <bool Chunked>
inline char* put_site_value(char* p, double d) noexcept {
  *p = static_cast<char>(value_type::real);
  const auto bits = std::bit_cast<std::uint64_t>(d);
  for (int i = 0; i < 8; ++i) p[1 + i] = static_cast<char>(bits >> (8 * i));
  return p + 9;
}
template <bool Chunked>
inline char* put_site_value(char* p, std::string_view s) noexcept {
  *p = static_cast<char>(value_type::string);
  if constexpr (Chunked)
    return put_string_chunked(p + 1, s);
  else
    return put_string(p + 1, s);
}
template <bool Chunked>
inline char* put_site_value(char* p, const value_view& v) noexcept {
  return put_value<Chunked>(p, v);
}

}  // namespace detail

//! One call of a notification site as a payload source (record_slot.hpp): its time, severity and
//! values, each held as detail::site_value_t of what the product passed (views must live until
//! it is published).
template <class Site, class... Values>
struct site_source {
  static_assert(sizeof...(Values) == Site::fields, "one value per key");
  std::int64_t ts_ns;
  severity sev;
  std::tuple<Values...> values;

  [[nodiscard]] std::size_t bound() const noexcept {
    return std::apply(
        [](const Values&... v) {
          return (std::size_t{4 + Site::constant_bytes} + ... + detail::site_value_bound(v));
        },
        values);
  }
  [[nodiscard]] std::size_t exact_size() const noexcept {
    return std::apply(
        [](const Values&... v) {
          return (std::size_t{4 + Site::constant_bytes} + ... + detail::site_value_size(v));
        },
        values);
  }
  //! Writes the payload at `p` (as encode_into<Chunked>: with Chunked, room for bound() +
  //! chunk_slack bytes); returns its end.
  template <bool Chunked>
  char* encode(char* p) const noexcept {
    const std::uint32_t head = std::uint32_t{codec::payload_version} |
                               std::uint32_t{static_cast<std::uint8_t>(sev)} << 8 |
                               std::uint32_t{static_cast<std::uint8_t>(metric_type::none)} << 16 |
                               std::uint32_t{flag_none} << 24;
    __builtin_memcpy(p, &head, 4);
    p = copy_run<0>(p + 4);
    return encode_values<Chunked>(p, std::index_sequence_for<Values...>{});
  }

  // The payload-source functions (record_slot.hpp), found by argument-dependent lookup.
  friend std::int64_t source_ts(const site_source& s) noexcept { return s.ts_ns; }
  friend std::uint8_t source_kind(const site_source&) noexcept {
    return static_cast<std::uint8_t>(record_kind::notification);
  }
  friend std::size_t source_bound(const site_source& s) noexcept { return s.bound(); }
  friend std::size_t source_exact_size(const site_source& s) noexcept { return s.exact_size(); }
  template <bool Chunked>
  friend char* source_encode(const site_source& s, char* p) noexcept {
    return s.template encode<Chunked>(p);
  }

 private:
  // A run of a size known here: the copy compiles to fixed moves.
  template <std::size_t I>
  static char* copy_run(char* p) noexcept {
    if constexpr (Site::template run_size<I> != 0)
      __builtin_memcpy(p, Site::runs.data() + Site::template run_begin<I>,
                       Site::template run_size<I>);
    return p + Site::template run_size<I>;
  }
  template <bool Chunked, std::size_t... I>
  char* encode_values(char* p, std::index_sequence<I...>) const noexcept {
    ((p = copy_run<I + 1>(detail::put_site_value<Chunked>(p, std::get<I>(values)))), ...);
    return p;
  }
};

//! The payload source of one call of the site `Site` (values held by site_value_t).
template <class Site, class... V>
site_source<Site, detail::site_value_t<V>...> make_site_source(std::int64_t ts, severity s,
                                                               const V&... values) noexcept {
  return {ts, s, {detail::site_value_t<V>(values)...}};
}

}  // namespace introspect::inline v1::pipeline
