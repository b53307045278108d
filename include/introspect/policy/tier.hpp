#pragma once
//! Tiers: each is a list of default policies, one per category (design.md §2), resolved like
//! the user's: the first policy of a category wins, and the user's come first.
#include <chrono>
#include <cstddef>
#include <type_traits>

#include <introspect/fwd/policies.hpp>
#include <introspect/policy/cadence.hpp>
#include <introspect/policy/drop.hpp>
#include <introspect/policy/durability.hpp>
#include <introspect/policy/expose.hpp>
#include <introspect/policy/kinds.hpp>
#include <introspect/policy/mapping.hpp>
#include <introspect/policy/mode.hpp>
#include <introspect/policy/queue.hpp>
#include <introspect/policy/retention.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/policy/sources.hpp>

namespace introspect::inline v1 {

namespace detail {

template <class Category>
struct category_is {
  template <class P>
  static constexpr bool match = requires {
    typename P::category;
  }
  &&std::is_same_v<typename P::category, Category>;
};

// The first policy of `Category` in the list, or `Default` (Boost.Intrusive's pack_options:
// the user's policies come first, the tier's after them, so the first of a category wins).
template <class Category, class Default, class... Ps>
struct first_of {
  using type = Default;
};
template <class Category, class Default, class P, class... Ps>
struct first_of<Category, Default, P, Ps...> {
  using type = std::conditional_t<category_is<Category>::template match<P>, P,
                                  typename first_of<Category, Default, Ps...>::type>;
};
template <class Category, class Default, class... Ps>
struct first_of<Category, Default, type_list<Ps...>> : first_of<Category, Default, Ps...> {};
template <class Category, class Default, class... Ps>
using first_of_t = typename first_of<Category, Default, Ps...>::type;

template <class Category, class... Ps>
inline constexpr std::size_t count_of = (std::size_t{0} + ... +
                                         (category_is<Category>::template match<Ps> ? 1 : 0));

// A tier's defaults: exactly one policy of every category but tier.
template <class Defaults, class Categories = categories>
inline constexpr bool complete_defaults = false;
template <class... Ps, class... Cs>
inline constexpr bool complete_defaults<type_list<Ps...>, type_list<Cs...>> =
    (requires { typename Ps::category; } && ...) &&
    ((std::is_same_v<Cs, tag::tier> ? count_of<Cs, Ps...> == 0 : count_of<Cs, Ps...> == 1) && ...);

struct missing_policy {};

//! The named members (cadence, sink, ...) of a policy set, each read through
//! `Lookup::get<Category>`: written once, for a tier's defaults and for a resolved build.
template <class Lookup>
struct named_policies {
  //! The policy of `Category`.
  template <class Category>
  using get = typename Lookup::template get<Category>;
  using cadence = get<tag::cadence>;
  using sink = get<tag::sink>;
  using mapping = get<tag::mapping>;
  using mode = get<tag::mode>;
  using sources = get<tag::sources>;
  using kinds = get<tag::kinds>;
  using durability = get<tag::durability>;
  using segment = get<tag::segment>;
  using drop = get<tag::drop>;
  using expose = get<tag::expose>;
  using queue = get<tag::queue>;
};

template <class... Defaults>
struct defaults_lookup {
  template <class Category>
  using get = first_of_t<Category, missing_policy, Defaults...>;
};

//! A tier: a name and a list of default policies, one per category; the named members
//! (cadence, sink, ...) read the list.
template <class... Defaults>
struct tier_of : named_policies<defaults_lookup<Defaults...>> {
  using category = tag::tier;
  using defaults = type_list<Defaults...>;
  static_assert(complete_defaults<defaults>,
                "tier: the default policies must name exactly one policy of every category "
                "(fwd/policies.hpp: categories) and no tier");
};

}  // namespace detail

namespace tier {

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
// Every tier's durability, drop, queue and segment policies, and no endpoint: a port is opened
// only when a build asks for one.
template <class... Ps>
using with_shared_defaults =
    introspect::detail::tier_of<Ps..., introspect::durability::on_tick, introspect::drop_oldest,
                                introspect::queue::shared_queue, introspect::segment<64 * mib, 1h>,
                                introspect::expose::none>;
}  // namespace detail

struct tiny
    : detail::with_shared_defaults<introspect::kinds<kind::state, kind::notification>,
                                   introspect::cadence::periodic<60s>, introspect::sink::jsonl_file,
                                   introspect::mapping::single_stream, introspect::mode::standalone,
                                   introspect::sources<>> {
  static constexpr const char* name = "tiny";
};

struct small : detail::with_shared_defaults<
                   introspect::kinds<kind::state, kind::notification, kind::metric>,
                   introspect::cadence::periodic<10s>, introspect::sink::stream_store,
                   introspect::mapping::single_stream_with<keep_bytes<256 * detail::mib>>,
                   introspect::mode::standalone, introspect::sources<source::process>> {
  static constexpr const char* name = "small";
  //! Event queue slots (config::queue_slots = 0): 1 024 × 448 bytes, 448 KiB up front.
  static constexpr std::size_t queue_slots = 1024;
};

struct medium
    : detail::with_shared_defaults<
          introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight>,
          introspect::cadence::periodic<1s>, introspect::sink::stream_store,
          introspect::mapping::stream_per_kind<detail::retain_state, detail::retain_metric,
                                               detail::retain_notification, detail::retain_insight>,
          introspect::mode::standalone, introspect::sources<source::process, source::host>> {
  static constexpr const char* name = "medium";
  //! Event queue slots: 16 384 × 448 bytes, 7 MiB (2 M records/s with 7 ms of room for the
  //! writer's wake-up and the scheduler's delay: with 4 096, 8-55 % dropped at 2 M/s and 6-17 %
  //! at 1 M/s on a loaded 2-core machine; with 16 384, 0-21 % and 0-2 %; benchmarks/writer).
  static constexpr std::size_t queue_slots = 16384;
};

struct large
    : detail::with_shared_defaults<
          introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight,
                            kind::record>,
          introspect::cadence::continuous, introspect::sink::stream_store,
          introspect::mapping::stream_per_kind<detail::retain_state, detail::retain_metric,
                                               detail::retain_notification, detail::retain_insight,
                                               detail::retain_record, detail::retain_snapshot>,
          introspect::mode::standalone, introspect::sources<source::process, source::host>> {
  static constexpr const char* name = "large";
  //! Event queue slots: 32 768 × 448 bytes, 14 MiB (2 M records/s with 14 ms of room).
  static constexpr std::size_t queue_slots = 32768;
};

struct uber
    : detail::with_shared_defaults<
          introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight,
                            kind::record, kind::snapshot>,
          introspect::cadence::continuous,
          introspect::sink::tee<introspect::sink::stream_store, introspect::sink::jetstream>,
          introspect::mapping::stream_per_kind<detail::retain_state, detail::retain_metric,
                                               detail::retain_notification, detail::retain_insight,
                                               detail::retain_record, detail::retain_snapshot>,
          introspect::mode::standalone, introspect::sources<source::process, source::host>> {
  static constexpr const char* name = "uber";
  //! Event queue slots: as large's, 32 768 × 448 bytes, 14 MiB (the tee adds no queue).
  static constexpr std::size_t queue_slots = 32768;
};

}  // namespace tier
}  // namespace introspect::inline v1
