#include <catch2/catch.hpp>

#include <cstdio>
#include <string>

#include <simdjson.h>

#include <introspect/query/output/csv.hpp>
#include <introspect/query/output/make_writer.hpp>
#include <introspect/query/read/jsonl_parse.hpp>

using namespace introspect;
using namespace introspect::query::read;
using namespace introspect::query::expr;
using namespace introspect::query::agg;
using namespace introspect::query::output;

namespace {
// Runs fn(FILE*) on a memory stream and returns what it wrote.
template <class Fn>
std::string capture(Fn fn) {
  char* buf = nullptr;
  std::size_t size = 0;
  std::FILE* f = open_memstream(&buf, &size);
  fn(f);
  std::fclose(f);
  std::string s(buf, size);
  std::free(buf);
  return s;
}
// Aggregate rows through the format's one writer, as `introspect query --agg` prints them.
void write_rows(const std::vector<agg_row>& rows, const agg_spec& spec, output_format fmt,
                std::FILE* f) {
  auto w = make_writer(fmt, f);
  w->write(rows, spec);
  w->finish();
}
record sample() {
  record r;
  r.ts_ns = 1'767'225'600'000'000'001LL;
  r.kind = record_kind::notification;
  r.sev = severity::error;
  r.instance = "n,1";
  r.source = "product";
  r.name = "say \"hi\"\nthere";
  r.fields = {{"disk", std::string{"sdb"}}, {"pct", std::int64_t{91}}};
  return r;
}
}  // namespace

TEST_CASE("csv cells are quoted as RFC 4180 says", "[query][output]") {
  std::string s;
  append_csv_cell(s, "plain");
  CHECK(s == "plain");
  s.clear();
  append_csv_cell(s, "a,b");
  CHECK(s == "\"a,b\"");
  s.clear();
  append_csv_cell(s, "say \"hi\"");
  CHECK(s == "\"say \"\"hi\"\"\"");
  s.clear();
  append_csv_cell(s, "two\nlines");
  CHECK(s == "\"two\nlines\"");
}

TEST_CASE("jsonl output is valid JSON with the record's instance", "[query][output]") {
  auto a = sample();
  auto b = sample();
  b.instance = "n2";
  b.kind = record_kind::state;
  b.fields.clear();
  b.val = 2.5;
  const auto out = capture([&](std::FILE* f) {
    jsonl_writer w(f);
    w.write(a);
    w.write(b);
    w.finish();
  });
  simdjson::dom::parser p;
  simdjson::dom::document_stream docs;
  REQUIRE_FALSE(p.parse_many(out).get(docs));
  std::vector<std::string> instances;
  for (auto doc : docs) {
    REQUIRE_FALSE(doc.error());
    std::string_view inst;
    REQUIRE_FALSE(doc["instance"].get_string().get(inst));
    instances.emplace_back(inst);
    std::string_view ts;
    REQUIRE_FALSE(doc["ts"].get_string().get(ts));
    CHECK(ts.size() == 30);  // nanoseconds
  }
  CHECK(instances == std::vector<std::string>{"n,1", "n2"});
  // And it parses back into the same record.
  jsonl_record_parser rp;
  record back;
  std::string why;
  REQUIRE(rp.parse(std::string_view(out).substr(0, out.find('\n')), back, why));
  CHECK(back.name == a.name);
  CHECK(back.ts_ns == a.ts_ns);
  CHECK(back.fields.size() == 2);
}

TEST_CASE("csv output has a header and one quoted row per record", "[query][output]") {
  const auto out = capture([&](std::FILE* f) {
    csv_writer w(f);
    w.write(sample());
    w.finish();
  });
  CHECK(out ==
        "ts,kind,instance,source,name,severity,type,value,fields,table\r\n"
        "2026-01-01T00:00:00.000000001Z,notification,\"n,1\",product,\"say \"\"hi\"\"\nthere\","
        "error,,,\"{\"\"disk\"\":\"\"sdb\"\",\"\"pct\"\":91}\",\r\n");
}

TEST_CASE("table output aligns columns and escapes C0 and C1 control characters",
          "[query][output]") {
  auto a = sample();
  auto b = sample();
  b.instance = "a-much-longer-instance";
  const auto out = capture([&](std::FILE* f) {
    table_writer w(f, {}, true);  // wide: with the SOURCE column
    w.write(a);
    w.write(b);
    w.finish();
  });
  std::vector<std::string> lines;
  std::size_t pos = 0;
  while (pos < out.size()) {
    auto nl = out.find('\n', pos);
    lines.push_back(out.substr(pos, nl - pos));
    pos = nl + 1;
  }
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].find("SOURCE") == lines[1].find("product"));
  CHECK(lines[1].find("product") == lines[2].find("product"));
  CHECK(lines[1].find("say \"hi\"\\nthere") != std::string::npos);
  auto c1 = sample();
  c1.name =
      "csi\xc2\x9b"
      "2J";  // U+009B: a terminal's CSI
  const auto out1 = capture([&](std::FILE* f) {
    table_writer w(f);
    w.write(c1);
    w.finish();
  });
  CHECK(out1.find("\xc2\x9b") == std::string::npos);
  CHECK(out1.find("csi\\u009b2J") != std::string::npos);
}

TEST_CASE("csv text cells that a spreadsheet would run are prefixed, numbers are not",
          "[query][output]") {
  for (std::string_view f : {"=1+1", "+1", "-1+1", "@SUM(A1)", "\tx", "\rx"}) {
    std::string s;
    append_csv_text(s, f);
    CHECK(s.substr(0, 2) == "\"'");
    std::string raw;
    append_csv_text(raw, f, false);
    CHECK(raw.substr(0, 2) != "\"'");
  }
  std::string s;
  append_csv_text(s, "a=b");
  CHECK(s == "a=b");
  auto r = sample();
  r.val = std::int64_t{-5};
  const auto out = capture([&](std::FILE* f) {
    csv_writer w(f);
    w.write(r);
    w.finish();
  });
  CHECK(out.find(",-5,") != std::string::npos);
}

TEST_CASE("aggregate rows print as table, csv and jsonl", "[query][output]") {
  agg_spec spec;
  spec.fn = agg_fn::avg;
  spec.by = parse_field_ref("fields.disk");
  std::vector<agg_row> rows{{0, "sda", 1.5, 2}, {0, "sdb", std::nan(""), 1}};
  CHECK(capture([&](std::FILE* f) { write_rows(rows, spec, output_format::csv, f); }) ==
        "fields.disk,avg\r\nsda,1.5\r\nsdb,\r\n");
  CHECK(capture([&](std::FILE* f) { write_rows(rows, spec, output_format::jsonl, f); }) ==
        "{\"fields.disk\":\"sda\",\"avg\":1.5,\"records\":2}\n"
        "{\"fields.disk\":\"sdb\",\"avg\":null,\"records\":1}\n");
  CHECK(capture([&](std::FILE* f) { write_rows(rows, spec, output_format::table, f); }) ==
        "fields.disk  avg\nsda          1.5\nsdb            -\n");
}

TEST_CASE("each format has one writer: an empty result keeps its record header, rows their own",
          "[query][output]") {
  const auto empty = [](output_format fmt) {
    return capture([&](std::FILE* f) { make_writer(fmt, f)->finish(); });
  };
  CHECK(empty(output_format::csv) ==
        "ts,kind,instance,source,name,severity,type,value,fields,table\r\n");
  CHECK(empty(output_format::table) == "TS  KIND  INSTANCE  NAME  SEVERITY  VALUE\n");
  CHECK(empty(output_format::jsonl).empty());
  agg_spec spec;
  spec.fn = agg_fn::count;
  std::vector<agg_row> rows{{0, "", 3, 3}};
  CHECK(capture([&](std::FILE* f) { write_rows(rows, spec, output_format::csv, f); }) ==
        "count\r\n3\r\n");
  CHECK(capture([&](std::FILE* f) { write_rows(rows, spec, output_format::wide, f); }) ==
        "count\n    3\n");
}
