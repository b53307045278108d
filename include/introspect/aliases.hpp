#pragma once
//! Named compositions for the common cases, one per tier.
#include <type_traits>

#include <introspect/introspection.hpp>

namespace introspect::inline v1 {

using tiny_introspection = introspection<tier::tiny>;      //!< JSON-lines files, no thread
using small_introspection = introspection<tier::small>;    //!< stream store, periodic 10 s
using medium_introspection = introspection<tier::medium>;  //!< stream per kind, 1 s
using large_introspection = introspection<tier::large>;    //!< continuous
using uber_introspection = introspection<tier::uber>;      //!< + snapshots, federation

// The alias table, proven: each alias resolves to what its name says.
namespace detail {
template <class Tier>
using resolved_tier = resolve<Tier>;
}
static_assert(std::is_same_v<detail::resolved_tier<tier::tiny>::sink, sink::jsonl_file>);
static_assert(detail::resolved_tier<tier::tiny>::kinds::contains<kind::state>);
static_assert(!detail::resolved_tier<tier::tiny>::kinds::contains<kind::metric>);
static_assert(!detail::resolved_tier<tier::tiny>::kinds::contains<kind::record>);
static_assert(std::is_same_v<detail::resolved_tier<tier::small>::sink, sink::stream_store>);
static_assert(!detail::resolved_tier<tier::small>::mapping::per_kind);
static_assert(detail::resolved_tier<tier::small>::kinds::contains<kind::metric>);
static_assert(detail::resolved_tier<tier::medium>::mapping::per_kind);
static_assert(detail::resolved_tier<tier::medium>::mapping::retention(record_kind::metric)
                  .keep_for_ns == 7 * 24 * 3600 * 1'000'000'000LL);
static_assert(detail::resolved_tier<tier::medium>::kinds::contains<kind::insight>);
static_assert(std::is_same_v<detail::resolved_tier<tier::large>::cadence, cadence::continuous>);
static_assert(detail::resolved_tier<tier::large>::kinds::contains<kind::record>);
static_assert(detail::resolved_tier<tier::uber>::kinds::contains<kind::snapshot>);
static_assert(std::is_same_v<tiny_introspection::tier, tier::tiny>);

}  // namespace introspect::inline v1
