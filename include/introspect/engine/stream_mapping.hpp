#pragma once
//! Maps record kinds to stream-store streams, each with the retention its mapping policy gives.
#include <array>
#include <chrono>
#include <optional>
#include <string_view>

#include <introspect/core/kind.hpp>
#include <introspect/store/options.hpp>
#include <introspect/store/writer.hpp>

namespace introspect::inline v1 {

//! The stream name of a kind under a mapping: "all" for one stream, else the kind's name.
template <class Mapping>
constexpr std::string_view stream_name_of(record_kind k) noexcept {
  if constexpr (Mapping::per_kind)
    return to_string(k);
  else
    return "all";
}

//! Opens streams lazily (a kind never recorded gets no stream) and remembers their ids.
template <class Mapping, class Segment>
class stream_router {
 public:
  //! The stream for kind k, opened on first use with its retention and segment options.
  template <class Writer>
  auto get(Writer& w, record_kind k) {
    const auto slot = Mapping::per_kind ? static_cast<std::size_t>(k) : 0;
    if (!ids_[slot]) ids_[slot] = w.stream(stream_name_of<Mapping>(k), options(k));
    return *ids_[slot];
  }

  void reset() noexcept { ids_ = {}; }

  static store::stream_options options(record_kind k) noexcept {
    store::stream_options o;
    o.segment_bytes = Segment::bytes;
    if (Segment::age_ns > 0) o.segment_age = std::chrono::nanoseconds{Segment::age_ns};
    const auto r = Mapping::retention(k);
    if (r.keep_for_ns > 0) o.keep_for = std::chrono::nanoseconds{r.keep_for_ns};
    if (r.keep_bytes > 0) o.keep_bytes = r.keep_bytes;
    if (r.keep_count > 0) o.keep_count = r.keep_count;
    return o;
  }

 private:
  std::array<std::optional<store::stream_id>, 16> ids_{};  // indexed by record_kind
};

//! The store's durability level for a durability policy.
template <class Durability>
constexpr store::durability store_durability() noexcept {
  if constexpr (Durability::every_n == 1)
    return store::durability::per_record();
  else if constexpr (Durability::every_n > 1)
    return store::durability::every(Durability::every_n);
  else if constexpr (Durability::sync_on_tick)
    return store::durability::on_tick();
  else
    return store::durability::none();
}

}  // namespace introspect::inline v1
