// Helpers of the stream-store query tests: a temporary directory and a store written from
// records (one stream "all", or one stream per kind).
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>

#include <filesystem>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/store/writer.hpp>
#include "../support/temp_dir.hpp"

namespace query_test {

namespace fs = std::filesystem;

using ix_test::temp_dir;

// Writes `recs` (in write order) into scope `scope`: one stream "all", or one per kind.
inline void write(const fs::path& root, const std::string& scope,
                  const std::vector<introspect::record>& recs, bool per_kind) {
  namespace ix = introspect;
  ix::store::writer_options wo;
  wo.close_seal_bytes = 0;  // each stream stays one raw segment: tests damage its bytes
  ix::store::writer w(root, scope, wo);
  std::string payload;
  std::vector<ix::field_view> fv;
  for (const auto& r : recs) {
    payload.clear();
    ix::codec::encode(ix::view_of(r, fv), payload);
    const auto id = w.stream(per_kind ? ix::to_string(r.kind) : std::string_view{"all"});
    REQUIRE(w.append(id, r.ts_ns, static_cast<std::uint8_t>(r.kind), payload));
  }
  w.flush();
}

}  // namespace query_test
