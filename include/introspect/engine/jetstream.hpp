#pragma once
//! The uber tier's sink, tee<sink::stream_store, sink::jetstream>, under the name this header
//! had before sinks had their own headers: include <introspect/sink/jetstream.hpp> instead.
#include <introspect/sink/jetstream.hpp>
