#pragma once
//! The current value of every state key: written each period and at the start of every file.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <introspect/core/record.hpp>

namespace introspect::inline v1 {

//! Latest state per (source, key); assigning an existing key reuses its storage.
class state_table {
 public:
  struct entry {
    std::int64_t ts_ns = 0;
    std::string source;
    value val;
  };

  void set(std::string_view source, std::string_view key, const value_view& v, std::int64_t ts) {
    auto it = entries_.find(key);
    if (it == entries_.end()) it = entries_.emplace(std::string{key}, entry{}).first;
    it->second.ts_ns = ts;
    if (it->second.source != source) it->second.source.assign(source);
    assign(it->second.val, v);
  }

  //! Calls fn(record_view) for each key as a table line stamped `now`.
  template <class Fn>
  void for_each(std::int64_t now, Fn&& fn) const {
    for (const auto& [key, e] : entries_) {
      record_view r;
      r.ts_ns = now;
      r.kind = record_kind::state;
      r.flags = flag_table;
      r.source = e.source;
      r.name = key;
      r.val = to_view(e.val);
      fn(r);
    }
  }

  std::size_t size() const noexcept { return entries_.size(); }
  const std::map<std::string, entry, std::less<>>& entries() const noexcept { return entries_; }

 private:
  static void assign(value& dst, const value_view& v) {
    if (v.type() == value_type::string) {
      if (auto* s = std::get_if<std::string>(&dst))
        s->assign(v.as_string());
      else
        dst = std::string{v.as_string()};
    } else {
      dst = to_value(v);
    }
  }

  std::map<std::string, entry, std::less<>> entries_;
};

}  // namespace introspect::inline v1
