#pragma once
// Reads every record of every stream of one scope back through the store reader and codec.
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/store/reader.hpp>

inline std::vector<introspect::record> read_back(
    const std::filesystem::path& root, const std::string& scope,
    std::map<std::string, std::size_t>* per_stream = nullptr) {
  namespace ix = introspect;
  std::vector<ix::record> out;
  ix::store::reader rd(root);
  for (const auto& name : rd.stream_names(scope)) {
    ix::store::cursor c(root / scope / name, {});
    ix::store::frame_view v;
    std::size_t n = 0;
    while (c.next(v)) {
      ix::record r;
      if (!ix::codec::decode(v.text(), r)) continue;
      r.ts_ns = v.ts_ns;
      r.kind = static_cast<ix::record_kind>(v.kind);
      r.instance = scope;
      out.push_back(std::move(r));
      ++n;
    }
    if (per_stream) (*per_stream)[name] = n;
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const auto& a, const auto& b) { return a.ts_ns < b.ts_ns; });
  return out;
}
