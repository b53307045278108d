#pragma once
// Shared helpers: records written through store::writer, and what JetStream holds of them.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/jetstream/fetch.hpp>
#include <introspect/store/writer.hpp>

namespace js_test {

namespace ix = introspect;

//! Appends n metric records named "m<first+i>" with value first+i; returns their offsets.
inline std::vector<std::uint64_t> write_records(ix::store::writer& w, ix::store::stream_id id,
                                                std::uint64_t first, std::uint64_t n,
                                                std::size_t pad = 0) {
  std::vector<std::uint64_t> offs;
  std::string buf, name, src(pad, 'x');
  for (std::uint64_t i = first; i < first + n; ++i) {
    name = "m" + std::to_string(i);
    ix::record_view r;
    r.ts_ns = 1'700'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1000;
    r.kind = ix::record_kind::metric;
    r.mtype = ix::metric_type::gauge;
    r.source = src.empty() ? std::string_view("test") : std::string_view(src);
    r.name = name;
    r.val = static_cast<std::int64_t>(i);
    buf.clear();
    ix::codec::encode(r, buf);
    auto off = w.append(id, r.ts_ns, static_cast<std::uint8_t>(r.kind), std::string_view(buf));
    if (off) offs.push_back(*off);
  }
  w.flush();
  return offs;
}

//! Polls `cond` every 20 ms until it holds or `timeout` passes.
inline bool eventually(const std::function<bool()>& cond, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (!cond()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

//! What JetStream holds for one scope: per stream, how many times each offset occurs.
struct held {
  std::map<std::string, std::map<std::uint64_t, int>> count;  // stream -> offset -> copies
  std::map<std::string, std::set<std::string>> names;         // stream -> record names
  std::uint64_t messages = 0;
  std::uint64_t undecodable = 0;
};

inline held read_back(const std::string& url, const std::string& scope_glob) {
  held h;
  ix::jetstream::fetcher f({url, "", "", std::chrono::milliseconds(3000)});
  for (auto& rs : f.streams(scope_glob)) {
    f.read(rs, [&](ix::jetstream::fetched_record& r) {
      ++h.count[r.stream][r.offset];
      h.names[r.stream].insert(r.rec.name);
      ++h.messages;
    });
  }
  h.undecodable = f.undecodable();
  return h;
}

//! True when JetStream holds each offset of `offs` exactly once and nothing else for `stream`.
inline bool exactly_once(const held& h, const std::string& stream,
                         const std::vector<std::uint64_t>& offs, std::string* why = nullptr) {
  auto it = h.count.find(stream);
  if (it == h.count.end()) return offs.empty() || (why && (*why = "stream missing", false));
  if (it->second.size() != offs.size()) {
    if (why)
      *why = "distinct offsets " + std::to_string(it->second.size()) + " != records " +
             std::to_string(offs.size());
    return false;
  }
  for (auto o : offs) {
    auto c = it->second.find(o);
    if (c == it->second.end() || c->second != 1) {
      if (why)
        *why = "offset " + std::to_string(o) + " held " +
               std::to_string(c == it->second.end() ? 0 : c->second) + " times";
      return false;
    }
  }
  return true;
}

}  // namespace js_test
