#pragma once
//! The `--where` expression language's parser (grammar in query/expr/where.hpp): builds an
//! expr::tree, refusing what is longer or deeper than the limits in query/expr/ast.hpp.
#include <cmath>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <introspect/core/record.hpp>
#include <introspect/query/expr/ast.hpp>
#include <introspect/query/expr/field_ref.hpp>
#include <introspect/query/expr/lexer.hpp>
#include <introspect/query/time_arg.hpp>

namespace introspect::inline v1::query::expr {

//! Recursive descent over a lexer's tokens into `out`; `now` resolves relative times.
struct parser : lexer {
  tree& out;
  std::int64_t now;
  int depth = 0;

  parser(std::string_view text, tree& t, std::int64_t now_ns) : lexer{text}, out(t), now(now_ns) {}

  // One level of '(' or 'not': past max_depth the expression is refused, not recursed into
  // (20 000 nested parentheses overflowed the stack).
  struct nest {
    parser& p;
    explicit nest(parser& pp, std::size_t pos) : p(pp) {
      if (++p.depth > max_depth)
        p.fail("nested deeper than " + std::to_string(max_depth) + " levels", pos);
    }
    ~nest() { --p.depth; }
    nest(const nest&) = delete;
    nest& operator=(const nest&) = delete;
  };

  // A number of nanoseconds as int64, saturated: a double beyond the range (1e30) converted
  // directly is undefined behaviour (on x86 it turned `ts > 1e30` true for every record).
  static std::int64_t clamp_ns(double d) noexcept {
    constexpr double lim = 9.2e18;  // below 2^63, so the cast in range is exact enough
    if (d >= lim) return std::numeric_limits<std::int64_t>::max();
    if (d <= -lim) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
  }

  int add(node n) {
    out.nodes.push_back(std::move(n));
    return static_cast<int>(out.nodes.size() - 1);
  }

  int parse_all() {
    advance();
    if (cur.t == token::end) fail("empty expression", 0);
    const int r = parse_or();
    if (cur.t != token::end)
      fail("unexpected \"" + std::string(s.substr(cur.pos, 16)) + "\"", cur.pos);
    return r;
  }
  int parse_or() {
    int l = parse_and();
    while (cur.t == token::or_) {
      advance();
      const int r = parse_and();
      l = add(node{node_kind::or_, l, r, {}, op::eq, {}, false});
    }
    return l;
  }
  int parse_and() {
    int l = parse_not();
    while (cur.t == token::and_) {
      advance();
      const int r = parse_not();
      l = add(node{node_kind::and_, l, r, {}, op::eq, {}, false});
    }
    return l;
  }
  int parse_not() {
    if (cur.t == token::not_) {
      const nest guard(*this, cur.pos);
      advance();
      const int a = parse_not();
      return add(node{node_kind::not_, a, -1, {}, op::eq, {}, false});
    }
    if (cur.t == token::lparen) {
      const auto pos = cur.pos;
      const nest guard(*this, pos);
      advance();
      const int a = parse_or();
      if (cur.t != token::rparen) fail("missing ')' for '('", pos);
      advance();
      return a;
    }
    return parse_cmp();
  }

  // A literal token, or nullopt if the token is a field name.
  std::optional<literal> as_literal(const token& t) {
    literal l;
    if (t.t == token::str) {
      l.type = value_type::string;
      l.str = t.text;
      if (auto d = as_number(t.text)) l.num = *d, l.has_num = true;
      return l;
    }
    if (t.t == token::num) {
      auto d = as_number(t.text);
      if (!d) fail("bad number \"" + t.text + "\"", t.pos);
      l.type =
          t.text.find_first_of(".eE") == std::string::npos ? value_type::integer : value_type::real;
      l.num = *d;
      l.has_num = true;
      l.str = t.text;
      return l;
    }
    if (t.t == token::ident) {
      const auto w = lower(t.text);
      if (w == "true" || w == "false") {
        l.type = value_type::boolean;
        l.b = w == "true";
        l.num = l.b ? 1 : 0;
        l.has_num = true;
        l.str = w;
        return l;
      }
    }
    return std::nullopt;
  }

  field_ref as_field(const token& t) {
    if (t.t != token::ident) fail("expected a field name or a literal", t.pos);
    auto f = parse_field_ref(t.text);
    if (!f)
      fail("unknown field \"" + t.text + "\" (known: " + std::string(known_fields) + ")", t.pos);
    return *f;
  }

  static op mirror(op o) {
    switch (o) {
      case op::lt:
        return op::gt;
      case op::le:
        return op::ge;
      case op::gt:
        return op::lt;
      case op::ge:
        return op::le;
      default:
        return o;
    }
  }

  int parse_cmp() {
    if (cur.t != token::ident && cur.t != token::str && cur.t != token::num)
      fail(cur.t == token::end ? "expression ends too early" : "expected a comparison", cur.pos);
    token lhs = cur;
    advance();
    if (cur.t != token::op_) {
      if (as_literal(lhs)) fail("a literal alone is not a condition", lhs.pos);
      node n{node_kind::exists, -1, -1, as_field(lhs), op::eq, {}, false};
      return add(std::move(n));
    }
    op o = cur.o;
    const auto op_pos = cur.pos;
    advance();
    token rhs = cur;
    if (rhs.t != token::ident && rhs.t != token::str && rhs.t != token::num)
      fail("expected a value after the operator", rhs.pos);
    advance();
    auto llit = as_literal(lhs);
    auto rlit = as_literal(rhs);
    if (llit && rlit) fail("compare a field with a literal, not two literals", lhs.pos);
    if (!llit && !rlit) {
      // field op bare-word: a bare word that is not a field is a string (severity >= warning).
      if (!parse_field_ref(rhs.text)) {
        rlit = literal{value_type::string, 0, false, false, rhs.text};
      } else {
        fail("compare a field with a literal, not two fields", op_pos);
      }
    }
    const token& ft = llit ? rhs : lhs;
    literal lit = llit ? *llit : *rlit;
    if (llit) o = mirror(o);
    if ((o == op::glob || o == op::not_glob) && lit.type != value_type::string)
      lit.type = value_type::string;
    node n{node_kind::cmp, -1, -1, as_field(ft), o, std::move(lit), false};
    if (o != op::glob && o != op::not_glob) {
      if (n.field.which == field_ref::part::severity) {
        auto sv = parse_severity(lower(n.lit.str));
        if (!sv) fail("unknown severity \"" + n.lit.str + "\"", op_pos);
        n.severity_rank = true;
        n.lit.num = static_cast<double>(*sv);
      } else if (n.field.which == field_ref::part::ts) {
        auto t = n.lit.type == value_type::string ? parse_time_arg(n.lit.str, now) : std::nullopt;
        if (t)
          n.lit_ns = *t;
        else if (n.lit.has_num && std::isfinite(n.lit.num))
          n.lit_ns = clamp_ns(n.lit.num);
        else
          fail("bad time \"" + n.lit.str + "\" for ts", op_pos);
        n.lit.type = value_type::real;  // compared through lit_ns
        n.lit.has_num = true;
      }
    }
    return add(std::move(n));
  }
};

//! Parses `text`; throws syntax_error for bad syntax, an unknown field or a limit exceeded.
inline tree parse(std::string_view text, std::int64_t now_ns = 0) {
  if (text.size() > max_length)
    throw syntax_error("--where: expression of " + std::to_string(text.size()) +
                       " characters is longer than the limit of " + std::to_string(max_length));
  tree t;
  parser p{text, t, now_ns};
  t.root = p.parse_all();
  return t;
}

}  // namespace introspect::inline v1::query::expr
