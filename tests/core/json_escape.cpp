// JSON string escaping: quotes, backslash, every control character, DEL, valid UTF-8 kept,
// invalid UTF-8 replaced by U+FFFD; every output parsed back by simdjson and by jq.
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <introspect/format/json_escape.hpp>

#include "support.hpp"

namespace ix = introspect;
using namespace std::string_literals;

namespace {

std::string esc(std::string_view s) {
  std::string out;
  ix::append_json_string(out, s);
  return out;
}

// What simdjson decodes the escaped text to.
std::string decoded(std::string_view s) {
  const std::string doc = esc(s);
  ixt::json j(doc);
  return std::string(std::string_view(j.root()));
}

const std::string fffd = "\xEF\xBF\xBD";

}  // namespace

TEST_CASE("quotes and backslashes are escaped", "[format][json]") {
  CHECK(esc("") == R"("")");
  CHECK(esc("plain") == R"("plain")");
  CHECK(esc(R"(a"b)") == R"("a\"b")");
  CHECK(esc(R"(a\b)") == R"("a\\b")");
  CHECK(esc(R"(\")") == R"("\\\"")");
  CHECK(esc("/") == R"("/")");
  CHECK(decoded(R"(say "hi" \o/)") == R"(say "hi" \o/)");
}

TEST_CASE("every control character 0x00-0x1f is escaped and decodes back", "[format][json]") {
  for (int c = 0; c < 0x20; ++c) {
    const std::string in = "a"s + static_cast<char>(c) + "b";
    const std::string out = esc(in);
    INFO("control character " << c);
    for (char ch : out) CHECK(static_cast<unsigned char>(ch) >= 0x20);
    CHECK(decoded(in) == in);
  }
  CHECK(esc("\n\r\t\b\f") == R"("\n\r\t\b\f")");
  CHECK(esc(std::string_view("\0", 1)) == R"("\u0000")");
  CHECK(esc("\x1f") == R"("\u001f")");
  CHECK(esc("\x01") == R"("\u0001")");
}

TEST_CASE("DEL is valid JSON and decodes to itself", "[format][json]") {
  CHECK(decoded("a\x7f"
                "b") ==
        "a\x7f"
        "b");
}

TEST_CASE("valid multi-byte UTF-8 is kept byte for byte", "[format][json]") {
  const std::vector<std::string> valid = {
      "\xC2\xA9",          // U+00A9 (2 bytes, lowest lead)
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800 (lowest 3-byte)
      "\xE2\x82\xAC",      // U+20AC euro
      "\xED\x9F\xBF",      // U+D7FF (just below the surrogates)
      "\xEE\x80\x80",      // U+E000 (just above)
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000 (lowest 4-byte)
      "\xF0\x9F\x98\x80",  // U+1F600 emoji
      "\xF4\x8F\xBF\xBF",  // U+10FFFF (highest)
      "h\xC3\xA9llo w\xC3\xB6rld \xE6\x97\xA5\xE6\x9C\xAC",
  };
  for (const auto& s : valid) {
    INFO(s);
    CHECK(esc(s) == "\"" + s + "\"");
    CHECK(decoded(s) == s);
  }
}

TEST_CASE("invalid UTF-8 is replaced by U+FFFD", "[format][json]") {
  struct bad {
    const char* what;
    std::string in;
    std::string out;
  };
  const std::vector<bad> cases = {
      {"lone continuation", "a\x80z", "a" + fffd + "z"},
      {"lone continuation bf", "\xBF", fffd},
      {"overlong 2-byte C0", "\xC0\xAF", fffd + fffd},
      {"overlong 2-byte C1", "\xC1\xBF", fffd + fffd},
      {"overlong 3-byte", "\xE0\x80\xAF", fffd + fffd + fffd},
      {"overlong 4-byte", "\xF0\x80\x80\xAF", fffd + fffd + fffd + fffd},
      {"surrogate D800", "\xED\xA0\x80", fffd + fffd + fffd},
      {"surrogate DFFF", "\xED\xBF\xBF", fffd + fffd + fffd},
      {"above U+10FFFF (F4 90)", "\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},
      {"F5 lead", "\xF5\x80\x80\x80", fffd + fffd + fffd + fffd},
      {"FF byte", "\xFF", fffd},
      {"truncated 2-byte at end", "ab\xC3", "ab" + fffd},
      {"truncated 3-byte at end", "\xE2\x82", fffd + fffd},
      {"truncated 4-byte then ASCII", "\xF0\x9F\x98z", fffd + fffd + fffd + "z"},
      {"truncated then valid", "\xE2\x82\xC3\xA9", fffd + fffd + "\xC3\xA9"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    const std::string out = esc(c.in);
    CHECK(decoded(c.in) == c.out);
    // simdjson rejects invalid UTF-8 in its input: the escaped text itself must be valid.
    CHECK(simdjson::validate_utf8(out.data(), out.size()));
  }
}

TEST_CASE("every single byte and every byte pair escapes to valid JSON (simdjson and jq)",
          "[format][json][jq]") {
  ixt::temp_dir dir;
  const auto file = dir / "strings.jsonl";
  std::vector<std::string> inputs;
  for (int a = 0; a < 256; ++a) {
    inputs.push_back(std::string(1, static_cast<char>(a)));
    for (int b = 0; b < 256; b += 7)
      inputs.push_back(std::string{static_cast<char>(a)} + static_cast<char>(b));
  }
  inputs.push_back("\"\\\x01\x7f\xC3\xA9\xED\xA0\x80\xF4\x90\x80\x80");
  {
    std::ofstream out(file, std::ios::binary);
    for (const auto& s : inputs) {
      const std::string e = esc(s);
      REQUIRE_NOTHROW(ixt::json(e));
      out << "{\"s\":" << e << "}\n";
    }
  }
  std::string jq_out;
  CHECK(ixt::jq_status(file, &jq_out) == 0);
  CHECK(ixt::occurrences(jq_out, "\n") == inputs.size());
}

TEST_CASE("jq rejects a file with an unescaped control character (the check can fail)",
          "[format][json][jq]") {
  ixt::temp_dir dir;
  const auto file = dir / "bad.jsonl";
  std::ofstream(file, std::ios::binary) << "{\"s\":\"a\x01"
                                           "b\"}\n";
  CHECK(ixt::jq_status(file) != 0);
}

TEST_CASE("the one-pass check-and-copy finds every byte that needs escaping, at every position",
          "[format][json]") {
  // put_json_clean reads 16 bytes (SSE2) or a word at a time with overlapping tails (lengths
  // 1-3, 4-7, 8-15, 16 and up take different paths, above 32 a loop): each length up to 40 with
  // each byte value at each position.
  const auto reference_clean = [](std::string_view s) {
    for (char c : s)
      if (ix::detail::needs_escape(static_cast<unsigned char>(c))) return false;
    return true;
  };
  std::size_t checked = 0;
  for (std::size_t n = 0; n <= 40; ++n) {
    for (std::size_t pos = 0; pos < (n ? n : 1); ++pos) {
      for (int b = 0; b < 256; ++b) {
        std::string s(n, 'x');
        for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('A' + i % 26);
        if (n) s[pos] = static_cast<char>(b);
        char out[64 + 4];
        std::memset(out, '#', sizeof out);
        const char* end = ix::detail::put_json_clean(out, s);
        const bool clean = reference_clean(s);
        INFO("length " << n << ", byte " << b << " at " << pos);
        REQUIRE((end != nullptr) == clean);
        REQUIRE(ix::detail::json_clean(s) == clean);
        if (clean) {
          REQUIRE(end == out + n + 2);
          REQUIRE(std::string_view(out, n + 2) == esc(s));
        }
        // Never writes past the quoted string's room.
        for (std::size_t i = n + 2; i < sizeof out; ++i) REQUIRE(out[i] == '#');
        ++checked;
        if (!n) break;
      }
    }
  }
  CHECK(checked > 200'000);
}
