#pragma once
//! Every rule policy, and the rule set with all of them.
#include <introspect/insight/engine.hpp>
#include <introspect/insight/rules/anomaly.hpp>
#include <introspect/insight/rules/burst.hpp>
#include <introspect/insight/rules/exhaustion.hpp>
#include <introspect/insight/rules/flapping.hpp>
#include <introspect/insight/rules/heartbeat.hpp>
#include <introspect/insight/rules/rate.hpp>
#include <introspect/insight/rules/threshold.hpp>

namespace introspect::inline v1::insight {

//! The seven rules, in the order the docs list them.
using all_rules = rules<threshold, rate, exhaustion, anomaly, flapping, heartbeat, burst>;

//! An engine that knows every rule (the CLI's and the online writer's default).
using full_engine = engine<all_rules>;

}  // namespace introspect::inline v1::insight
