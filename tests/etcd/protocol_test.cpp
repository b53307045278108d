// The etcd source's wire format without a server: base64, UTF-8 checks, prefix ranges, request
// bodies and the gateway's responses (as etcd 3.4 writes them).
#include <cstdint>
#include <limits>
#include <string>

#include <catch2/catch.hpp>

#include <introspect/source/etcd/detail/base64.hpp>
#include <introspect/source/etcd/detail/utf8.hpp>
#include <introspect/source/etcd/options.hpp>
#include <introspect/source/etcd/protocol.hpp>

namespace ix = introspect;
namespace etcd = introspect::etcd;

TEST_CASE("base64 round-trips every byte and rejects non-base64", "[etcd]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (std::size_t n = 0; n <= all.size(); n += 37) {
    const auto s = all.substr(0, n);
    const auto e = etcd::detail::base64_encode(s);
    CHECK(e.size() % 4 == 0);
    CHECK(etcd::detail::base64_decode(e) == s);
  }
  CHECK(etcd::detail::base64_encode("a/1") == "YS8x");
  CHECK(etcd::detail::base64_encode("\xff\x00hi") == "/w==");  // a C string stops at the NUL
  CHECK(etcd::detail::base64_encode(std::string_view("\xff\0hi", 4)) == "/wBoaQ==");
  CHECK_FALSE(etcd::detail::base64_decode("YS8*").has_value());
  CHECK_FALSE(etcd::detail::base64_decode("YQ==YQ").has_value());
}

TEST_CASE("UTF-8 validation accepts text and rejects broken sequences", "[etcd]") {
  CHECK(etcd::detail::valid_utf8(""));
  CHECK(etcd::detail::valid_utf8("plain"));
  CHECK(etcd::detail::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK_FALSE(etcd::detail::valid_utf8("\xff"));
  CHECK_FALSE(etcd::detail::valid_utf8("\xc3"));              // truncated
  CHECK_FALSE(etcd::detail::valid_utf8("\xc0\xaf"));          // overlong
  CHECK_FALSE(etcd::detail::valid_utf8("\xed\xa0\x80"));      // surrogate
  CHECK_FALSE(etcd::detail::valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

TEST_CASE("the range end of a prefix follows etcd's rule", "[etcd]") {
  CHECK(etcd::prefix_range_end("/app/") == "/app0");
  CHECK(etcd::prefix_range_end("a\xff") == "b");
  CHECK(etcd::prefix_range_end("\xff\xff") == std::string(1, '\0'));
  CHECK(etcd::prefix_range_end("") == std::string(1, '\0'));
}

TEST_CASE("request bodies carry base64 keys and string revisions", "[etcd]") {
  CHECK(etcd::range_request("a/", "a0", 7, 0) ==
        R"({"key":"YS8=","range_end":"YTA=","limit":"7"})");
  CHECK(etcd::range_request("a/", "a0", 0, 42) ==
        R"({"key":"YS8=","range_end":"YTA=","revision":"42"})");
  CHECK(etcd::watch_request({{"a/", "a0", 5}, {"b/", "b0", 6}}) ==
        R"({"create_request":{"key":"YS8=","range_end":"YTA=","start_revision":"5"}})"
        R"({"create_request":{"key":"Yi8=","range_end":"YjA=","start_revision":"6"}})");
  CHECK(etcd::authenticate_request("root", "p\"w\\") == R"({"name":"root","password":"p\"w\\"})");
}

TEST_CASE("range responses are parsed, errors reported with the server's message", "[etcd]") {
  etcd::response_parser p;
  etcd::range_page page;
  const std::string ok =
      R"({"header":{"cluster_id":"1","member_id":"2","revision":"3","raft_term":"2"},)"
      R"("kvs":[{"key":"YS8x","create_revision":"2","mod_revision":"2","version":"1",)"
      R"("value":"/wBoaQ==","lease":"7587"}],"more":true,"count":"2"})";
  REQUIRE_FALSE(p.range(ok, page).has_value());
  CHECK(page.revision == 3);
  CHECK(page.more);
  CHECK(page.count == 2);
  REQUIRE(page.kvs.size() == 1);
  CHECK(page.kvs[0].key == "a/1");
  CHECK(page.kvs[0].value == std::string("\xff\0hi", 4));
  CHECK(page.kvs[0].create_revision == 2);
  CHECK(page.kvs[0].mod_revision == 2);
  CHECK(page.kvs[0].version == 1);
  CHECK(page.kvs[0].lease == 7587);

  REQUIRE_FALSE(p.range(R"({"header":{"revision":"9"}})", page).has_value());
  CHECK(page.kvs.empty());
  CHECK_FALSE(page.more);

  const auto compacted =
      p.range(R"({"error":"etcdserver: mvcc: required revision has been compacted","message":)"
              R"("etcdserver: mvcc: required revision has been compacted","code":11})",
              page);
  REQUIRE(compacted.has_value());
  CHECK(compacted->find("compacted") != std::string::npos);
  const auto junk = p.range("404 page not found", page);
  REQUIRE(junk.has_value());
  CHECK(junk->find("not JSON") != std::string::npos);
  CHECK(p.range(R"({"header":{}})", page).has_value());  // no revision: not a range response
}

TEST_CASE("watch messages: created, events with deletes, compaction", "[etcd]") {
  etcd::response_parser p;
  etcd::watch_message m;
  REQUIRE_FALSE(
      p.watch(R"({"result":{"header":{"revision":"4"},"watch_id":"1","created":true}})", m)
          .has_value());
  CHECK(m.created);
  CHECK(m.watch_id == 1);
  CHECK(m.revision == 4);
  REQUIRE_FALSE(
      p.watch(R"({"result":{"header":{"revision":"4"},"events":[{"kv":{"key":"YS8y",)"
              R"("create_revision":"3","mod_revision":"3","version":"1","value":"eA=="}},)"
              R"({"type":"DELETE","kv":{"key":"YS8y","mod_revision":"4"}}]}})",
              m)
          .has_value());
  CHECK_FALSE(m.created);
  CHECK(m.watch_id == 0);
  REQUIRE(m.events.size() == 2);
  CHECK_FALSE(m.events[0].is_delete);
  CHECK(m.events[0].kv.value == "x");
  CHECK(m.events[1].is_delete);
  CHECK(m.events[1].kv.key == "a/2");
  CHECK(m.events[1].kv.mod_revision == 4);
  REQUIRE_FALSE(
      p.watch(R"({"result":{"header":{},"canceled":true,"compact_revision":"3"}})", m).has_value());
  CHECK(m.canceled);
  CHECK(m.compact_revision == 3);
  const auto err = p.watch(R"({"error":{"grpc_code":16,"message":"invalid auth token"}})", m);
  REQUIRE(err.has_value());
  CHECK(*err == "invalid auth token");
}

TEST_CASE("integers out of int64's range or malformed read as 0, never overflow", "[etcd]") {
  etcd::response_parser p;
  etcd::range_page page;
  const auto with_count = [&](const std::string& count) {
    page = {};
    const auto err = p.range(R"({"header":{"revision":"5"},"count":")" + count + R"("})", page);
    REQUIRE_FALSE(err.has_value());
    CHECK(page.revision == 5);
    return page.count;
  };
  // The limits themselves are read exactly.
  CHECK(with_count(std::to_string(std::numeric_limits<std::int64_t>::max())) ==
        std::numeric_limits<std::int64_t>::max());
  CHECK(with_count(std::to_string(std::numeric_limits<std::int64_t>::min())) ==
        std::numeric_limits<std::int64_t>::min());
  CHECK(with_count("42") == 42);
  // One past them, 20 digits (the old digit loop overflowed: undefined behaviour), junk.
  CHECK(with_count("9223372036854775808") == 0);
  CHECK(with_count("-9223372036854775809") == 0);
  CHECK(with_count("99999999999999999999") == 0);
  CHECK(with_count("12abc") == 0);
  CHECK(with_count("") == 0);
  CHECK(with_count("-") == 0);
}
