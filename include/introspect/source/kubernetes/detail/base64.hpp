#pragma once
//! Standard base64 decoding, for kubeconfig's `*-data` fields (certificates and keys).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace introspect::inline v1::kubernetes::detail {

//! Decodes standard base64 (RFC 4648, padding optional, whitespace ignored); nullopt if invalid.
inline std::optional<std::string> base64_decode(std::string_view in) {
  auto digit = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() / 4 * 3);
  std::uint32_t acc = 0;
  int bits = 0;
  bool padded = false;
  for (char c : in) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      padded = true;
      continue;
    }
    const int d = digit(c);
    if (d < 0 || padded) return std::nullopt;  // a digit after padding is not base64 either
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  if (bits >= 6) return std::nullopt;  // a lone trailing digit carries no whole byte
  return out;
}

}  // namespace introspect::inline v1::kubernetes::detail
