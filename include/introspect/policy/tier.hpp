#pragma once
//! Tiers: each is a bundle of default policies (design.md §2); any policy given explicitly wins.
#include <chrono>

#include <introspect/fwd/policies.hpp>
#include <introspect/policy/cadence.hpp>
#include <introspect/policy/kinds.hpp>
#include <introspect/policy/mapping.hpp>
#include <introspect/policy/mode.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/policy/sources.hpp>

namespace introspect::inline v1::tier {

using namespace std::chrono_literals;

struct tiny {
  using category = tag::tier;
  static constexpr const char* name = "tiny";
  using kinds = introspect::kinds<kind::state, kind::notification>;
  using cadence = introspect::cadence::periodic<60s>;
  using sink = introspect::sink::jsonl_file;
  using mapping = introspect::mapping::single_stream;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<>;
};

struct small {
  using category = tag::tier;
  static constexpr const char* name = "small";
  using kinds = introspect::kinds<kind::state, kind::notification, kind::metric>;
  using cadence = introspect::cadence::periodic<10s>;
  using sink = introspect::sink::stream_store;
  using mapping = introspect::mapping::single_stream;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process>;
};

struct medium {
  using category = tag::tier;
  static constexpr const char* name = "medium";
  using kinds = introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight>;
  using cadence = introspect::cadence::periodic<1s>;
  using sink = introspect::sink::stream_store;
  using mapping = introspect::mapping::stream_per_kind<>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process, source::host>;
};

struct large {
  using category = tag::tier;
  static constexpr const char* name = "large";
  using kinds =
      introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight, kind::record>;
  using cadence = introspect::cadence::continuous;
  using sink = introspect::sink::stream_store;
  using mapping = introspect::mapping::stream_per_kind<>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process, source::host>;
};

struct uber {
  using category = tag::tier;
  static constexpr const char* name = "uber";
  using kinds = introspect::kinds<kind::state, kind::notification, kind::metric, kind::insight,
                                  kind::record, kind::snapshot>;
  using cadence = introspect::cadence::continuous;
  using sink = introspect::sink::stream_store;
  using mapping = introspect::mapping::stream_per_kind<>;
  using mode = introspect::mode::standalone;
  using sources = introspect::sources<source::process, source::host>;
};

}  // namespace introspect::inline v1::tier
