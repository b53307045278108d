#pragma once
//! Where each value of a JSON text lies, byte for byte, with its key and its container's key:
//! what redaction needs to overwrite a value in place. A strict, allocation-light walk; no
//! unescaping (keys are compared as written, which is how Kubernetes writes them).
#include <cstddef>
#include <string_view>
#include <vector>

namespace introspect::inline v1::bundle {

//! One value of a JSON text: for a string, the bytes between its quotes.
struct json_span {
  std::size_t begin = 0, end = 0;
  std::size_t depth = 0;         //!< 0 for the top value, 1 for its members, ...
  std::string_view key;          //!< the member's key (empty in an array)
  std::string_view parent_key;   //!< the key under which the container is held
  std::size_t parent_depth = 0;  //!< the container's depth
  std::size_t container = 0;     //!< where the container starts (identifies siblings)
  bool is_string = false;
  bool in_env_entry = false;  //!< a member of an object that is an element of an "env" array
  bool env_element = false;   //!< an element of an "env" array
  std::string_view text(std::string_view all) const { return all.substr(begin, end - begin); }
};

namespace detail {

class json_walker {
 public:
  json_walker(std::string_view t, std::vector<json_span>& out) : t_(t), out_(out) {}

  bool run() {
    skip_ws();
    json_span top;
    if (!value(top, 0)) return false;
    skip_ws();
    return at_ == t_.size();
  }

 private:
  static constexpr std::size_t max_depth = 128;

  void skip_ws() {
    while (at_ < t_.size() &&
           (t_[at_] == ' ' || t_[at_] == '\n' || t_[at_] == '\t' || t_[at_] == '\r'))
      ++at_;
  }

  // A string starting at the quote; [b, e) are the bytes between the quotes.
  bool string(std::size_t& b, std::size_t& e) {
    if (at_ >= t_.size() || t_[at_] != '"') return false;
    b = ++at_;
    while (at_ < t_.size() && t_[at_] != '"') {
      if (static_cast<unsigned char>(t_[at_]) < 0x20) return false;
      at_ += t_[at_] == '\\' ? 2 : 1;
    }
    if (at_ >= t_.size()) return false;
    e = at_++;
    return true;
  }

  bool value(json_span& me, std::size_t depth) {
    if (depth > max_depth || at_ >= t_.size()) return false;
    me.depth = depth;
    const char c = t_[at_];
    if (c == '"') {
      me.is_string = true;
      if (!string(me.begin, me.end)) return false;
      out_.push_back(me);
      return true;
    }
    if (c == '{' || c == '[') return container(me, depth, c == '{');
    me.begin = at_;
    while (at_ < t_.size() && t_[at_] != ',' && t_[at_] != '}' && t_[at_] != ']' &&
           t_[at_] != ' ' && t_[at_] != '\n' && t_[at_] != '\t' && t_[at_] != '\r')
      ++at_;
    me.end = at_;
    if (me.end == me.begin) return false;
    out_.push_back(me);
    return true;
  }

  bool container(json_span& me, std::size_t depth, bool object) {
    me.begin = at_++;
    const bool env_array = !object && me.key == "env";
    const bool env_entry = object && me.env_element;
    skip_ws();
    const char close = object ? '}' : ']';
    if (at_ < t_.size() && t_[at_] == close) {
      me.end = ++at_;
      out_.push_back(me);
      return true;
    }
    for (;;) {
      json_span child;
      child.parent_key = me.key;
      child.parent_depth = depth;
      child.container = me.begin;
      child.in_env_entry = env_entry;
      if (object) {
        std::size_t kb = 0, ke = 0;
        if (!string(kb, ke)) return false;
        child.key = t_.substr(kb, ke - kb);
        skip_ws();
        if (at_ >= t_.size() || t_[at_] != ':') return false;
        ++at_;
        skip_ws();
      } else {
        child.env_element = env_array;
      }
      if (!value(child, depth + 1)) return false;
      skip_ws();
      if (at_ >= t_.size()) return false;
      if (t_[at_] == ',') {
        ++at_;
        skip_ws();
        continue;
      }
      if (t_[at_] != close) return false;
      me.end = ++at_;
      out_.push_back(me);
      return true;
    }
  }

  std::string_view t_;
  std::vector<json_span>& out_;
  std::size_t at_ = 0;
};

}  // namespace detail

//! Appends every value of `text` to `out` (members before their container). False when the
//! text is not one JSON value or is nested deeper than 128 levels.
inline bool json_walk(std::string_view text, std::vector<json_span>& out) {
  return detail::json_walker(text, out).run();
}

}  // namespace introspect::inline v1::bundle
