// JSON-lines encoding of records: required keys, values of every type, severities, metric types,
// fields and table lines; each line parsed by simdjson and the whole file by jq.
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <introspect/format/jsonl.hpp>

#include "support.hpp"

namespace ix = introspect;

namespace {

std::string line_of(ix::jsonl_encoder& enc, const ix::record_view& r) {
  std::string out;
  enc.encode(r, out);
  return out;
}

ix::record_view rec(ix::record_kind k, std::string_view name, ix::value_view v = {}) {
  ix::record_view r;
  r.ts_ns = ixt::t2026 + 5;
  r.kind = k;
  r.source = "product";
  r.name = name;
  r.val = v;
  return r;
}

}  // namespace

TEST_CASE("a line has ts, kind, instance, source, name and ends with one newline",
          "[format][jsonl]") {
  ix::jsonl_encoder enc("node-1");
  const auto out = line_of(enc, rec(ix::record_kind::state, "container/3", "RECOVERING"));
  REQUIRE(out.back() == '\n');
  CHECK(ixt::occurrences(out, "\n") == 1);
  ixt::json j(out);
  CHECK(j.str("ts") == "2026-01-01T00:00:00.000000005Z");
  CHECK(j.str("kind") == "state");
  CHECK(j.str("instance") == "node-1");
  CHECK(j.str("source") == "product");
  CHECK(j.str("name") == "container/3");
  CHECK(j.str("value") == "RECOVERING");
  CHECK_FALSE(j.has("severity"));
  CHECK_FALSE(j.has("table"));
  CHECK_FALSE(j.has("fields"));
}

TEST_CASE("values of every type encode as JSON", "[format][jsonl]") {
  ix::jsonl_encoder enc("i");
  CHECK(int64_t(ixt::json(line_of(enc, rec(ix::record_kind::state, "n", 42)))["value"]) == 42);
  CHECK(int64_t(ixt::json(line_of(enc, rec(ix::record_kind::state, "n",
                                           std::numeric_limits<std::int64_t>::min())))["value"]) ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(double(ixt::json(line_of(enc, rec(ix::record_kind::state, "n", 2.5)))["value"]) == 2.5);
  CHECK(double(ixt::json(line_of(enc, rec(ix::record_kind::state, "n", 1e300)))["value"]) == 1e300);
  CHECK(bool(ixt::json(line_of(enc, rec(ix::record_kind::state, "n", true)))["value"]) == true);
  CHECK(bool(ixt::json(line_of(enc, rec(ix::record_kind::state, "n", false)))["value"]) == false);
  // Non-finite numbers have no JSON spelling: null.
  CHECK(ixt::json(line_of(enc, rec(ix::record_kind::state, "n", std::nan(""))))["value"].is_null());
  CHECK(ixt::json(line_of(
      enc, rec(ix::record_kind::state, "n", std::numeric_limits<double>::infinity())))["value"]
            .is_null());
  CHECK_FALSE(ixt::json(line_of(enc, rec(ix::record_kind::state, "n"))).has("value"));
}

TEST_CASE("notifications carry severity and fields; metrics their type; tables a flag",
          "[format][jsonl]") {
  ix::jsonl_encoder enc("i");
  const ix::field_view attrs[] = {{"disk", "sdb"}, {"pct", 71}, {"ok", false}, {"x", 0.5}};
  auto n = rec(ix::record_kind::notification, "disk nearly full");
  n.sev = ix::severity::warning;
  n.fields = attrs;
  ixt::json j(line_of(enc, n));
  CHECK(j.str("severity") == "warning");
  CHECK(std::string_view(j["fields"]["disk"]) == "sdb");
  CHECK(int64_t(j["fields"]["pct"]) == 71);
  CHECK(bool(j["fields"]["ok"]) == false);
  CHECK(double(j["fields"]["x"]) == 0.5);

  auto m = rec(ix::record_kind::metric, "requests", 3);
  m.mtype = ix::metric_type::counter;
  ixt::json jm(line_of(enc, m));
  CHECK(jm.str("type") == "counter");
  CHECK_FALSE(jm.has("severity"));

  auto t = rec(ix::record_kind::state, "k", "v");
  t.flags = ix::flag_table;
  CHECK(bool(ixt::json(line_of(enc, t))["table"]) == true);
}

TEST_CASE("the cached second is refreshed across second boundaries and before the epoch",
          "[format][jsonl]") {
  ix::jsonl_encoder enc("i");
  const std::int64_t ts[] = {ixt::t2026 + 999'999'999,
                             ixt::t2026 + 1'000'000'000,
                             ixt::t2026 - 1,
                             ixt::t2026,
                             -1,
                             -1'000'000'000,
                             0,
                             1};
  for (auto t : ts) {
    auto r = rec(ix::record_kind::state, "k", 1);
    r.ts_ns = t;
    INFO(t);
    CHECK(ixt::json(line_of(enc, r)).str("ts") == ix::format_rfc3339(t));
  }
}

TEST_CASE("hostile names, sources, instance and field keys stay one valid line (jq)",
          "[format][jsonl][jq]") {
  ixt::temp_dir dir;
  const auto file = dir / "hostile.jsonl";
  const std::string nasty =
      std::string("q\"b\\n\nr\r\t\x01\x7f\xC3\xA9\xFF\xED\xA0\x80") + std::string(1, '\0') + "}";
  ix::jsonl_encoder enc(nasty);
  std::string all;
  const ix::field_view attrs[] = {{nasty, nasty}};
  for (auto k : ix::all_record_kinds) {
    auto r = rec(k, nasty, ix::value_view{std::string_view{nasty}});
    r.source = nasty;
    r.fields = attrs;
    std::string l;
    enc.encode(r, l);
    CHECK(ixt::occurrences(l, "\n") == 1);
    ixt::json j(l);
    CHECK(j.str("kind") == ix::to_string(k));
    all += l;
  }
  std::ofstream(file, std::ios::binary) << all;
  std::string out;
  CHECK(ixt::jq_status(file, &out) == 0);
  CHECK(ixt::occurrences(out, "\n") == std::size(ix::all_record_kinds));
}

namespace {

// The line format spelled out with the std::string functions (append_json_string,
// append_json_value, format_rfc3339): the encoder's raw-pointer fast paths (word-at-a-time
// check-and-copy, cached second, fixed-size copies) must write exactly these bytes.
std::string reference_line(std::string_view instance, const ix::record_view& r) {
  std::string o = "{\"ts\":\"";
  o += ix::format_rfc3339(r.ts_ns);
  o += "\",\"kind\":\"";
  o += ix::to_string(r.kind);
  o += "\",\"instance\":";
  ix::append_json_string(o, instance);
  o += ",\"source\":";
  ix::append_json_string(o, r.source);
  o += ",\"name\":";
  ix::append_json_string(o, r.name);
  if (r.kind == ix::record_kind::notification || r.kind == ix::record_kind::insight) {
    o += ",\"severity\":\"";
    o += static_cast<unsigned>(r.sev) < 6 ? ix::to_string(r.sev) : "unknown";
    o += '"';
  }
  if (r.mtype != ix::metric_type::none) {
    o += ",\"type\":\"";
    o += ix::to_string(r.mtype);
    o += '"';
  }
  if (r.val.type() != ix::value_type::none) {
    o += ",\"value\":";
    ix::append_json_value(o, r.val);
  }
  if (!r.fields.empty()) {
    o += ",\"fields\":{";
    for (std::size_t i = 0; i < r.fields.size(); ++i) {
      if (i) o += ',';
      ix::append_json_string(o, r.fields[i].key);
      o += ':';
      ix::append_json_value(o, r.fields[i].value);
    }
    o += '}';
  }
  if (r.flags & ix::flag_table) o += ",\"table\":true";
  o += "}\n";
  return o;
}

}  // namespace

TEST_CASE("the encoder writes exactly the reference bytes for random records", "[format][jsonl]") {
  std::mt19937_64 rng(18);
  const auto pick = [&](std::uint64_t n) { return rng() % n; };
  // Strings of every length to 70: mostly clean, some with a byte to escape or multi-byte UTF-8.
  const auto text = [&] {
    std::string s(pick(71), 'a');
    for (auto& c : s) c = static_cast<char>(0x20 + pick(95));
    if (!s.empty() && pick(3) == 0) s[pick(s.size())] = "\"\\\n\x01\x7f\xC3\xFF"[pick(7)];
    if (pick(8) == 0) s += "\xE2\x82\xAC";
    return s;
  };
  std::vector<std::string> keep;
  keep.reserve(100'000);
  const auto value = [&]() -> ix::value_view {
    switch (pick(6)) {
      case 0:
        return {};
      case 1:
        return static_cast<std::int64_t>(rng());
      case 2:
        return static_cast<double>(static_cast<std::int64_t>(rng() % 2'000'000)) / 64 - 9999;
      case 3:
        return pick(2) == 0;
      case 4:
        return std::numeric_limits<double>::infinity();
      default:
        return std::string_view(keep.emplace_back(text()));
    }
  };
  for (int e = 0; e < 4; ++e) {
    const std::string instance = e == 0 ? text() : "node-1";
    ix::jsonl_encoder enc(instance);
    std::int64_t ts = ixt::t2026 - 3 * ixt::sec;  // crosses second boundaries and the epoch
    if (e == 3) ts = -2 * ixt::sec;
    std::string out;
    for (int i = 0; i < 3000; ++i) {
      ts += static_cast<std::int64_t>(pick(e == 1 ? 2'000'000'000 : 4'000'000));
      ix::record_view r;
      r.ts_ns = pick(50) == 0 ? static_cast<std::int64_t>(rng() >> 2) : ts;
      r.kind = static_cast<ix::record_kind>(1 + pick(7));
      r.sev = static_cast<ix::severity>(pick(7));
      r.mtype = static_cast<ix::metric_type>(pick(4));
      r.flags = static_cast<std::uint8_t>(pick(2));
      r.source =
          pick(4) ? std::string_view("product") : std::string_view(keep.emplace_back(text()));
      r.name = keep.emplace_back(text());
      r.val = value();
      std::vector<ix::field_view> fields(pick(4));
      for (auto& f : fields) f = {keep.emplace_back(text()), value()};
      r.fields = fields;
      const std::string expected = reference_line(instance, r);
      out.clear();
      enc.encode(r, out);
      INFO("record " << i << " of encoder " << e);
      REQUIRE(out == expected);
      REQUIRE(out.size() <= enc.max_bytes(r));
      if (keep.size() > 90'000) keep.clear();
    }
  }
}
