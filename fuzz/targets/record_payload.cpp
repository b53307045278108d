// The binary record payload of stream-store frames (codec/binary.hpp): decode() and
// decode_view() must agree on every input, never read out of bounds, and what they accept must
// survive encode -> decode unchanged. A decoded record printed as JSON lines (as `introspect
// query -o jsonl` prints it) must read back through the tiny tier's parser.
#include <cstdint>
#include <string>
#include <vector>

#include <introspect/codec/binary.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/query/read/jsonl_parse.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto payload = introspect_fuzz::as_text(data, size);
  ix::record owned;
  const bool ok = ix::codec::decode(payload, owned);
  ix::record_view view;
  std::vector<ix::field_view> view_fields;
  const bool ok_view = ix::codec::decode_view(payload, view, view_fields);
  // decode_view's contract: it accepts exactly the payloads decode() accepts.
  INTROSPECT_FUZZ_CHECK(ok == ok_view);
  if (!ok) return 0;

  // Both decodings describe the same record: they re-encode to the same bytes.
  std::vector<ix::field_view> scratch;
  std::string from_owned, from_view;
  ix::codec::encode(ix::view_of(owned, scratch), from_owned);
  ix::codec::encode(view, from_view);
  INTROSPECT_FUZZ_CHECK(from_owned == from_view);

  // Encoding is a fixed point: what was re-encoded decodes and encodes to itself.
  ix::record again;
  INTROSPECT_FUZZ_CHECK(ix::codec::decode(from_owned, again));
  std::string twice;
  ix::codec::encode(ix::view_of(again, scratch), twice);
  INTROSPECT_FUZZ_CHECK(twice == from_owned);

  // The JSON-lines printer on what a store can hold (the frame gives ts and kind; use a kind and
  // severity the writer produces, so the reader's vocabulary check applies).
  owned.kind = ix::all_record_kinds[size % std::size(ix::all_record_kinds)];
  owned.ts_ns = static_cast<std::int64_t>(size) * 1'000'000'007;
  const auto sev = static_cast<unsigned>(owned.sev);
  if (sev > static_cast<unsigned>(ix::severity::critical)) owned.sev = ix::severity::info;
  const auto mt = static_cast<unsigned>(owned.mtype);
  if (mt > static_cast<unsigned>(ix::metric_type::histogram)) owned.mtype = ix::metric_type::none;
  ix::jsonl_encoder enc{"fuzz"};
  std::string line;
  enc.encode(ix::view_of(owned, scratch), line);
  INTROSPECT_FUZZ_CHECK(!line.empty() && line.back() == '\n');
  line.pop_back();
  ix::query::read::jsonl_record_parser parser;
  ix::record back;
  std::string reason;
  if (!parser.parse(line, back, reason)) {
    std::fprintf(stderr, "jsonl output does not read back (%s): %s\n", reason.c_str(),
                 line.c_str());
    INTROSPECT_FUZZ_CHECK(!"the JSON-lines output of a decoded record reads back");
  }
  INTROSPECT_FUZZ_CHECK(back.ts_ns == owned.ts_ns && back.kind == owned.kind);
  INTROSPECT_FUZZ_CHECK(back.fields.size() == owned.fields.size());
  return 0;
}
