#pragma once
//! The JetStream side of the uber tier: forwarder (store → JetStream) and fetcher (JetStream →
//! records). Needs the `introspect::jetstream` component (libnats).
#include <introspect/jetstream/cursor_file.hpp>
#include <introspect/jetstream/federation.hpp>
#include <introspect/jetstream/fetch.hpp>
#include <introspect/jetstream/forwarder.hpp>
#include <introspect/jetstream/limits.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/progress.hpp>
#include <introspect/jetstream/stats.hpp>
