// JSON-lines encoding of records: required keys, values of every type, severities, metric types,
// fields and table lines; each line parsed by simdjson and the whole file by jq.
#include <cmath>
#include <fstream>
#include <limits>
#include <string>

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
