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
    set(slot(key), source, v, ts);
  }

  //! The entry of `key` (made empty if new). It stays valid as long as the table: a writer that
  //! interns its keys finds it once and updates it with set(entry&, ...) at every change.
  entry& slot(std::string_view key) {
    auto it = entries_.find(key);
    if (it == entries_.end()) it = entries_.emplace(std::string{key}, entry{}).first;
    return it->second;
  }
  //! Updates an entry found with slot().
  static void set(entry& e, std::string_view source, const value_view& v, std::int64_t ts) {
    e.ts_ns = ts;
    if (e.source != source) e.source.assign(source);
    assign(e.val, v);
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
