#pragma once
//! Non-owning and owning values of records: numbers, booleans and strings.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace introspect::inline v1 {

//! The type held by a value.
enum class value_type : std::uint8_t { none = 0, integer, real, boolean, string };

//! A non-owning value; cheap to build on the stack in the recording path.
//!
//! 24 bytes: the payload (an integer, a real, a boolean or a string's first byte's address) in
//! one word, the string's length (0 for every other type) and the type. A product's call builds
//! one per attribute on its stack (a notification's initializer list): three words each instead
//! of five. An accessor of another type than the one held gives that type's zero.
class value_view {
 public:
  constexpr value_view() noexcept = default;
  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) constexpr value_view(I v) noexcept
      : i_(static_cast<std::int64_t>(v)), type_(value_type::integer) {}
  template <std::floating_point F>
  constexpr value_view(F v) noexcept : d_(static_cast<double>(v)), type_(value_type::real) {}
  template <std::same_as<bool> B>  // a template so that pointers never convert to bool
  constexpr value_view(B v) noexcept : b_(v), type_(value_type::boolean) {}
  constexpr value_view(std::string_view s) noexcept
      : p_(s.data()), n_(s.size()), type_(value_type::string) {}
  constexpr value_view(const char* s) noexcept : value_view(std::string_view{s}) {}
  value_view(const std::string& s) noexcept : value_view(std::string_view{s}) {}

  constexpr value_type type() const noexcept { return type_; }
  constexpr std::int64_t as_int() const noexcept { return type_ == value_type::integer ? i_ : 0; }
  constexpr double as_real() const noexcept { return type_ == value_type::real ? d_ : 0.0; }
  constexpr bool as_bool() const noexcept { return type_ == value_type::boolean && b_; }
  constexpr std::string_view as_string() const noexcept {
    return type_ == value_type::string ? std::string_view{p_, n_} : std::string_view{};
  }
  //! as_string().size() without the test of the type: 0 for every other type.
  constexpr std::size_t string_size() const noexcept { return n_; }
  //! The value as a number (integers widened, booleans 0/1); strings and none give 0.
  constexpr double as_number() const noexcept {
    switch (type_) {
      case value_type::integer:
        return static_cast<double>(i_);
      case value_type::real:
        return d_;
      case value_type::boolean:
        return b_ ? 1.0 : 0.0;
      default:
        return 0.0;
    }
  }

 private:
  union {
    std::int64_t i_ = 0;
    double d_;
    bool b_;
    const char* p_;
  };
  std::size_t n_ = 0;  // the string's length; 0 for every other type
  value_type type_ = value_type::none;
};

//! A named value in a record's fields (notification attributes, struct members).
struct field_view {
  std::string_view key;
  value_view value;
};

//! An owning value, as decoded by readers.
using value = std::variant<std::monostate, std::int64_t, double, bool, std::string>;

inline value to_value(const value_view& v) {
  switch (v.type()) {
    case value_type::integer:
      return v.as_int();
    case value_type::real:
      return v.as_real();
    case value_type::boolean:
      return v.as_bool();
    case value_type::string:
      return std::string{v.as_string()};
    default:
      return std::monostate{};
  }
}

//! A view is its own view (lets code take owning and viewing records alike).
constexpr value_view to_view(const value_view& v) noexcept { return v; }

inline value_view to_view(const value& v) noexcept {
  return std::visit(
      [](const auto& x) -> value_view {
        using X = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<X, std::monostate>)
          return {};
        else
          return value_view{x};
      },
      v);
}

//! An owning field.
struct field {
  std::string key;
  value val;
};

}  // namespace introspect::inline v1
