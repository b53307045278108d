#pragma once
// Checkpoints: the latest state table and metric snapshot saved as a versioned Boost
// archive in a metadata blob, so a reader gets current state without replaying history.
// Only targets linking introspect::serialization may include this header.
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include <boost/archive/archive_exception.hpp>
#include <boost/archive/text_iarchive.hpp>
#include <boost/archive/text_oarchive.hpp>
#include <boost/serialization/map.hpp>
#include <boost/serialization/string.hpp>

#include <introspect/store/reader.hpp>
#include <introspect/store/writer.hpp>

namespace introspect::inline v1::store {

//! Version of the checkpoint archive layout; bump when `checkpoint` changes shape.
inline constexpr std::uint32_t checkpoint_version = 1;
//! Metadata name under which checkpoints are stored.
inline constexpr std::string_view checkpoint_meta_name = "checkpoint";

//! Snapshot of current state: what a reader would otherwise rebuild by replaying streams.
struct checkpoint {
  std::int64_t ts_ns = 0;
  std::map<std::string, std::string> states;
  std::map<std::string, double> metrics;

  template <class Archive>
  void serialize(Archive& ar, const unsigned /*version*/) {
    ar& ts_ns;
    ar& states;
    ar& metrics;
  }
  bool operator==(const checkpoint&) const = default;
};

//! A loaded checkpoint, or the reason there is none (the caller replays, with a warning).
struct checkpoint_result {
  std::optional<checkpoint> value;
  std::string reason;
  explicit operator bool() const noexcept { return value.has_value(); }
};

namespace detail {
// Our own version word precedes the archive: Boost's archive/class versions change with the
// Boost release, ours changes only with the layout of `checkpoint`.
inline constexpr char checkpoint_magic[8] = {'I', 'X', 'C', 'K', 'P', 'T', '\0', '\0'};

inline std::string encode_checkpoint(const checkpoint& c,
                                     std::uint32_t version = checkpoint_version) {
  std::ostringstream os;
  os.write(checkpoint_magic, 8);
  char v[4];
  std::memcpy(v, &version, 4);
  os.write(v, 4);
  {
    boost::archive::text_oarchive ar(os, boost::archive::no_header);
    ar << c;
  }
  return os.str();
}

inline checkpoint_result decode_checkpoint(std::optional<std::vector<std::byte>> blob,
                                           const std::string& missing_why) {
  if (!blob) return {std::nullopt, "no checkpoint (" + missing_why + ")"};
  std::string_view s(reinterpret_cast<const char*>(blob->data()), blob->size());
  if (s.size() < 12 || std::memcmp(s.data(), checkpoint_magic, 8) != 0)
    return {std::nullopt, "checkpoint is not a checkpoint archive"};
  std::uint32_t version;
  std::memcpy(&version, s.data() + 8, 4);
  if (version != checkpoint_version)
    return {std::nullopt, "checkpoint version " + std::to_string(version) +
                              " is not the supported " + std::to_string(checkpoint_version)};
  try {
    std::istringstream is(std::string(s.substr(12)));
    boost::archive::text_iarchive ar(is, boost::archive::no_header);
    checkpoint c;
    ar >> c;
    return {std::move(c), {}};
  } catch (const std::exception& e) {
    return {std::nullopt, std::string("corrupt checkpoint: ") + e.what()};
  }
}
}  // namespace detail

//! Saves `c` atomically and durably as the scope's checkpoint (throws store_error on I/O error).
inline void save_checkpoint(writer& w, const checkpoint& c) {
  w.put_meta(checkpoint_meta_name, detail::encode_checkpoint(c));
}

//! Loads the scope's checkpoint through the writer that owns it.
inline checkpoint_result load_checkpoint(const writer& w) {
  return detail::decode_checkpoint(w.get_meta(checkpoint_meta_name), "missing or unreadable");
}

//! Loads a scope's checkpoint read-only.
inline checkpoint_result load_checkpoint(const reader& r, std::string_view scope) {
  std::string why;
  auto blob = r.get_meta(scope, checkpoint_meta_name, &why);
  return detail::decode_checkpoint(std::move(blob), why);
}

}  // namespace introspect::inline v1::store
