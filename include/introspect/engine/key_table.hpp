#pragma once
//! The writer thread's interned record keys: what it needs per (kind, source, name) — the
//! insight rules the key feeds, its state-table entry — found by hashing the key's bytes as they
//! lie in the record's payload, so no record costs a look-up by name in a map of strings.
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/core/same_bytes.hpp>

namespace introspect::inline v1 {

//! An open-addressing table from (kind, key bytes) to a `Value`, bounded: past `max_keys` keys
//! find_or_add() returns nullptr and the caller takes its slow path (a product that makes a new
//! name per record must not grow the writer's memory without bound). Writer thread only.
template <class Value>
class key_table {
 public:
  explicit key_table(std::size_t max_keys = 4096)
      : max_keys_(max_keys), mask_(std::bit_ceil(max_keys * 2) - 1) {}

  //! The value of (kind, key), made by `make()` the first time; nullptr when the table is full.
  //! A key equal to the previous call's is found without hashing (a product's records mostly
  //! repeat a few keys in runs: one compare of the key's bytes instead of a hash and a probe).
  template <class Make>
  Value* find_or_add(std::uint8_t kind, std::string_view key, Make&& make) {
    if (last_ < entries_.size()) {
      entry& l = entries_[last_];
      if (l.kind == kind && l.key.size() == key.size() &&
          detail::same_bytes(l.key.data(), key.data(), key.size()))
        return &l.value;
    }
    if (!index_) index_ = std::make_unique<std::uint32_t[]>(mask_ + 1);  // 0: empty
    const std::uint64_t h = hash(kind, key);
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      const std::uint32_t slot = index_[i];
      if (slot == 0) break;
      entry& e = entries_[slot - 1];
      if (e.hash == h && e.kind == kind && e.key.size() == key.size() &&
          detail::same_bytes(e.key.data(), key.data(), key.size())) {
        last_ = slot - 1;
        return &e.value;
      }
    }
    if (entries_.size() >= max_keys_) return nullptr;
    entries_.push_back(entry{h, kind, std::string{key}, make()});
    for (std::size_t i = h & mask_;; i = (i + 1) & mask_) {
      if (index_[i] == 0) {
        index_[i] = static_cast<std::uint32_t>(entries_.size());
        break;
      }
    }
    last_ = entries_.size() - 1;
    return &entries_.back().value;
  }

  //! Keys interned so far.
  std::size_t size() const noexcept { return entries_.size(); }

 private:
  struct entry {
    std::uint64_t hash;
    std::uint8_t kind;
    std::string key;
    Value value;
  };

  // Eight bytes at a time, multiply and fold (the keys are short: a source and a metric or
  // state name); quality only matters for the probe length.
  static std::uint64_t hash(std::uint8_t kind, std::string_view key) noexcept {
    constexpr std::uint64_t m = 0x9e3779b97f4a7c15ull;
    std::uint64_t h = (key.size() ^ (std::uint64_t{kind} << 56)) * m;
    const char* p = key.data();
    std::size_t n = key.size();
    for (; n >= 8; n -= 8, p += 8) {
      std::uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * m;
      h ^= h >> 29;
    }
    if (n > 0) {
      std::uint64_t w = 0;
      std::memcpy(&w, p, n);
      h = (h ^ w) * m;
      h ^= h >> 29;
    }
    return h ^ (h >> 32);
  }

  std::size_t max_keys_;
  std::size_t mask_;
  std::unique_ptr<std::uint32_t[]> index_;  // made on first use: a writer with no keys pays none
  std::vector<entry> entries_;              // values are pointed to only until the next find_or_add
  std::size_t last_ = ~std::size_t{0};      // the entry the previous call found or made
};

}  // namespace introspect::inline v1
