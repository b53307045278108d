// Subjects, stream names, message ids and the cursor file: pure functions, no server.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>

#include <introspect/jetstream/cursor_file.hpp>
#include <introspect/jetstream/federation.hpp>
#include <introspect/jetstream/limits.hpp>
#include <introspect/jetstream/names.hpp>
#include <introspect/jetstream/progress.hpp>
#include <introspect/store/verify.hpp>
#include <introspect/store/writer.hpp>

#include "server.hpp"

namespace js = introspect::jetstream;

TEST_CASE("subjects and stream names are valid NATS names and never collide", "[jetstream]") {
  CHECK(js::subject_of("node-1", "metric") == "introspect.node-1.metric");
  CHECK(js::stream_name_of("node-1", "metric") == "IX_node-1_metric");
  CHECK(js::subject_of("web.eu_1", "all") == "introspect.web~2Eeu_1.all");
  CHECK(js::stream_name_of("web.eu_1", "all") == "IX_web~2Eeu~5F1_all");
  CHECK(js::msg_id("node-1", "metric", 4242) == "node-1/metric/4242");
  CHECK(js::scope_wildcard("a b") == "introspect.a~20b.*");

  // Pairs that a naive '_' join or '.' mapping would merge stay apart.
  const std::pair<std::string, std::string> pairs[] = {
      {"a_b", "c"}, {"a", "b_c"},   {"a.b", "c"},   {"a", "b.c"},
      {"a b", "c"}, {"a~20b", "c"}, {"a", "2Eb.c"}, {"a.b", "2Ec"}};
  std::set<std::string> names, subjects;
  for (auto& [sc, st] : pairs) {
    auto n = js::stream_name_of(sc, st);
    auto s = js::subject_of(sc, st);
    names.insert(n);
    subjects.insert(s);
    for (char c : n) CHECK((c != '.' && c != '*' && c != '>' && c != ' ' && c != '/'));
    auto back = js::parse_subject(s);
    REQUIRE(back);
    CHECK(back->scope == sc);
    CHECK(back->stream == st);
  }
  CHECK(names.size() == std::size(pairs));
  CHECK(subjects.size() == std::size(pairs));

  CHECK_FALSE(js::parse_subject("introspect.a"));
  CHECK_FALSE(js::parse_subject("other.a.b"));
  CHECK_FALSE(js::parse_subject("introspect.a~2.b"));
  CHECK_FALSE(js::parse_subject("introspect.a~41.b"));  // 'A' is never escaped
  CHECK_FALSE(js::parse_subject("introspect..b"));

  const std::string long_scope(128, 'x');
  auto n1 = js::stream_name_of(long_scope, std::string(128, '.'));
  auto n2 = js::stream_name_of(long_scope, std::string(127, '.') + ",");
  CHECK(n1.size() == js::max_stream_name);
  CHECK(n1 != n2);
}

TEST_CASE("retention maps onto JetStream limits", "[jetstream]") {
  introspect::store::stream_options o;
  CHECK(js::limits_from(o) == js::limits{});
  o.keep_for = std::chrono::hours(2);
  o.keep_bytes = 1000;
  o.keep_count = 7;
  auto l = js::limits_from(o);
  CHECK(l.max_age == std::chrono::nanoseconds(std::chrono::hours(2)));
  CHECK(l.max_bytes == 1000u);
  CHECK(l.max_msgs == 7u);
}

TEST_CASE("the cursor file round-trips, is atomic store metadata, and rejects damage",
          "[jetstream]") {
  js_test::temp_dir tmp("js-cursor");
  const auto root = tmp.path();
  introspect::store::writer w(root, "node-1");
  w.stream("metric");
  const auto scope = root / "node-1";
  CHECK(js::load_cursors(scope, "jetstream").empty());

  js::cursor_map m;
  m["metric"] = {1234, 56, 100, -5};
  m["with space"] = {1, 2, 3, std::numeric_limits<std::int64_t>::min()};
  js::save_cursors(scope, "jetstream", m);
  std::string why;
  CHECK(js::load_cursors(scope, "jetstream", &why) == m);
  CHECK(why.empty());
  auto v = introspect::store::verify(root);
  CHECK(v.clean());
  CHECK(v.foreign.empty());

  // Flip one byte: the envelope's checksum catches it and the map comes back empty.
  const auto file = scope / ".meta" / "jetstream";
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(30);
    f.put('#');
  }
  CHECK(js::load_cursors(scope, "jetstream", &why).empty());
  CHECK(why.find("checksum") != std::string::npos);
  CHECK_FALSE(introspect::store::verify(root).clean());
}

TEST_CASE("the Ix header and the offset in the message id round-trip", "[jetstream]") {
  char buf[48];
  js::frame_fields f{-1'700'000'000'123'456'789, 6, 1};
  const auto n = js::format_ix(buf, f);
  CHECK(std::string_view(buf, n) == "-1700000000123456789 6 1");
  auto back = js::parse_ix(std::string_view(buf, n));
  REQUIRE(back);
  CHECK(back->ts_ns == f.ts_ns);
  CHECK(back->kind == 6);
  CHECK(back->flags == 1);
  CHECK_FALSE(js::parse_ix("1 2"));
  CHECK_FALSE(js::parse_ix("1 256 0"));
  CHECK_FALSE(js::parse_ix("x 1 0"));
  CHECK_FALSE(js::parse_ix("1 1 0 "));
  CHECK(js::offset_of_msg_id(js::msg_id("a", "b c", 99)) == 99u);
  CHECK_FALSE(js::offset_of_msg_id("a/b/"));
  CHECK_FALSE(js::offset_of_msg_id("a/b/1x"));
}

TEST_CASE("progress reports round-trip; their subjects never parse as data subjects",
          "[jetstream]") {
  js::scope_progress p;
  p.reported_ns = 1'767'225'600'123'456'789;
  p.streams = {{"metric", 100, 250}, {"name with spaces", 0, 0}};
  auto back = js::decode_progress(js::encode_progress(p));
  REQUIRE(back);
  CHECK(back->reported_ns == p.reported_ns);
  CHECK_FALSE(back->stopped);
  CHECK(back->streams == p.streams);
  p.stopped = true;
  CHECK(js::decode_progress(js::encode_progress(p))->stopped);

  auto text = js::encode_progress(p);
  CHECK_FALSE(js::decode_progress(text.substr(0, text.size() - 1)));  // cut short
  CHECK_FALSE(js::decode_progress("ixjs-progress 2\n1 running\n"));   // another version
  CHECK_FALSE(js::decode_progress("ixjs-progress 1\n1 paused\n"));
  CHECK_FALSE(js::decode_progress("ixjs-progress 1\n1 running\nx 2 metric\n"));
  CHECK_FALSE(js::decode_progress("ixjs-progress 1\n1 running\n1 2 \n"));  // no name

  CHECK(js::progress_subject("web.eu_1") == "introspect-progress.web~2Eeu_1");
  CHECK(js::progress_stream_of("web.eu_1") == "IXP_web~2Eeu~5F1");
  CHECK_FALSE(js::parse_subject(js::progress_subject("node-1")));
  CHECK(js::progress_stream_of(std::string(500, 'a')).size() <= js::max_stream_name);
}

TEST_CASE("federation warnings name what a federated answer may lack, and only that",
          "[jetstream]") {
  const std::int64_t now = 1'767'225'600'000'000'000;  // 2026-01-01T00:00:00Z
  const auto silent = std::chrono::seconds(15);
  js::scope_progress fresh{now - 1'000'000'000, false, {{"metric", 120, 120}}};
  js::scope_progress old_running{now - 60'000'000'000, false, {{"metric", 120, 120}}};
  js::scope_progress old_stopped{now - 3'600'000'000'000, true, {{"metric", 120, 120}}};
  std::vector<js::instance_status> st{{"a", fresh, {}}, {"b", old_stopped, {}}};
  CHECK(js::federation_warnings(st, "nats://h:1", now, silent).empty());

  st = {{"a", old_running, {}}, {"b\x1b[2J", std::nullopt, {}}};
  auto w = js::federation_warnings(st, "nats://h:1", now, silent);
  REQUIRE(w.size() == 2);
  CHECK_THAT(w[0], Catch::Contains("instance a last reported its progress 60 s ago"));
  CHECK_THAT(w[1], Catch::Contains("has no progress report"));
  CHECK(w[1].find('\x1b') == std::string::npos);  // names from the server are made safe

  st = {{"a", fresh, {{"metric", 100, 340}}}};
  w = js::federation_warnings(st, "nats://h:1", now, silent);
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::Contains("instance a stream metric is behind: JetStream holds its "
                                   "store up to offset 100 of 340 (240 bytes not yet published"));
  CHECK_THAT(w[0], Catch::Contains("forwarder running"));
}

TEST_CASE("URLs in error messages never show user information", "[jetstream][security]") {
  using introspect::jetstream::redact_url;
  CHECK(redact_url("nats://127.0.0.1:4222") == "nats://127.0.0.1:4222");
  CHECK(redact_url("nats://alice:s3cret@10.0.0.1:4222") == "nats://<redacted>@10.0.0.1:4222");
  CHECK(redact_url("nats://tok3n@a:1,tls://bob:pw@b:2,c:3") ==
        "nats://<redacted>@a:1,tls://<redacted>@b:2,c:3");
  CHECK(redact_url("user:pw@host:4222") == "<redacted>@host:4222");
  CHECK(redact_url("").empty());
}
