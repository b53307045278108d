#pragma once
//! Resolves a pack of policies, order-free, into one per category, with readable errors for
//! duplicates, unknown types and contradictions. Every check folds over the one `categories`
//! list (fwd/policies.hpp); a missing category comes from the tier's default list, resolved the
//! same way ("first of its category wins", Boost.Intrusive's pack_options).
#include <type_traits>

#include <cstddef>

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

// Instantiates each category's given<N> (as a base class, so that completing check_counts
// instantiates them all): its static_assert is the one sentence for a duplicate.
template <class Categories, class... Ps>
struct check_counts;
template <class... Cs, class... Ps>
struct check_counts<type_list<Cs...>, Ps...> : Cs::template given<count_of<Cs, Ps...>>... {};

template <class Category, class... Ps>
inline constexpr std::size_t count_in_category = count_of<Category, Ps...>;

// User policies, then the tier's defaults: the first of each category wins.
template <class Category, class Tier, class... Ps>
using pick_t =
    first_of_t<Category, first_of_t<Category, missing_policy, typename Tier::defaults>, Ps...>;

// The build's policy of each category: its own, else its tier's; and the checks of the pack.
template <class... Ps>
struct resolve_lookup {
  // check_policy<P>'s static_assert is the one sentence for a non-policy.
  using checked_policies_ = type_list<typename check_policy<Ps>::type...>;
  static_assert(sizeof(check_counts<categories, Ps...>) > 0);  // the sentences are in given<N>

  // A build that names no tier gets the small tier's defaults.
  using tier = first_of_t<tag::tier, introspect::tier::small, Ps...>;
  template <class Category>
  using get =
      std::conditional_t<std::is_same_v<Category, tag::tier>, tier, pick_t<Category, tier, Ps...>>;

  using sink_ = get<tag::sink>;
  static_assert(!(std::is_same_v<sink_, introspect::sink::jsonl_file> &&
                  get<tag::mapping>::per_kind),
                "introspection<...>: sink::jsonl_file writes one file set; "
                "mapping::stream_per_kind needs sink::stream_store");
  static_assert(!get<tag::sources>::template contains<source::kubernetes> ||
                    std::is_same_v<get<tag::mode>, introspect::mode::kubernetes>,
                "introspection<...>: source::kubernetes needs mode::kubernetes");
  static_assert(!(std::is_same_v<sink_, introspect::sink::jsonl_file> && !get<tag::sources>::empty),
                "introspection<...>: sources<...> are collected by the stream-store engine's "
                "thread; sink::jsonl_file has no thread, so list no sources with it");
  static_assert(!(std::is_same_v<sink_, introspect::sink::jsonl_file> &&
                  count_in_category<tag::durability, Ps...> != 0),
                "introspection<...>: durability policies apply to sink::stream_store; "
                "sink::jsonl_file writes whole lines once per period");
};

//! The resolved policy set of a build: one policy per category (named_policies' members, and
//! get<Category>), its tier, and the checks above.
template <class... Ps>
struct resolve : named_policies<resolve_lookup<Ps...>> {
  using tier = typename resolve_lookup<Ps...>::tier;
  using tier_type = tier;
};

}  // namespace detail
}  // namespace introspect::inline v1
