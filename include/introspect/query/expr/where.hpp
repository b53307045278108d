#pragma once
//! `--where` expressions: comparisons of record parts with literals, joined by and/or/not.
//!
//! @code
//! auto e = where_expr::parse("value > 100 and (fields.disk == 'sdb' or not name ~ 'cache.*')");
//! if (e.matches(rec)) ...
//! @endcode
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <introspect/core/glob.hpp>
#include <introspect/core/record.hpp>
#include <introspect/query/expr/ast.hpp>
#include <introspect/query/expr/field_ref.hpp>
#include <introspect/query/expr/parser.hpp>

namespace introspect::inline v1::query::expr {

//! A malformed --where expression; what() names the problem and where it is.
using where_error = query::expr::syntax_error;

//! A compiled --where expression.
//!
//! Grammar (keywords case-insensitive):
//!   expr := term { ("or" | "||") term }       term := factor { ("and" | "&&") factor }
//!   factor := ("not" | "!") factor | "(" expr ")" | operand [op operand]
//!   op := == | = | != | <> | < | <= | > | >= | ~ (glob) | !~
//!   operand := field | 'string' | "string" | number | true | false
//! A bare field is true when the record has it. Comparing with a part the record lacks is
//! false (so `not fields.x == 1` is true for records without x). Numbers compare numerically
//! (a string that reads as a number too); ts compares with an RFC 3339 or relative time;
//! severity compares by rank (`severity >= warning`).
class where_expr {
 public:
  //! Compiles `text`; throws where_error for bad syntax or an unknown field.
  static where_expr parse(std::string_view text, std::int64_t now_ns = 0) {
    where_expr e;
    e.t_ = query::expr::parse(text, now_ns);
    return e;
  }

  //! Limits on untrusted input: parsing recurses per '(' and 'not', and evaluation per node.
  static constexpr std::size_t max_length = query::expr::max_length;
  static constexpr int max_depth = query::expr::max_depth;

  //! True if `r` satisfies the expression (an empty expression matches everything).
  template <class R>
  bool matches(const R& r) const {
    return t_.nodes.empty() ? true : eval(static_cast<std::size_t>(t_.root), r);
  }

 private:
  using op = query::expr::op;
  using node_kind = query::expr::node_kind;
  using node = query::expr::node;
  static std::optional<double> as_number(std::string_view s) { return query::expr::as_number(s); }

  static int cmp3(double x, double y) { return x < y ? -1 : (x > y ? 1 : 0); }
  static int cmp3(std::string_view x, std::string_view y) {
    const int c = x.compare(y);
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  static bool apply(op o, int c) {
    switch (o) {
      case op::eq:
        return c == 0;
      case op::ne:
        return c != 0;
      case op::lt:
        return c < 0;
      case op::le:
        return c <= 0;
      case op::gt:
        return c > 0;
      case op::ge:
        return c >= 0;
      default:
        return false;
    }
  }
  template <class R>
  bool compare(const node& n, const R& r) const {
    const value_view v = get_field(r, n.field);
    if (v.type() == value_type::none) return false;
    if (n.cmp == op::glob || n.cmp == op::not_glob) {
      std::string text;
      append_text(text, v);
      return glob_match(n.lit.str, text) == (n.cmp == op::glob);
    }
    if (n.severity_rank) return apply(n.cmp, cmp3(static_cast<double>(r.sev), n.lit.num));
    if (v.type() == value_type::string) {
      if (n.lit.type == value_type::string) return apply(n.cmp, cmp3(v.as_string(), n.lit.str));
      auto d = as_number(v.as_string());
      if (!d) return n.cmp == op::ne;  // "abc" is not 5
      return apply(n.cmp, cmp3(*d, n.lit.num));
    }
    // v is numeric or boolean
    if (n.lit.type == value_type::string && !n.lit.has_num) return n.cmp == op::ne;
    if (v.type() == value_type::integer && n.lit.type == value_type::integer &&
        std::abs(n.lit.num) < 9e15)  // exact for ts in ns and large counters
      return apply(n.cmp, v.as_int() < static_cast<std::int64_t>(n.lit.num)   ? -1
                          : v.as_int() > static_cast<std::int64_t>(n.lit.num) ? 1
                                                                              : 0);
    if (n.field.which == field_ref::part::ts)
      return apply(n.cmp, v.as_int() < n.lit_ns ? -1 : (v.as_int() > n.lit_ns ? 1 : 0));
    return apply(n.cmp, cmp3(v.as_number(), n.lit.num));
  }

  template <class R>
  bool eval(std::size_t i, const R& r) const {
    const node& n = t_.nodes[i];
    switch (n.kind) {
      case node_kind::and_:
        return eval(static_cast<std::size_t>(n.a), r) && eval(static_cast<std::size_t>(n.b), r);
      case node_kind::or_:
        return eval(static_cast<std::size_t>(n.a), r) || eval(static_cast<std::size_t>(n.b), r);
      case node_kind::not_:
        return !eval(static_cast<std::size_t>(n.a), r);
      case node_kind::exists:
        return get_field(r, n.field).type() != value_type::none;
      case node_kind::cmp:
        return compare(n, r);
    }
    return false;
  }

  query::expr::tree t_;
};

}  // namespace introspect::inline v1::query::expr
