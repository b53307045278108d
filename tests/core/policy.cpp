// Policy resolution: order-free, tier defaults, explicit policies win, kinds<> membership,
// records<K> and threads of the resolved introspection type.
#include <chrono>
#include <type_traits>

#include <catch2/catch.hpp>

#include <introspect/introspect.hpp>

namespace ix = introspect;
using namespace std::chrono_literals;

namespace {

template <class... P>
using R = ix::detail::resolve<P...>;

// Two resolutions agree on every category (folded over the one list, so none is forgotten).
template <class A, class B, class... Cs>
constexpr bool same_in(ix::type_list<Cs...>) {
  return (std::is_same_v<typename A::template get<Cs>, typename B::template get<Cs>> && ...);
}
template <class A, class B>
constexpr bool same_resolution = same_in<A, B>(ix::categories{});

// Every category of a resolution equals the tier's default.
template <class Tier, class... Cs>
constexpr bool defaults_in(ix::type_list<Cs...>) {
  return std::is_same_v<typename R<Tier>::tier, Tier> &&
         ((std::is_same_v<Cs, ix::tag::tier> ||
           std::is_same_v<typename R<Tier>::template get<Cs>,
                          typename Tier::template get<Cs>>)&&...);
}
template <class Tier>
constexpr bool defaults_of = defaults_in<Tier>(ix::categories{});

// Tier defaults pass the same validation as a user's policies: given explicitly (on another
// tier), a tier's list resolves to that tier's policies in every category.
template <class A, class B, class... Cs>
constexpr bool same_policies_in(ix::type_list<Cs...>) {
  return ((std::is_same_v<Cs, ix::tag::tier> ||
           std::is_same_v<typename A::template get<Cs>, typename B::template get<Cs>>)&&...);
}
template <class Tier, class... Ps>
constexpr bool resolves_alone(ix::type_list<Ps...>) {
  return same_policies_in<R<ix::tier::small, Ps...>, R<Tier>>(ix::categories{});
}
static_assert(ix::detail::complete_defaults<ix::tier::tiny::defaults>);
static_assert(ix::detail::complete_defaults<ix::tier::uber::defaults>);
// (Not tiny: its list names the shared durability, which sink::jsonl_file refuses when a build
// names one explicitly.)
static_assert(resolves_alone<ix::tier::small>(ix::tier::small::defaults{}));
static_assert(resolves_alone<ix::tier::medium>(ix::tier::medium::defaults{}));
static_assert(resolves_alone<ix::tier::uber>(ix::tier::uber::defaults{}));
// The named members read the same list as get<>.
static_assert(std::is_same_v<ix::tier::large::durability, ix::durability::on_tick>);
static_assert(std::is_same_v<ix::tier::large::expose, ix::expose::none>);
static_assert(std::is_same_v<R<ix::tier::tiny>::get<ix::tag::sink>, ix::sink::jsonl_file>);

}  // namespace

// --- defaults from each tier (design.md §2) ---
static_assert(defaults_of<ix::tier::tiny>);
static_assert(defaults_of<ix::tier::small>);
static_assert(defaults_of<ix::tier::medium>);
static_assert(defaults_of<ix::tier::large>);
static_assert(defaults_of<ix::tier::uber>);
static_assert(std::is_same_v<ix::tier::tiny::cadence, ix::cadence::periodic<60s>>);
static_assert(std::is_same_v<ix::tier::small::cadence, ix::cadence::periodic<10s>>);
static_assert(std::is_same_v<ix::tier::medium::cadence, ix::cadence::periodic<1s>>);
static_assert(std::is_same_v<ix::tier::large::cadence, ix::cadence::continuous>);
static_assert(std::is_same_v<ix::tier::uber::cadence, ix::cadence::continuous>);
static_assert(std::is_same_v<ix::tier::tiny::sink, ix::sink::jsonl_file>);
static_assert(std::is_same_v<ix::tier::tiny::mapping, ix::mapping::single_stream>);
static_assert(std::is_same_v<ix::tier::tiny::sources, ix::sources<>>);
static_assert(std::is_same_v<ix::tier::small::sources, ix::sources<ix::source::process>>);
static_assert(ix::tier::medium::sources::contains<ix::source::host>);
static_assert(ix::tier::medium::mapping::per_kind && !ix::tier::small::mapping::per_kind);
// No tier named: the small tier's defaults.
static_assert(std::is_same_v<R<>::tier, ix::tier::small>);
static_assert(same_resolution<R<>, R<ix::tier::small>>);

// --- order-free ---
static_assert(same_resolution<R<ix::tier::tiny, ix::cadence::periodic<1s>, ix::sink::null>,
                              R<ix::sink::null, ix::cadence::periodic<1s>, ix::tier::tiny>>);
static_assert(same_resolution<R<ix::cadence::periodic<1s>, ix::tier::tiny, ix::sink::null>,
                              R<ix::sink::null, ix::tier::tiny, ix::cadence::periodic<1s>>>);
static_assert(
    same_resolution<R<ix::tier::medium, ix::mode::kubernetes, ix::kinds<ix::kind::state>>,
                    R<ix::kinds<ix::kind::state>, ix::mode::kubernetes, ix::tier::medium>>);

// --- an explicit policy wins over the tier's default, the others stay defaults ---
using tiny_fast = R<ix::cadence::periodic<1s>, ix::tier::tiny>;
static_assert(std::is_same_v<tiny_fast::cadence, ix::cadence::periodic<1s>>);
static_assert(tiny_fast::cadence::period_ns == 1'000'000'000);
static_assert(std::is_same_v<tiny_fast::sink, ix::sink::jsonl_file>);
static_assert(std::is_same_v<tiny_fast::kinds, ix::tier::tiny::kinds>);
using large_k8s = R<ix::tier::large, ix::mode::kubernetes, ix::sources<>>;
static_assert(std::is_same_v<large_k8s::mode, ix::mode::kubernetes>);
static_assert(std::is_same_v<large_k8s::sources, ix::sources<>>);
static_assert(std::is_same_v<large_k8s::cadence, ix::cadence::continuous>);
using tiny_more = R<ix::tier::tiny, ix::kinds<ix::kind::state, ix::kind::metric>>;
static_assert(tiny_more::kinds::contains<ix::kind::metric>);
static_assert(!tiny_more::kinds::contains<ix::kind::notification>);

// --- kinds<> membership ---
using sn = ix::kinds<ix::kind::state, ix::kind::notification>;
static_assert(sn::contains<ix::kind::state> && sn::contains<ix::kind::notification>);
static_assert(!sn::contains<ix::kind::metric> && !sn::contains<ix::kind::record> &&
              !sn::contains<ix::kind::insight> && !sn::contains<ix::kind::snapshot>);
static_assert(sn::has(ix::record_kind::state) && !sn::has(ix::record_kind::metric));
static_assert(!ix::kinds<>::contains<ix::kind::state>);
static_assert(ix::tier::uber::kinds::contains<ix::kind::snapshot>);
static_assert(!ix::tier::large::kinds::contains<ix::kind::snapshot>);
static_assert(!ix::tier::small::kinds::contains<ix::kind::insight>);

// --- records<K> and threads on the introspection type ---
using tiny_t = ix::tiny_introspection;
static_assert(tiny_t::records<ix::kind::state>);
static_assert(tiny_t::records<ix::kind::notification>);
static_assert(!tiny_t::records<ix::kind::metric>);
static_assert(!tiny_t::records<ix::kind::record>);
static_assert(!tiny_t::records<ix::kind::insight>);
static_assert(tiny_t::threads == 0);
static_assert(std::is_same_v<tiny_t::tier, ix::tier::tiny>);
static_assert(
    std::is_same_v<tiny_t::engine_type, ix::inline_engine<ix::jsonl_sink, 60'000'000'000>>);
using tiny_1s = ix::introspection<ix::cadence::periodic<1s>, ix::tier::tiny>;
static_assert(
    std::is_same_v<tiny_1s::engine_type, ix::inline_engine<ix::jsonl_sink, 1'000'000'000>>);
static_assert(tiny_1s::threads == 0);
// A kinds<> policy changes records<K>; sink::null gives the empty engine.
using metric_null = ix::introspection<ix::tier::small, ix::sink::null, ix::sources<>>;
static_assert(metric_null::records<ix::kind::metric>);
static_assert(!metric_null::records<ix::kind::insight>);
static_assert(std::is_same_v<metric_null::engine_type, ix::null_engine>);
static_assert(std::is_empty_v<ix::null_engine>);
// Zero means zero: sink::null, or cadence::off with no kind, records nothing at all.
static_assert(ix::introspection<ix::tier::tiny, ix::sink::null>::records_nothing);
using off_nothing = ix::introspection<ix::tier::tiny, ix::cadence::off, ix::kinds<>>;
static_assert(off_nothing::records_nothing &&
              std::is_same_v<off_nothing::engine_type, ix::null_engine>);
static_assert(!ix::introspection<ix::tier::tiny, ix::cadence::off>::records_nothing);
static_assert(!ix::introspection<ix::tier::tiny, ix::kinds<>>::records_nothing);
static_assert(!ix::tiny_introspection::records_nothing);
using state_only = ix::introspection<ix::tier::tiny, ix::kinds<ix::kind::state>>;
static_assert(state_only::records<ix::kind::state> && !state_only::records<ix::kind::notification>);

TEST_CASE("policies resolve order-free with tier defaults and explicit overrides",
          "[policy][tiny]") {
  // The facts are static_asserts above; this case checks the run-time view of the same types.
  CHECK(std::string_view{tiny_t::tier::name} == "tiny");
  CHECK(tiny_t::cadence::period_ns == 60'000'000'000);
  CHECK(tiny_1s::cadence::period_ns == 1'000'000'000);
  CHECK(ix::cadence::continuous::period_ns > 0);
  CHECK(ix::cadence::off::period_ns == 0);
}

TEST_CASE("the kind vocabulary round-trips through its names", "[policy][core]") {
  for (auto k : ix::all_record_kinds) CHECK(ix::parse_record_kind(ix::to_string(k)) == k);
  for (unsigned i = 0; i < 6; ++i) {
    const auto s = static_cast<ix::severity>(i);
    CHECK(ix::parse_severity(ix::to_string(s)) == s);
  }
  CHECK_FALSE(ix::parse_record_kind("bogus"));
  CHECK_FALSE(ix::parse_severity("fatal"));
  CHECK(ix::to_string(static_cast<ix::severity>(42)) == "unknown");
}
