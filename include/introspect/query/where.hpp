#pragma once
//! `--where` expressions: comparisons of record parts with literals, joined by and/or/not.
//!
//! @code
//! auto e = where_expr::parse("value > 100 and (fields.disk == 'sdb' or not name ~ 'cache.*')");
//! if (e.matches(rec)) ...
//! @endcode
#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/query/field_ref.hpp>
#include <introspect/query/glob.hpp>
#include <introspect/query/time_arg.hpp>

namespace introspect::inline v1 {

//! A malformed --where expression; what() names the problem and where it is.
class where_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

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
    if (text.size() > max_length)
      throw where_error("--where: expression of " + std::to_string(text.size()) +
                        " characters is longer than the limit of " + std::to_string(max_length));
    where_expr e;
    parser p{text, e, now_ns};
    e.root_ = p.parse_all();
    return e;
  }

  //! Limits on untrusted input: parsing recurses per '(' and 'not', and evaluation per node.
  static constexpr std::size_t max_length = 16384;
  static constexpr int max_depth = 200;

  //! True if `r` satisfies the expression (an empty expression matches everything).
  template <class R>
  bool matches(const R& r) const {
    return nodes_.empty() ? true : eval(static_cast<std::size_t>(root_), r);
  }

 private:
  enum class op { eq, ne, lt, le, gt, ge, glob, not_glob };
  enum class node_kind { and_, or_, not_, exists, cmp };
  struct literal {
    value_type type = value_type::none;
    double num = 0;
    bool has_num = false;  // a string literal that reads as a number
    bool b = false;
    std::string str;
  };
  struct node {
    node_kind kind;
    int a = -1, b = -1;
    field_ref field;
    op cmp = op::eq;
    literal lit;
    bool severity_rank = false;  // compare severities by rank
    std::int64_t lit_ns = 0;     // a ts literal, exact in nanoseconds
  };

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
  static std::optional<double> as_number(std::string_view s) {
    double d = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc{} || p != s.data() + s.size() || s.empty()) return std::nullopt;
    return d;
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
    const node& n = nodes_[i];
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

  struct token {
    enum type { end, ident, str, num, lparen, rparen, and_, or_, not_, op_ } t = end;
    std::string text;
    op o = op::eq;
    std::size_t pos = 0;
  };

  struct parser {
    std::string_view s;
    where_expr& e;
    std::int64_t now;
    std::size_t i = 0;
    token cur{};
    int depth = 0;

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

    [[noreturn]] void fail(const std::string& what, std::size_t pos) {
      // A long expression is cut in the message: the position says where.
      const std::string shown =
          s.size() <= 80 ? std::string(s) : std::string(s.substr(0, 77)) + "...";
      throw where_error("--where: " + what + " at position " + std::to_string(pos + 1) + " in \"" +
                        shown + "\"");
    }

    static bool ident_start(char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    }
    static bool ident_char(char c) {
      return ident_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/' ||
             c == ':';
    }
    static std::string lower(std::string_view w) {
      std::string o(w);
      for (auto& c : o) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      return o;
    }

    void advance() {
      while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n')) ++i;
      cur = token{};
      cur.pos = i;
      if (i >= s.size()) return;
      const char c = s[i];
      auto two = [&](char n) { return i + 1 < s.size() && s[i + 1] == n; };
      if (c == '(') {
        cur.t = token::lparen;
        ++i;
      } else if (c == ')') {
        cur.t = token::rparen;
        ++i;
      } else if (c == '&' && two('&')) {
        cur.t = token::and_;
        i += 2;
      } else if (c == '|' && two('|')) {
        cur.t = token::or_;
        i += 2;
      } else if (c == '=') {
        cur.t = token::op_, cur.o = op::eq, i += two('=') ? 2 : 1;
      } else if (c == '!' && two('=')) {
        cur.t = token::op_, cur.o = op::ne, i += 2;
      } else if (c == '!' && two('~')) {
        cur.t = token::op_, cur.o = op::not_glob, i += 2;
      } else if (c == '!') {
        cur.t = token::not_, ++i;
      } else if (c == '<') {
        if (two('>'))
          cur.t = token::op_, cur.o = op::ne, i += 2;
        else if (two('='))
          cur.t = token::op_, cur.o = op::le, i += 2;
        else
          cur.t = token::op_, cur.o = op::lt, ++i;
      } else if (c == '>') {
        if (two('='))
          cur.t = token::op_, cur.o = op::ge, i += 2;
        else
          cur.t = token::op_, cur.o = op::gt, ++i;
      } else if (c == '~') {
        cur.t = token::op_, cur.o = op::glob, ++i;
      } else if (c == '\'' || c == '"') {
        cur.t = token::str;
        ++i;
        for (;;) {
          if (i >= s.size()) fail("unterminated string", cur.pos);
          if (s[i] == c) {
            ++i;
            break;
          }
          if (s[i] == '\\' && i + 1 < s.size()) ++i;
          cur.text.push_back(s[i++]);
        }
      } else if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') {
        std::size_t j = i + 1;
        while (j < s.size() &&
               ((s[j] >= '0' && s[j] <= '9') || s[j] == '.' || s[j] == 'e' || s[j] == 'E' ||
                ((s[j] == '-' || s[j] == '+') && (s[j - 1] == 'e' || s[j - 1] == 'E'))))
          ++j;
        cur.t = token::num;
        cur.text.assign(s.substr(i, j - i));
        if (cur.text.front() == '+') cur.text.erase(0, 1);
        i = j;
      } else if (ident_start(c)) {
        std::size_t j = i;
        while (j < s.size() && ident_char(s[j])) ++j;
        cur.text.assign(s.substr(i, j - i));
        i = j;
        const auto w = lower(cur.text);
        cur.t = w == "and"   ? token::and_
                : w == "or"  ? token::or_
                : w == "not" ? token::not_
                             : token::ident;
      } else {
        fail(std::string("unexpected character '") + c + "'", i);
      }
    }

    int add(node n) {
      e.nodes_.push_back(std::move(n));
      return static_cast<int>(e.nodes_.size() - 1);
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
        l.type = t.text.find_first_of(".eE") == std::string::npos ? value_type::integer
                                                                  : value_type::real;
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

  // A number of nanoseconds as int64, saturated: a double beyond the range (1e30) converted
  // directly is undefined behaviour (on x86 it turned `ts > 1e30` true for every record).
  static std::int64_t clamp_ns(double d) noexcept {
    constexpr double lim = 9.2e18;  // below 2^63, so the cast in range is exact enough
    if (d >= lim) return std::numeric_limits<std::int64_t>::max();
    if (d <= -lim) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(d);
  }

  std::vector<node> nodes_;
  int root_ = -1;
};

}  // namespace introspect::inline v1
