#pragma once
//! A parser for the YAML subset kubeconfig files use: block mappings and sequences by
//! indentation, plain and quoted scalars, comments, and the empty flow collections `{}`/`[]`.
//! Anchors, aliases, tags, block scalars (`|`, `>`), multi-line scalars, non-empty flow
//! collections and multiple documents are rejected with the line number, never guessed.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace introspect::inline v1::kubernetes::detail {

//! One node of a parsed document: null, scalar (as text), mapping or sequence.
struct yaml_node {
  enum class type { null, scalar, map, seq };
  type t = type::null;
  std::string scalar;
  std::vector<std::string> keys;    // mapping keys, parallel to children
  std::vector<yaml_node> children;  // mapping values or sequence items

  //! The value of `key` in a mapping (the first one if repeated), or nullptr.
  const yaml_node* get(std::string_view key) const noexcept {
    if (t != type::map) return nullptr;
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (keys[i] == key) return &children[i];
    return nullptr;
  }
  //! The scalar's text; empty for anything else.
  std::string_view str() const noexcept {
    return t == type::scalar ? std::string_view{scalar} : std::string_view{};
  }
  //! The scalar at `key`, or empty.
  std::string_view str(std::string_view key) const noexcept {
    const auto* n = get(key);
    return n ? n->str() : std::string_view{};
  }
};

class yaml_subset_parser {
 public:
  //! How deeply blocks may nest before the text is refused.
  static constexpr std::size_t max_depth = 64;

  //! Parses `text`; on failure returns false and `error` says what and where.
  bool parse(std::string_view text, yaml_node& out, std::string& error) {
    lines_.clear();
    i_ = 0;
    depth_ = 0;
    error_.clear();
    if (!split(text)) {
      error = error_;
      return false;
    }
    out = {};
    if (lines_.empty()) return true;
    if (!parse_block(lines_[0].indent, out)) {
      error = error_;
      return false;
    }
    if (i_ < lines_.size()) {
      error = at(lines_[i_], "unexpected indentation");
      return false;
    }
    return true;
  }

 private:
  struct line {
    std::size_t indent;
    std::string_view text;  // without indentation, trailing blanks and comments
    std::size_t number;
  };

  static std::string at(const line& l, std::string_view what) {
    return "line " + std::to_string(l.number) + ": " + std::string{what};
  }
  bool fail(const line& l, std::string_view what) {
    error_ = at(l, what);
    return false;
  }

  static std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
      s.remove_suffix(1);
    return s;
  }

  // A '#' starts a comment at the start of a line or after a blank, outside quotes.
  static std::string_view strip_comment(std::string_view s) {
    char quote = 0;
    for (std::size_t k = 0; k < s.size(); ++k) {
      const char c = s[k];
      if (quote) {
        if (c == '\\' && quote == '"')
          ++k;
        else if (c == quote)
          quote = 0;
      } else if (c == '"' || c == '\'') {
        if (k == 0 || s[k - 1] == ' ' || s[k - 1] == ':' || s[k - 1] == '-') quote = c;
      } else if (c == '#' && (k == 0 || s[k - 1] == ' ' || s[k - 1] == '\t')) {
        return s.substr(0, k);
      }
    }
    return s;
  }

  bool split(std::string_view text) {
    std::size_t number = 0;
    while (!text.empty()) {
      const auto nl = text.find('\n');
      std::string_view raw = text.substr(0, nl);
      text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
      ++number;
      std::size_t indent = 0;
      while (indent < raw.size() && raw[indent] == ' ') ++indent;
      const line l{indent, trim(strip_comment(raw.substr(indent))), number};
      if (indent < raw.size() && raw[indent] == '\t' && !l.text.empty())
        return fail(l, "tab in indentation (YAML forbids it)");
      if (l.text.empty() || l.text.starts_with('%')) continue;
      if (l.text == "---") {
        if (!lines_.empty()) return fail(l, "several YAML documents are not supported");
        continue;
      }
      if (l.text == "...") break;
      lines_.push_back(l);
    }
    return true;
  }

  static bool is_dash(std::string_view t) {
    return t == "-" || (t.size() > 1 && t[0] == '-' && (t[1] == ' ' || t[1] == '\t'));
  }

  // The position of the ':' that ends a mapping key, or npos when the line is not `key: ...`.
  static std::size_t key_end(std::string_view t) {
    std::size_t k = 0;
    if (!t.empty() && (t[0] == '"' || t[0] == '\'')) {
      const char q = t[0];
      for (k = 1; k < t.size(); ++k) {
        if (q == '"' && t[k] == '\\')
          ++k;
        else if (t[k] == q)
          break;
      }
      ++k;
      while (k < t.size() && t[k] == ' ') ++k;
      return k < t.size() && t[k] == ':' && (k + 1 == t.size() || t[k + 1] == ' ')
                 ? k
                 : std::string_view::npos;
    }
    for (; k < t.size(); ++k)
      if (t[k] == ':' && (k + 1 == t.size() || t[k + 1] == ' ' || t[k + 1] == '\t')) return k;
    return std::string_view::npos;
  }

  bool unquote(const line& l, std::string_view s, std::string& out) {
    out.clear();
    if (s.empty() || (s[0] != '"' && s[0] != '\'')) {
      out.assign(s);
      return true;
    }
    const char q = s[0];
    if (s.size() < 2 || s.back() != q) return fail(l, "unterminated quoted scalar");
    s = s.substr(1, s.size() - 2);
    for (std::size_t k = 0; k < s.size(); ++k) {
      const char c = s[k];
      if (q == '\'' && c == '\'' && k + 1 < s.size() && s[k + 1] == '\'') {
        out.push_back('\'');
        ++k;
      } else if (q == '"' && c == '\\' && k + 1 < s.size()) {
        const char e = s[++k];
        switch (e) {
          case 'n':
            out.push_back('\n');
            break;
          case 't':
            out.push_back('\t');
            break;
          case 'r':
            out.push_back('\r');
            break;
          case '0':
            out.push_back('\0');
            break;
          case '"':
          case '\\':
          case '/':
          case ' ':
            out.push_back(e);
            break;
          default:
            return fail(l, "unsupported escape in double-quoted scalar");
        }
      } else {
        out.push_back(c);
      }
    }
    return true;
  }

  bool scalar_value(const line& l, std::string_view v, yaml_node& out) {
    if (v == "{}") {
      out.t = yaml_node::type::map;
      return true;
    }
    if (v == "[]") {
      out.t = yaml_node::type::seq;
      return true;
    }
    switch (v[0]) {
      case '{':
      case '[':
        return fail(l, "flow collections other than {} and [] are not supported");
      case '|':
      case '>':
        return fail(l, "block scalars (| and >) are not supported");
      case '&':
      case '*':
        return fail(l, "anchors and aliases are not supported");
      case '!':
        return fail(l, "tags are not supported");
      default:
        break;
    }
    out.t = yaml_node::type::scalar;
    return unquote(l, v, out.scalar);
  }

  bool parse_block(std::size_t indent, yaml_node& out) {
    const line& l = lines_[i_];
    // Blocks nest by recursion: bounded, so a hostile file ("- - - - ..." on one long line)
    // cannot exhaust the stack. A kubeconfig is 4 or 5 levels deep.
    if (depth_ >= max_depth)
      return fail(l, "nested deeper than " + std::to_string(max_depth) + " levels");
    ++depth_;
    bool ok;
    if (is_dash(l.text))
      ok = parse_seq(indent, out);
    else if (key_end(l.text) != std::string_view::npos)
      ok = parse_map(indent, out);
    else {
      ++i_;
      ok = scalar_value(l, l.text, out);
    }
    --depth_;
    return ok;
  }

  bool parse_seq(std::size_t indent, yaml_node& out) {
    out.t = yaml_node::type::seq;
    while (i_ < lines_.size() && lines_[i_].indent == indent && is_dash(lines_[i_].text)) {
      line& l = lines_[i_];
      out.children.emplace_back();
      const std::string_view rest = trim(l.text.substr(1));
      if (rest.empty()) {
        ++i_;
        if (i_ < lines_.size() && lines_[i_].indent > indent &&
            !parse_block(lines_[i_].indent, out.children.back()))
          return false;
        continue;
      }
      // "- key: value": the item is a block that starts on this line, at the column of `rest`.
      l.indent = indent + static_cast<std::size_t>(rest.data() - l.text.data());
      l.text = rest;
      if (!parse_block(l.indent, out.children.back())) return false;
    }
    return true;
  }

  bool parse_map(std::size_t indent, yaml_node& out) {
    out.t = yaml_node::type::map;
    while (i_ < lines_.size() && lines_[i_].indent == indent) {
      const line& l = lines_[i_];
      const auto k = key_end(l.text);
      if (k == std::string_view::npos)
        return fail(l, is_dash(l.text) ? "sequence item where a mapping key was expected"
                                       : "expected 'key: value'");
      out.keys.emplace_back();
      if (!unquote(l, trim(l.text.substr(0, k)), out.keys.back())) return false;
      out.children.emplace_back();
      yaml_node& child = out.children.back();
      const std::string_view v = trim(l.text.substr(k + 1));
      ++i_;
      if (!v.empty()) {
        if (!scalar_value(l, v, child)) return false;
        continue;
      }
      if (i_ >= lines_.size()) continue;
      if (lines_[i_].indent > indent) {
        if (!parse_block(lines_[i_].indent, child)) return false;
      } else if (lines_[i_].indent == indent && is_dash(lines_[i_].text)) {
        // YAML lets a sequence under a key sit at the key's own indentation.
        if (!parse_seq(indent, child)) return false;
      }
    }
    if (i_ < lines_.size() && lines_[i_].indent > indent)
      return fail(lines_[i_], "unexpected indentation (multi-line scalars are not supported)");
    return true;
  }

  std::vector<line> lines_;
  std::size_t i_ = 0;
  std::size_t depth_ = 0;
  std::string error_;
};

}  // namespace introspect::inline v1::kubernetes::detail
