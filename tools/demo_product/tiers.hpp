#pragma once
//! Chooses the introspection type of the run's tier and mapping.
#include "options.hpp"

namespace demo {

//! Runs the demo through the tier's type; 2 (and a message) if that tier cannot be built here.
int run_selected_tier(const options& o);

}  // namespace demo
