#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include <introspect/core/line_reader.hpp>
#include <introspect/format/jsonl.hpp>
#include <introspect/query/read/jsonl_parse.hpp>

using namespace introspect;
using namespace introspect::query::read;

namespace {
std::string reason_of(std::string_view line) {
  jsonl_record_parser p;
  record r;
  std::string why;
  if (p.parse(line, r, why)) return "ok";
  return why;
}
}  // namespace

TEST_CASE("the parser reads back what the encoder writes", "[query][jsonl]") {
  jsonl_encoder enc("node-\"1\"");
  const field_view f[] = {{"disk", "sdb"}, {"pct", 91}, {"ratio", 0.25}, {"ok", true}};
  record_view v;
  v.ts_ns = 1'767'225'600'123'456'789LL;
  v.kind = record_kind::notification;
  v.sev = severity::warning;
  v.source = "product";
  v.name = "disk \"nearly\" full\n\x01";
  v.fields = f;
  std::string line;
  enc.encode(v, line);
  jsonl_record_parser p;
  record r;
  std::string why;
  REQUIRE(p.parse(std::string_view(line).substr(0, line.size() - 1), r, why));
  CHECK(r.ts_ns == v.ts_ns);
  CHECK(r.kind == record_kind::notification);
  CHECK(r.sev == severity::warning);
  CHECK(r.instance == "node-\"1\"");
  CHECK(r.source == "product");
  CHECK(r.name == "disk \"nearly\" full\n\x01");
  REQUIRE(r.fields.size() == 4);
  CHECK(r.fields[0].key == "disk");
  CHECK(std::get<std::string>(r.fields[0].val) == "sdb");
  CHECK(std::get<std::int64_t>(r.fields[1].val) == 91);
  CHECK(std::get<double>(r.fields[2].val) == 0.25);
  CHECK(std::get<bool>(r.fields[3].val) == true);

  // Reusing the record: a state table line with a value and no fields.
  record_view s;
  s.ts_ns = 5;
  s.kind = record_kind::state;
  s.flags = flag_table;
  s.source = "product";
  s.name = "container/3";
  s.val = "UP";
  line.clear();
  enc.encode(s, line);
  REQUIRE(p.parse(line, r, why));
  CHECK(r.fields.empty());
  CHECK(r.flags == flag_table);
  CHECK(std::get<std::string>(r.val) == "UP");
  CHECK(r.sev == severity::info);
}

TEST_CASE("malformed lines are rejected with a reason", "[query][jsonl]") {
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"state","name":"x"})") == "ok");
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"state","name":"x","value":null})") ==
        "ok");
  CHECK(reason_of("") == "empty line");
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"sta)") ==
        "truncated line (not valid JSON)");
  CHECK_THAT(reason_of("not json"), Catch::Contains("not valid JSON"));
  CHECK_THAT(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"state","name":"x"} trailing)"),
             Catch::Contains("not valid JSON"));
  CHECK(reason_of("[1,2]") == "not a JSON object");
  CHECK(reason_of(R"({"kind":"state","name":"x"})") == "missing \"ts\"");
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","name":"x"})") == "missing \"kind\"");
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"state"})") == "missing \"name\"");
  CHECK(reason_of(R"({"ts":"yesterday","kind":"state","name":"x"})") ==
        "bad timestamp \"yesterday\"");
  CHECK(reason_of(R"({"ts":12,"kind":"state","name":"x"})") == "ts is not a string");
  CHECK(reason_of(R"({"ts":"9999-01-01","kind":"state","name":"x"})") ==
        "bad timestamp \"9999-01-01\"");
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"gossip","name":"x"})") ==
        "unknown kind \"gossip\"");
  CHECK(reason_of(R"({"ts":"2026-01-01T00:00:00Z","kind":"state","name":"x","fields":3})") ==
        "fields is not an object");
}

TEST_CASE("line_reader yields whole lines, long lines, and the unterminated rest",
          "[query][jsonl]") {
  const auto path = std::filesystem::temp_directory_path() / "ix_line_reader_test.txt";
  const std::string longline(5000, 'x');
  {
    std::ofstream f(path, std::ios::binary);
    f << "a\n\nbc\n" << longline << "\ntail";
  }
  line_reader r(path, 64);  // a tiny chunk forces refills and growth
  REQUIRE(r.error() == 0);
  text_line l;
  REQUIRE(r.next(l));
  CHECK(l.view() == "a");
  CHECK(l.number == 1);
  CHECK(l.offset == 0);
  REQUIRE(r.next(l));
  CHECK(l.view().empty());
  REQUIRE(r.next(l));
  CHECK(l.view() == "bc");
  CHECK(l.offset == 3);
  REQUIRE(r.next(l));
  CHECK(l.view() == longline);
  CHECK(l.capacity >= l.size + simdjson::SIMDJSON_PADDING);
  CHECK_FALSE(r.next(l));
  REQUIRE(r.rest(l));
  CHECK(l.view() == "tail");
  CHECK(l.number == 5);
  CHECK_FALSE(r.rest(l));
  {  // a writer appends: the reader sees it on the next poll
    std::ofstream f(path, std::ios::binary | std::ios::app);
    f << "more\n";
  }
  REQUIRE(r.next(l));
  CHECK(l.view() == "more");
  std::filesystem::remove(path);
  line_reader missing(path);
  CHECK(missing.error() == ENOENT);
  CHECK_FALSE(missing.next(l));
}
