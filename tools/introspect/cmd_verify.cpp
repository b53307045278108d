// introspect verify: every record of every stream checked; exit 1 when anything is damaged.
// A stream store is checked frame by frame with store::verify (checksums, indexes, metadata,
// truncation points) and each payload is then decoded; a JSON-lines store line by line.
#include <introspect/format/terminal_text.hpp>
#include <introspect/query/read/stream_store.hpp>
#include <introspect/store/verify.hpp>

#include "common.hpp"
#include "support.hpp"

#include <cstring>

namespace ixcli {

namespace {

struct totals {
  std::uint64_t streams = 0, records = 0, bytes = 0;
};

// store::verify's report on stderr, then a decode pass over every record it found whole.
void verify_stream_store(const qread::stream_store_reader& s, qread::damage_log& log, totals& t,
                         progress& prog) {
  // File names come from the store directory, which anyone may have written to: every one is
  // printed through terminal_safe() so that a crafted name cannot drive the terminal.
  using introspect::terminal_safe;
  const auto rep = introspect::store::verify(s.raw().root());
  for (const auto& d : rep.damages)
    log.report(d.path.string(), 0, d.file_offset,
               d.reason + " (" + std::to_string(d.bytes) + " bytes)");
  // What could not be read is not known to be intact: damage, with the errno's text.
  for (const auto& e : rep.errors)
    log.report(e.path.string(), 0, 0, "cannot " + e.action + ": " + std::strerror(e.err));
  // A torn tail is what a live or killed writer leaves; the next writer cuts it. Not damage.
  for (const auto& d : rep.torn_tails)
    std::fprintf(stderr, "%s@%llu: note: %s (%llu bytes; a writer cuts it when it reopens)\n",
                 terminal_safe(d.path.string()).c_str(),
                 static_cast<unsigned long long>(d.file_offset), d.reason.c_str(),
                 static_cast<unsigned long long>(d.bytes));
  for (const auto& f : rep.foreign)
    std::fprintf(stderr, "%s: foreign: %s (ignored)\n", terminal_safe(f.path.string()).c_str(),
                 f.reason.c_str());
  t.bytes += rep.bytes;
  // Frame damage was reported above: the decode pass reports only payloads that do not decode.
  qread::damage_log decode_log{[&](const qread::damage& d) {
    if (d.reason.find("does not decode") != std::string::npos) log.report(d);
  }};
  for (const auto& d : s.streams()) {
    ++t.streams;
    auto src = s.open({d}, qread::read_hint{}, decode_log);
    ix::record r;
    while (src->next(r)) prog.tick(++t.records);
  }
}

}  // namespace

int cmd_verify(const std::vector<std::string>& stores) {
  auto raw_log = make_damage_log();
  auto set = open_stores(stores);
  // Every path and reason reaches the terminal escaped, whichever store kind reported it.
  qread::damage_log log{[&](const qread::damage& d) {
    auto safe = d;
    safe.path = introspect::terminal_safe(d.path);
    safe.reason = introspect::terminal_safe(d.reason);
    raw_log.report(std::move(safe));
  }};
  report_bundle_problems(log);  // a damaged or truncated bundle is damage
  progress prog("verify");
  totals t;
  const auto all = set.streams();
  for (std::size_t i = 0; i < set.stores().size(); ++i) {
    if (auto* ss = dynamic_cast<const qread::stream_store_reader*>(set.stores()[i].get())) {
      verify_stream_store(*ss, log, t, prog);
      continue;
    }
    for (const auto& s : all) {
      if (s.store != i) continue;
      ++t.streams;
      t.bytes += s.desc.bytes;
      auto src = set.open({s}, qread::read_hint{}, log);
      ix::record r;
      while (src->next(r)) prog.tick(++t.records);
    }
  }
  std::printf("%llu streams, %llu records, %llu bytes, %llu damaged\n",
              static_cast<unsigned long long>(t.streams),
              static_cast<unsigned long long>(t.records), static_cast<unsigned long long>(t.bytes),
              static_cast<unsigned long long>(log.count()));
  return log.empty() ? 0 : 1;
}

}  // namespace ixcli
