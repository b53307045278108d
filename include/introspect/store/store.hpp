#pragma once
// The stream store: a crash-safe container of scopes and streams of framed records.
// checkpoint.hpp is deliberately not included (it needs Boost.Serialization).
#include <introspect/store/crc32c.hpp>
#include <introspect/store/errors.hpp>
#include <introspect/store/frame.hpp>
#include <introspect/store/names.hpp>
#include <introspect/store/options.hpp>
#include <introspect/store/reader.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>
