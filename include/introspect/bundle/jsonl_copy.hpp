#pragma once
//! The bytes of one tiny-tier file (JSON lines: sink/jsonl_file.hpp) as a bundle carries them:
//! every line that parses as a record as it is, or, when a redaction rule hits it, written again
//! from the redacted record (the rules are the segments' own: redact.hpp, applied to the
//! record's binary payload); a line that does not parse is left out (it may hold anything) and
//! named (its number in the file and why it failed) in the manifest's verify result and
//! `verify.txt`, which readers of the bundle report: once, not again as a line they cannot read.
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/bundle/redact.hpp>
#include <introspect/bundle/segment_copy.hpp>
#include <introspect/codec/binary.hpp>
#include <introspect/format/jsonl.hpp>

namespace introspect::inline v1::bundle {

//! Parses one JSON line into a record, or says why it is not one in `why` (the CLI passes the
//! tiny tier's own parser, query/read/jsonl_parse.hpp, which needs simdjson; the bundle
//! component does not).
using jsonl_parser = std::function<bool(std::string_view line, record& out, std::string& why)>;

//! A line of a tiny-tier file that is not a record (left out of the bundle).
struct bad_line {
  std::uint64_t line = 0;  //!< 1-based, as readers number lines
  std::string why;         //!< the parser's reason
};

//! Copies `text` (a whole JSON-lines file) to `out` line by line, redacted; counts frames,
//! kinds, times and redactions into `st` as segment copies do; records outside [since, until)
//! are left out (a window). Returns the lines dropped because they did not parse, each also
//! appended to `bad` when given.
inline std::uint64_t copy_jsonl(std::string_view text, const jsonl_parser& parse,
                                const redact_options& ropt, copy_stats& st, std::string& out,
                                std::string* first_instance = nullptr,
                                std::int64_t since = std::numeric_limits<std::int64_t>::min(),
                                std::int64_t until = std::numeric_limits<std::int64_t>::max(),
                                std::vector<bad_line>* bad = nullptr) {
  record r;
  std::string payload, why;
  std::vector<field_view> fv;
  std::uint64_t dropped = 0, number = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    ++number;
    auto nl = text.find('\n', at);
    const bool last = nl == std::string_view::npos;
    if (last) nl = text.size();
    const auto line = text.substr(at, nl - at);
    at = nl + 1;
    if (line.empty()) {
      if (!last) out.push_back('\n');
      continue;
    }
    why.clear();
    if (!parse(line, r, why)) {
      // A torn or garbled line: its bytes are not sent (they may be part of a secret).
      ++dropped;
      if (bad) bad->push_back({number, why.empty() ? std::string{"not a record"} : why});
      st.zeroed_bytes += line.size();
      continue;
    }
    if (r.ts_ns < since || r.ts_ns >= until) continue;
    if (first_instance && first_instance->empty()) *first_instance = r.instance;
    const auto k = static_cast<std::uint8_t>(r.kind);
    ++st.frames;
    ++st.kinds[k];
    st.first_ts = std::min(st.first_ts, r.ts_ns);
    st.last_ts = std::max(st.last_ts, r.ts_ns);
    bool changed = false;
    if (ropt.enabled) {
      payload.clear();
      codec::encode(view_of(r, fv), payload);
      std::span<std::byte> p{reinterpret_cast<std::byte*>(payload.data()), payload.size()};
      if (may_need_redaction(k, p) && redact_payload(p, k, ropt, st.redactions)) {
        record red;
        changed = true;
        if (codec::decode(payload, red)) {
          red.ts_ns = r.ts_ns;
          red.kind = r.kind;
          jsonl_encoder enc{r.instance};
          enc.encode(view_of(red, fv), out);
        } else {
          ++dropped;  // cannot happen for a payload just encoded; never send the secret
          if (bad) bad->push_back({number, "its redacted payload does not decode"});
        }
      }
    }
    if (!changed) {
      out.append(line);
      out.push_back('\n');
    }
  }
  return dropped;
}

}  // namespace introspect::inline v1::bundle
