#pragma once
//! The umbrella header: everything a product needs to record introspection.
#include <introspect/aliases.hpp>
#include <introspect/core/clock.hpp>
#include <introspect/core/config.hpp>
#include <introspect/core/kind.hpp>
#include <introspect/core/record.hpp>
#include <introspect/introspection.hpp>
#include <introspect/macros.hpp>
#include <introspect/sink/stream_store.hpp>
#include <introspect/sink/tee.hpp>
