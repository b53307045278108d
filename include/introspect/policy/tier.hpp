#pragma once
//! Tiers: each is a bundle of default policies (design.md §2); any policy given explicitly wins.
#include <chrono>

#include <introspect/fwd/policies.hpp>
#include <introspect/policy/cadence.hpp>
#include <introspect/policy/drop.hpp>
#include <introspect/policy/durability.hpp>
#include <introspect/policy/kinds.hpp>
#include <introspect/policy/mapping.hpp>
#include <introspect/policy/mode.hpp>
#include <introspect/policy/retention.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/policy/sources.hpp>

namespace introspect::inline v1::tier {

using namespace std::chrono_literals;

namespace detail {
inline constexpr std::uint64_t mib = 1ull << 20;
// Per-stream defaults of the medium tier up: each kind keeps what support engineers need.
using retain_state = retain<kind::state, keep_bytes<64 * mib>>;
using retain_metric = retain<kind::metric, keep_bytes<256 * mib>, keep_for<7 * 24h>>;
using retain_notification = retain<kind::notification, keep_bytes<128 * mib>, keep_for<30 * 24h>>;
using retain_insight = retain<kind::insight, keep_bytes<64 * mib>, keep_for<90 * 24h>>;
using retain_record = retain<kind::record, keep_bytes<256 * mib>, keep_for<7 * 24h>>;
using retain_snapshot = retain<kind::snapshot, keep_bytes<256 * mib>, keep_for<7 * 24h>>;
// Policies every stream-store tier shares unless overridden.
struct store_defaults {
  using durability = introspect::durability::on_tick;
  using drop = introspect::drop_oldest;
  using segment = introspect::segment<64 * mib, 1h>;
};
}  // namespace detail

struct tiny : detail::store_defaults {
  using category = tag::tier;
  static constexpr const char* name = "tiny";
  using kinds = introspect::kinds<kind::state, kind::notification>;
  using cadence = introspect::cadence::periodic<60s>;
  using sink = introspect::sink::jsonl_file;
  using mapping = introspect::mapping::single_stream;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<>;
};

struct small : detail::store_defaults {
  using category = tag::tier;
  static constexpr const char* name = "small";
  using kinds = introspect::kinds<kind::state, kind::notification, kind::metric>;
  using cadence = introspect::cadence::periodic<10s>;
  using sink = introspect::sink::stream_store;
  using mapping = introspect::mapping::single_stream_with<keep_bytes<256 * detail::mib>>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process>;
};

struct medium : detail::store_defaults {
  using category = tag::tier;
  static constexpr const char* name = "medium";
  using kinds = introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight>;
  using cadence = introspect::cadence::periodic<1s>;
  using sink = introspect::sink::stream_store;
  using mapping =
      introspect::mapping::stream_per_kind<detail::retain_state, detail::retain_metric,
                                           detail::retain_notification, detail::retain_insight>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process, source::host>;
};

struct large : detail::store_defaults {
  using category = tag::tier;
  static constexpr const char* name = "large";
  using kinds =
      introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight, kind::record>;
  using cadence = introspect::cadence::continuous;
  using sink = introspect::sink::stream_store;
  using mapping =
      introspect::mapping::stream_per_kind<detail::retain_state, detail::retain_metric,
                                           detail::retain_notification, detail::retain_insight,
                                           detail::retain_record, detail::retain_snapshot>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process, source::host>;
};

struct uber : detail::store_defaults {
  using category = tag::tier;
  static constexpr const char* name = "uber";
  using kinds = introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight,
                                  kind::record, kind::snapshot>;
  using cadence = introspect::cadence::continuous;
  using sink = introspect::sink::tee<introspect::sink::stream_store, introspect::sink::jetstream>;
  using mapping =
      introspect::mapping::stream_per_kind<detail::retain_state, detail::retain_metric,
                                           detail::retain_notification, detail::retain_insight,
                                           detail::retain_record, detail::retain_snapshot>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process, source::host>;
};

}  // namespace introspect::inline v1::tier
