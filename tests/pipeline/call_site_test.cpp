// notify<"message", "key"...>(severity, values...): the call site's constant bytes made at
// compile time (pipeline/call_site.hpp) must give, byte for byte, the payload of the runtime
// notify(severity, message, {{key, value}...}) — through both encoders, through the engine's
// queue and its per-thread rings into a real store, and on the tiny tier (which falls back to
// the runtime call). Oversize records are dropped and counted as the runtime call's are.
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <introspect/codec/binary.hpp>
#include <introspect/introspect.hpp>
#include <introspect/pipeline/call_site.hpp>
#include <introspect/store/reader.hpp>

#include "../support/temp_dir.hpp"

namespace ix = introspect;
namespace fs = std::filesystem;

namespace {

// codec::encode of the notification the runtime call makes.
std::string runtime_payload(ix::severity s, std::string_view message,
                            std::vector<ix::field_view> fields) {
  ix::record_view r;
  r.kind = ix::record_kind::notification;
  r.sev = s;
  r.source = "product";
  r.name = message;
  r.fields = fields;
  std::string out;
  ix::codec::encode(r, out);
  return out;
}

// Both encoders of a site (the exact one, and the chunked one with its slack) and its sizes.
template <class Site, class... V>
void check_site(ix::severity s, const std::string& want, const V&... values) {
  const auto src = ix::pipeline::make_site_source<Site>(7, s, values...);
  CHECK(src.exact_size() == want.size());
  CHECK(src.bound() >= want.size());
  std::vector<char> exact(src.exact_size() + 1, '\x5a');
  CHECK(std::string(exact.data(), src.template encode<false>(exact.data())) == want);
  CHECK(exact.back() == '\x5a');  // nothing written past the exact size
  std::vector<char> chunked(src.bound() + ix::pipeline::detail::chunk_slack);
  CHECK(std::string(chunked.data(), src.template encode<true>(chunked.data())) == want);
}

// A message and a key of 130 characters: their lengths take two varint bytes.
#define IX_LONG_130                                                                             \
  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890" \
  "123456789012345678901234567890123456789"

}  // namespace

TEST_CASE("a call site's payload is the runtime notify's, byte for byte", "[pipeline][site]") {
  using ix::severity;
  SECTION("no attributes") {
    check_site<ix::pipeline::notification_site<"started">>(
        severity::info, runtime_payload(severity::info, "started", {}));
  }
  SECTION("strings of every short length, and empty ones") {
    using site = ix::pipeline::notification_site<"disk nearly full", "disk", "node">;
    const std::string text(300, 'x');
    for (std::size_t a = 0; a <= 40; ++a)
      for (std::size_t b : {std::size_t{0}, std::size_t{1}, std::size_t{16}, std::size_t{127},
                            std::size_t{128}, std::size_t{300}}) {
        const std::string_view va(text.data(), a);
        const std::string vb(text.data() + 1, b);
        check_site<site>(
            severity::warning,
            runtime_payload(severity::warning, "disk nearly full", {{"disk", va}, {"node", vb}}),
            va, vb);
      }
  }
  SECTION("integers, reals and booleans of every size") {
    using site = ix::pipeline::notification_site<"m", "i", "r", "b">;
    for (std::int64_t i : {std::int64_t{0}, std::int64_t{-1}, std::int64_t{63}, std::int64_t{64},
                           std::int64_t{-65}, std::int64_t{1} << 40, INT64_MAX, INT64_MIN})
      for (double r : {0.0, -2.5, 1e300})
        for (bool b : {false, true})
          check_site<site>(severity::error,
                           runtime_payload(severity::error, "m", {{"i", i}, {"r", r}, {"b", b}}), i,
                           r, b);
  }
  SECTION("every kind of argument the runtime call takes") {
    using site = ix::pipeline::notification_site<"m", "a", "b", "c", "d", "e", "f", "g", "h">;
    const char* cstr = "c-string";
    const std::string str = "std::string";
    const ix::value_view view(std::int64_t{-9});
    const unsigned short us = 65535;
    const float f = 0.25F;
    check_site<site>(severity::notice,
                     runtime_payload(severity::notice, "m",
                                     {{"a", cstr},
                                      {"b", str},
                                      {"c", "literal"},
                                      {"d", 7},
                                      {"e", us},
                                      {"f", f},
                                      {"g", view},
                                      {"h", std::string_view()}}),
                     cstr, str, "literal", 7, us, f, view, std::string_view());
  }
  SECTION("a message and a key past 127 characters, and every severity") {
    using site = ix::pipeline::notification_site<IX_LONG_130, IX_LONG_130, "k">;
    for (auto s : {severity::debug, severity::info, severity::notice, severity::warning,
                   severity::error, severity::critical})
      check_site<site>(
          s, runtime_payload(s, IX_LONG_130, {{IX_LONG_130, std::int64_t{5}}, {"k", "v"}}),
          std::int64_t{5}, "v");
  }
}

namespace {

// Every notification payload of `scope`'s store, in order.
std::vector<std::string> stored_notifications(const fs::path& root, const std::string& scope) {
  std::vector<std::string> out;
  ix::store::reader rd(root);
  for (const auto& name : rd.stream_names(scope)) {
    ix::store::cursor c(root / scope / name, {});
    ix::store::frame_view v;
    while (c.next(v))
      if (v.kind == static_cast<std::uint8_t>(ix::record_kind::notification))
        out.emplace_back(v.text());
  }
  return out;
}

template <class Ins>
void store_both_ways(const fs::path& dir) {
  ix::config c{.store = dir, .instance = "n", .on_error = ix::ignore_errors};
  Ins ins{c};
  const std::string node(200, 'n');
  for (std::int64_t i = 0; i < 100; ++i) {
    ins.notify(ix::severity::warning, "disk nearly full",
               {{"disk", "sdb"}, {"used_pct", i}, {"node", std::string_view(node).substr(0, i)}});
    ins.template notify<"disk nearly full", "disk", "used_pct", "node">(
        ix::severity::warning, "sdb", i, std::string_view(node).substr(0, i));
  }
  ins.notify(ix::severity::info, "done");
  ins.template notify<"done">(ix::severity::info);
  ins.flush();
  CHECK(ins.stats().dropped() == 0);
}

}  // namespace

TEST_CASE("a call site's records are stored as the runtime notify's, queue and rings alike",
          "[pipeline][site][engine]") {
  ix_test::temp_dir d("ix-site");
  SECTION("the shared queue") { store_both_ways<ix::introspection<ix::tier::medium>>(d.path()); }
  SECTION("per-thread rings") {
    store_both_ways<ix::introspection<ix::tier::medium, ix::queue::per_thread_rings<>>>(d.path());
  }
  const auto got = stored_notifications(d.path(), "n");
  REQUIRE(got.size() == 202);
  for (std::size_t i = 0; i < got.size(); i += 2) {
    INFO("pair " << i / 2);
    CHECK(got[i] == got[i + 1]);
  }
}

TEST_CASE("a call site too large for a slot is dropped and counted as the runtime call's",
          "[pipeline][site][engine]") {
  ix_test::temp_dir d("ix-site-big");
  ix::introspection<ix::tier::medium> ins{
      ix::config{.store = d.path(), .instance = "n", .on_error = ix::ignore_errors}};
  const std::string huge(100'000, 'h');
  ins.notify(ix::severity::info, "big", {{"blob", huge}});
  ins.notify<"big", "blob">(ix::severity::info, huge);
  ins.flush();
  CHECK(ins.stats().dropped_oversize == 2);
  CHECK(stored_notifications(d.path(), "n").empty());
}

namespace {
std::int64_t fixed_clock() noexcept { return 1'700'000'000'000'000'000; }
}  // namespace

TEST_CASE("the tiny tier writes a call site's notification as the runtime call's line",
          "[pipeline][site][tiny]") {
  ix_test::temp_dir d("ix-site-tiny");
  {
    ix::config c{.store = d.path(), .instance = "t"};
    c.clock = &fixed_clock;
    ix::tiny_introspection ins{c};
    ins.notify(ix::severity::error, "link down", {{"port", std::int64_t{3}}, {"peer", "sw1"}});
    ins.notify<"link down", "port", "peer">(ix::severity::error, std::int64_t{3}, "sw1");
  }
  std::vector<std::string> lines;
  for (const auto& e : fs::recursive_directory_iterator(d.path()))
    if (e.is_regular_file()) {
      std::ifstream in(e.path());
      for (std::string l; std::getline(in, l);)
        if (l.find("\"link down\"") != std::string::npos) lines.push_back(l);
    }
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == lines[1]);
}
