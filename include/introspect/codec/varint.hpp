#pragma once
//! LEB128 varints and zigzag integers: compact lengths and numbers in binary records.
#include <cstdint>
#include <string>
#include <string_view>

namespace introspect::inline v1::codec {

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

constexpr std::uint64_t zigzag(std::int64_t v) noexcept {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}
constexpr std::int64_t unzigzag(std::uint64_t v) noexcept {
  return static_cast<std::int64_t>(v >> 1) ^ -static_cast<std::int64_t>(v & 1);
}

//! A bounds-checked cursor over bytes: every read fails (and stays failed) instead of overrunning.
class byte_reader {
 public:
  explicit byte_reader(std::string_view bytes) noexcept
      : p_(bytes.data()), end_(p_ + bytes.size()) {}

  bool ok() const noexcept { return ok_; }
  bool at_end() const noexcept { return p_ == end_; }

  std::uint8_t u8() noexcept {
    if (p_ >= end_) return fail<std::uint8_t>();
    return static_cast<std::uint8_t>(*p_++);
  }

  std::uint64_t varint() noexcept {
    // Lengths and small numbers take one byte: the common case, without the loop.
    if (p_ < end_ && !(static_cast<std::uint8_t>(*p_) & 0x80))
      return static_cast<std::uint8_t>(*p_++);
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return fail<std::uint64_t>();
      const auto b = static_cast<std::uint8_t>(*p_++);
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return fail<std::uint64_t>();
  }

  std::string_view bytes(std::uint64_t n) noexcept {
    if (static_cast<std::uint64_t>(end_ - p_) < n) return fail<std::string_view>();
    std::string_view s{p_, static_cast<std::size_t>(n)};
    p_ += n;
    return s;
  }

  std::string_view str() noexcept { return bytes(varint()); }

 private:
  template <class T>
  T fail() noexcept {
    ok_ = false;
    p_ = end_;
    return T{};
  }
  const char* p_;
  const char* end_;
  bool ok_ = true;
};

}  // namespace introspect::inline v1::codec
