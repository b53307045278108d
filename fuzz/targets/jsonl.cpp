// The tiny tier's JSON-lines files (query/read/jsonl_parse.hpp), line by line as the reader splits
// them: any bytes, never a crash; a line it accepts prints (format/jsonl.hpp) to a line that
// reads back to the same record.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <introspect/format/jsonl.hpp>
#include <introspect/query/read/jsonl_parse.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;

namespace {

bool same_value(const ix::value& a, const ix::value& b) {
  // JSON has one number type: 2.0 prints as 2 and reads back as an integer.
  const auto va = ix::to_view(a), vb = ix::to_view(b);
  const bool na = va.type() == ix::value_type::integer || va.type() == ix::value_type::real;
  const bool nb = vb.type() == ix::value_type::integer || vb.type() == ix::value_type::real;
  if (na && nb) {
    const double x =
        va.type() == ix::value_type::integer ? static_cast<double>(va.as_int()) : va.as_real();
    const double y =
        vb.type() == ix::value_type::integer ? static_cast<double>(vb.as_int()) : vb.as_real();
    return x == y || (x != x && y != y);
  }
  if (va.type() != vb.type()) return false;
  switch (va.type()) {
    case ix::value_type::boolean:
      return va.as_bool() == vb.as_bool();
    case ix::value_type::string:
      return va.as_string() == vb.as_string();
    default:
      return true;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ix::query::read::jsonl_record_parser parser;
  static ix::query::read::jsonl_record_parser reparser;
  std::string_view text = introspect_fuzz::as_text(data, size);
  ix::record rec, back;
  std::string reason;
  std::vector<ix::field_view> fields;
  std::string line;
  // Not default-constructed: that path passes memcpy a null pointer (fuzz/pending/README.md).
  ix::jsonl_encoder enc{""};
  while (!text.empty()) {
    const auto nl = text.find('\n');
    const auto one = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (!parser.parse(one, rec, reason)) {
      INTROSPECT_FUZZ_CHECK(!reason.empty());
      continue;
    }
    enc.set_instance(rec.instance);
    line.clear();
    enc.encode(ix::view_of(rec, fields), line);
    INTROSPECT_FUZZ_CHECK(!line.empty() && line.back() == '\n');
    line.pop_back();
    if (!reparser.parse(line, back, reason)) {
      std::fprintf(stderr, "printed line does not read back (%s): %s\n", reason.c_str(),
                   line.c_str());
      INTROSPECT_FUZZ_CHECK(!"a parsed line prints to a line that reads back");
    }
    INTROSPECT_FUZZ_CHECK(back.ts_ns == rec.ts_ns);
    INTROSPECT_FUZZ_CHECK(back.kind == rec.kind);
    INTROSPECT_FUZZ_CHECK(back.fields.size() == rec.fields.size());
    INTROSPECT_FUZZ_CHECK(same_value(back.val, rec.val));
  }
  return 0;
}
