#pragma once
//! The `--where` expression language's tokens and lexer.
#include <cstddef>
#include <string>
#include <string_view>

#include <introspect/query/expr/ast.hpp>

namespace introspect::inline v1::query::expr {

//! One token; `pos` is its offset in the expression (for messages).
struct token {
  enum type { end, ident, str, num, lparen, rparen, and_, or_, not_, op_ } t = end;
  std::string text;
  op o = op::eq;
  std::size_t pos = 0;
};

//! Splits an expression into tokens, one advance() at a time (`cur` is the current one).
struct lexer {
  std::string_view s;
  std::size_t i = 0;
  token cur{};

  [[noreturn]] void fail(const std::string& what, std::size_t pos) {
    // A long expression is cut in the message: the position says where.
    const std::string shown =
        s.size() <= 80 ? std::string(s) : std::string(s.substr(0, 77)) + "...";
    throw syntax_error("--where: " + what + " at position " + std::to_string(pos + 1) + " in \"" +
                       shown + "\"");
  }

  static bool ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }
  static bool ident_char(char c) {
    return ident_start(c) || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '/' || c == ':';
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
};

}  // namespace introspect::inline v1::query::expr
