#pragma once
//! The four recording calls of the public API, as the demo counts them.
#include <string_view>

namespace demo {

//! A recording call: state(), notify(), count/gauge/observe(), record().
enum class call_kind { state, notification, metric, record };
inline constexpr std::string_view call_kind_names[] = {"state", "notification", "metric", "record"};

}  // namespace demo
