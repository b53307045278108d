#pragma once
//! The `--where` expression language's syntax tree, its limits on untrusted input and its
//! error type (query/expr/where.hpp compiles and evaluates it; query/expr/parser.hpp builds it).
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <introspect/core/value.hpp>
#include <introspect/query/expr/field_ref.hpp>

namespace introspect::inline v1::query::expr {

//! Longest expression accepted (characters).
inline constexpr std::size_t max_length = 16384;
//! Deepest nesting of '(' and 'not' accepted: parsing recurses per level, evaluation per node.
inline constexpr int max_depth = 200;

//! A malformed expression; what() names the problem and where it is.
class syntax_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

//! A comparison operator (~ and !~ match a glob).
enum class op { eq, ne, lt, le, gt, ge, glob, not_glob };
//! What a node does: join two nodes, negate one, test a field's presence, or compare it.
enum class node_kind { and_, or_, not_, exists, cmp };

//! A literal operand.
struct literal {
  value_type type = value_type::none;
  double num = 0;
  bool has_num = false;  //!< a string literal that reads as a number
  bool b = false;
  std::string str;
};

//! One node; `a` and `b` index the tree's nodes (-1: none).
struct node {
  node_kind kind;
  int a = -1, b = -1;
  field_ref field;
  op cmp = op::eq;
  literal lit;
  bool severity_rank = false;  //!< compare severities by rank
  std::int64_t lit_ns = 0;     //!< a ts literal, exact in nanoseconds
};

//! A parsed expression: its nodes, the root last built (empty: matches everything).
struct tree {
  std::vector<node> nodes;
  int root = -1;
};

//! `s` as a number when all of it reads as one.
inline std::optional<double> as_number(std::string_view s) {
  double d = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
  if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
  return d;
}

}  // namespace introspect::inline v1::query::expr
