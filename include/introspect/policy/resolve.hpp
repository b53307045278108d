#pragma once
//! Resolves a pack of policies, order-free, into one per category (Boost.Hana), with readable
//! errors for duplicates, unknown types and contradictions.
#include <type_traits>

#include <boost/hana/count_if.hpp>
#include <boost/hana/find_if.hpp>
#include <boost/hana/optional.hpp>
#include <boost/hana/tuple.hpp>
#include <boost/hana/type.hpp>

#include <introspect/policy/expose.hpp>
#include <introspect/policy/tier.hpp>

namespace introspect::inline v1 {

//! True for a type that declares a policy category.
template <class P>
concept policy = requires {
  typename P::category;
};

namespace detail {

template <class P>
struct check_policy {
  static_assert(policy<P>,
                "introspection<...>: a template argument is not an introspect policy (a "
                "policy has a nested 'category'; see docs/policies.md for the list)");
  using type = P;
};

// The category of P, or a tag no category equals: a non-policy already failed check_policy, and
// this keeps that one sentence from being followed by a page of follow-on errors.
struct not_a_policy {};
template <class P>
struct category_of {
  using type = not_a_policy;
};
template <policy P>
struct category_of<P> {
  using type = typename P::category;
};

template <class Category>
constexpr auto in_category = [](auto t) {
  using P = typename std::remove_cvref_t<decltype(t)>::type;
  return boost::hana::bool_c<std::is_same_v<typename category_of<P>::type, Category>>;
};

// The policy of `Category` in Ps..., or Default.
template <class Category, class Default, class... Ps>
using pick_t =
    typename std::remove_cvref_t<decltype(boost::hana::find_if(boost::hana::tuple_t<Ps...>,
                                                               in_category<Category>)
                                              .value_or(boost::hana::type_c<Default>))>::type;

template <class Category, class... Ps>
inline constexpr std::size_t count_in_category =
    decltype(boost::hana::count_if(boost::hana::tuple_t<Ps...>, in_category<Category>))::value;

template <class... Ps>
struct resolve {
  // check_policy<P>'s static_assert is the one sentence for a non-policy.
  using checked_policies_ = boost::hana::tuple<typename check_policy<Ps>::type...>;

  static_assert(count_in_category<tag::tier, Ps...> <= 1,
                "introspection<...>: two tier policies given; keep one of tier::tiny ... uber");
  static_assert(count_in_category<tag::cadence, Ps...> <= 1,
                "introspection<...>: two cadence policies given; keep one");
  static_assert(count_in_category<tag::sink, Ps...> <= 1,
                "introspection<...>: two sink policies given; keep one");
  static_assert(count_in_category<tag::mapping, Ps...> <= 1,
                "introspection<...>: two mapping policies given; keep one");
  static_assert(count_in_category<tag::mode, Ps...> <= 1,
                "introspection<...>: two mode policies given; keep one");
  static_assert(count_in_category<tag::sources, Ps...> <= 1,
                "introspection<...>: two sources<...> policies given; list all sources in one");
  static_assert(count_in_category<tag::durability, Ps...> <= 1,
                "introspection<...>: two durability policies given; keep one");
  static_assert(count_in_category<tag::segment, Ps...> <= 1,
                "introspection<...>: two segment<...> policies given; keep one");
  static_assert(count_in_category<tag::drop, Ps...> <= 1,
                "introspection<...>: drop_newest and drop_oldest both given; keep one");
  static_assert(count_in_category<tag::kinds, Ps...> <= 1,
                "introspection<...>: two kinds<...> policies given; list all kinds in one");
  static_assert(count_in_category<tag::expose, Ps...> <= 1,
                "introspection<...>: two expose policies given; keep one");

  // A build that names no tier gets the small tier's defaults.
  using tier_type = pick_t<tag::tier, introspect::tier::small, Ps...>;
  using tier = tier_type;
  using cadence = pick_t<tag::cadence, typename tier_type::cadence, Ps...>;
  using sink = pick_t<tag::sink, typename tier_type::sink, Ps...>;
  using mapping = pick_t<tag::mapping, typename tier_type::mapping, Ps...>;
  using mode = pick_t<tag::mode, typename tier_type::mode, Ps...>;
  using sources = pick_t<tag::sources, typename tier_type::sources, Ps...>;
  using kinds = pick_t<tag::kinds, typename tier_type::kinds, Ps...>;
  using durability = pick_t<tag::durability, typename tier_type::durability, Ps...>;
  using segment = pick_t<tag::segment, typename tier_type::segment, Ps...>;
  using drop = pick_t<tag::drop, typename tier_type::drop, Ps...>;
  // No tier exposes an endpoint: a port is opened only when a build asks for one.
  using expose = pick_t<tag::expose, introspect::expose::none, Ps...>;

  static_assert(!(std::is_same_v<sink, introspect::sink::jsonl_file> && mapping::per_kind),
                "introspection<...>: sink::jsonl_file writes one file set; "
                "mapping::stream_per_kind needs sink::stream_store");
  static_assert(!sources::template contains<source::kubernetes> ||
                    std::is_same_v<mode, introspect::mode::kubernetes>,
                "introspection<...>: source::kubernetes needs mode::kubernetes");
  static_assert(!(std::is_same_v<sink, introspect::sink::jsonl_file> && !sources::empty),
                "introspection<...>: sources<...> are collected by the stream-store engine's "
                "thread; sink::jsonl_file has no thread, so list no sources with it");
  static_assert(!(std::is_same_v<sink, introspect::sink::jsonl_file> &&
                  count_in_category<tag::durability, Ps...> != 0),
                "introspection<...>: durability policies apply to sink::stream_store; "
                "sink::jsonl_file writes whole lines once per period");
};

}  // namespace detail
}  // namespace introspect::inline v1
