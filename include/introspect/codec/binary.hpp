#pragma once
//! The binary record encoding stored in stream-store frames (docs/format.md, "record payload").
//! The frame carries ts and kind; the payload carries everything else.
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/codec/varint.hpp>
#include <introspect/core/record.hpp>

namespace introspect::inline v1::codec {

//! Version of the payload layout; a reader rejects payloads of a newer version.
inline constexpr std::uint8_t payload_version = 1;

namespace detail {

inline void put_value(std::string& out, const value_view& v) {
  out.push_back(static_cast<char>(v.type()));
  switch (v.type()) {
    case value_type::integer:
      put_varint(out, zigzag(v.as_int()));
      break;
    case value_type::real: {
      const auto bits = std::bit_cast<std::uint64_t>(v.as_real());
      for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(bits >> (8 * i)));
      break;
    }
    case value_type::boolean:
      out.push_back(v.as_bool() ? 1 : 0);
      break;
    case value_type::string:
      put_varint(out, v.as_string().size());
      out.append(v.as_string());
      break;
    default:
      break;
  }
}

inline value get_value(byte_reader& in) {
  switch (static_cast<value_type>(in.u8())) {
    case value_type::none:
      return std::monostate{};
    case value_type::integer:
      return unzigzag(in.varint());
    case value_type::real: {
      auto b = in.bytes(8);
      std::uint64_t bits = 0;
      for (std::size_t i = 0; i < b.size(); ++i)
        bits |= static_cast<std::uint64_t>(static_cast<std::uint8_t>(b[i])) << (8 * i);
      return std::bit_cast<double>(bits);
    }
    case value_type::boolean:
      return in.u8() != 0;
    case value_type::string:
      return std::string{in.str()};
  }
  in.bytes(UINT64_MAX);  // an unknown tag makes the reader fail
  return std::monostate{};
}

// The value as a view into the payload (no copy of a string).
inline value_view get_value_view(byte_reader& in) {
  switch (static_cast<value_type>(in.u8())) {
    case value_type::none:
      return {};
    case value_type::integer:
      return value_view{unzigzag(in.varint())};
    case value_type::real: {
      auto b = in.bytes(8);
      std::uint64_t bits = 0;
      if (b.size() == 8) std::memcpy(&bits, b.data(), 8);  // little-endian, as the format
      return value_view{std::bit_cast<double>(bits)};
    }
    case value_type::boolean:
      return value_view{in.u8() != 0};
    case value_type::string:
      return value_view{in.str()};
  }
  in.bytes(UINT64_MAX);  // an unknown tag makes the reader fail
  return {};
}

}  // namespace detail

//! Appends the payload of `r` (everything but ts and kind) to `out`.
inline void encode(const record_view& r, std::string& out) {
  out.push_back(static_cast<char>(payload_version));
  out.push_back(static_cast<char>(r.sev));
  out.push_back(static_cast<char>(r.mtype));
  out.push_back(static_cast<char>(r.flags));
  put_varint(out, r.source.size());
  out.append(r.source);
  put_varint(out, r.name.size());
  out.append(r.name);
  detail::put_value(out, r.val);
  put_varint(out, r.fields.size());
  for (const auto& f : r.fields) {
    put_varint(out, f.key.size());
    out.append(f.key);
    detail::put_value(out, f.value);
  }
}

//! Decodes a payload into `r` (ts, kind and instance are set by the caller from the frame and
//! the scope). Returns false for a truncated, malformed or newer-version payload.
inline bool decode(std::string_view payload, record& r) {
  byte_reader in{payload};
  if (in.u8() != payload_version) return false;
  r.sev = static_cast<severity>(in.u8());
  r.mtype = static_cast<metric_type>(in.u8());
  r.flags = in.u8();
  r.source.assign(in.str());
  r.name.assign(in.str());
  r.val = detail::get_value(in);
  const auto n = in.varint();
  r.fields.clear();
  if (n > payload.size()) return false;  // each field takes at least 2 bytes
  for (std::uint64_t i = 0; i < n && in.ok(); ++i) {
    field f;
    f.key.assign(in.str());
    f.val = detail::get_value(in);
    r.fields.push_back(std::move(f));
  }
  return in.ok() && in.at_end();
}

//! Decodes a payload in place: `r`'s strings and values view into `payload`, its fields into
//! `fields` (reused across calls). Accepts exactly the payloads decode() accepts; no allocation
//! once `fields` has grown to the largest record's field count.
inline bool decode_view(std::string_view payload, record_view& r, std::vector<field_view>& fields) {
  byte_reader in{payload};
  if (in.u8() != payload_version) return false;
  r.sev = static_cast<severity>(in.u8());
  r.mtype = static_cast<metric_type>(in.u8());
  r.flags = in.u8();
  r.source = in.str();
  r.name = in.str();
  r.val = detail::get_value_view(in);
  const auto n = in.varint();
  fields.clear();
  if (n > payload.size()) return false;  // each field takes at least 2 bytes
  for (std::uint64_t i = 0; i < n && in.ok(); ++i) {
    const auto key = in.str();
    fields.push_back({key, detail::get_value_view(in)});
  }
  r.fields = fields;
  return in.ok() && in.at_end();
}

}  // namespace introspect::inline v1::codec
