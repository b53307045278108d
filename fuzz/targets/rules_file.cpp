// Rules files (insight/rules_file.hpp), given with `introspect insights --rules FILE`: any
// bytes give a configuration or a list of errors (each naming a JSON path), never a crash; an
// accepted configuration runs in the engine over a short series of records without a crash.
#include <cstdint>
#include <string>
#include <vector>

#include <introspect/insight/all_rules.hpp>
#include <introspect/insight/replay.hpp>
#include <introspect/insight/rules_file.hpp>

#include "../support/fuzz_support.hpp"

namespace ix = introspect;
namespace ins = introspect::insight;

namespace {

// A minute of a small product: metrics of every type, states and notifications, with names a
// fuzzed rule may select (the dictionary holds them).
std::vector<ix::record> series() {
  std::vector<ix::record> out;
  const std::int64_t t0 = 1'767'225'600'000'000'000;
  for (int i = 0; i < 60; ++i) {
    ix::record m;
    m.ts_ns = t0 + std::int64_t{i} * 1'000'000'000;
    m.kind = ix::record_kind::metric;
    m.source = "fuzz";
    m.mtype = i % 2 ? ix::metric_type::counter : ix::metric_type::gauge;
    m.name = i % 2 ? "requests" : "disk.used";
    m.val = i % 2 ? ix::value{std::int64_t{i * i}} : ix::value{100.0 - i * 1.5};
    m.fields.push_back({"disk", std::string{i % 3 ? "sdb" : "sdc"}});
    out.push_back(m);
    ix::record s = m;
    s.kind = ix::record_kind::state;
    s.mtype = ix::metric_type::none;
    s.name = "container/3";
    s.val = std::string{i % 4 < 2 ? "RECOVERING" : "RUNNING"};
    out.push_back(s);
    if (i % 7 == 0) {
      ix::record n = m;
      n.kind = ix::record_kind::notification;
      n.mtype = ix::metric_type::none;
      n.sev = ix::severity::warning;
      n.name = "disk nearly full";
      n.val = std::monostate{};
      out.push_back(n);
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto records = series();
  auto parsed = ins::parse_rules<ins::all_rules>(introspect_fuzz::as_text(data, size));
  if (!parsed.ok()) {
    for (const auto& e : parsed.errors) {
      INTROSPECT_FUZZ_CHECK(!e.path.empty() && !e.message.empty());
      // Errors go to a terminal: no control character from the file reaches it raw.
      const auto text = e.text();
      for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0u;
        INTROSPECT_FUZZ_CHECK(c >= 0x20 && c != 0x7f &&
                              !(c == 0xc2 && next >= 0x80 && next <= 0x9f));
      }
    }
    return 0;
  }
  ins::full_engine eng{parsed.cfg};
  ins::replay<ins::full_engine> rp{eng};
  std::uint64_t emitted = 0;
  auto emit = [&](const ix::record& r) {
    INTROSPECT_FUZZ_CHECK(r.kind == ix::record_kind::insight);
    ++emitted;
  };
  for (const auto& r : records) rp.observe(r, emit);
  rp.finish(emit);
  (void)eng.diagnostics();
  return 0;
}
