// notify() with 3 attributes on introspection<tier::medium>, called back to back with nothing
// else on the product's thread: the program to count the call's instructions with callgrind
// (bench_notify times it; this counts it). Each batch of 1 000 calls is one call of an
// extern "C" function whose name selects what callgrind collects; a flush() between batches,
// outside it, keeps the queue and rings from filling.
//
//   valgrind --tool=callgrind --separate-threads=yes --toggle-collect=ix_calls_batch
//       build/bin/notify_calls rings 200   (one command)
//   callgrind_annotate callgrind.out.<pid>-01   # the product's thread; Ir / (batches x 1 000)
//
// `deferred` counts what the call would cost with deferred encoding (see deferred_notify below):
// not the product's path, the floor a redesign could reach, each record checked to carry the
// same payload the product's call encodes.
//
// `preencoded` and `record`: the sketch that became the call-site API (constant bytes made at
// compile time, the writer unchanged) beside the product's encoder, on one standalone queue.
// `site` and `site-rings`: that API as the product has it, notify<"message", "key"...>(severity,
// values...), on the queue and on the rings.
//
// Usage: notify_calls queue|rings|site|site-rings (each also -const)|deferred|preencoded|record
//        [batches, default 200]
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <system_error>

#include <introspect/codec/binary.hpp>
#include <introspect/introspect.hpp>
#include <introspect/pipeline/record_slot.hpp>

#include "bench_common.hpp"

namespace ix = introspect;

extern "C" void ix_calls_batch(std::uint64_t from);

namespace {
// Wall time inside the batches only (not the flushes or drains between them): ns per call,
// back to back. Outside callgrind, a rough figure beside the instruction counts.
std::int64_t timed_ns = 0;
void timed_batch(std::uint64_t from) {
  const auto t0 = std::chrono::steady_clock::now();
  ix_calls_batch(from);
  timed_ns +=
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0)
          .count();
}
void print_time(std::uint64_t calls) {
  std::printf("%.1f ns per call (mean of %llu back to back)\n",
              static_cast<double>(timed_ns) / static_cast<double>(calls),
              static_cast<unsigned long long>(calls));
}
}  // namespace

namespace {

using medium = ix::introspection<ix::tier::medium>;
using medium_rings = ix::introspection<ix::tier::medium, ix::queue::per_thread_rings<>>;

std::int64_t constant_clock() noexcept { return 1'700'000'000'000'000'000; }

template <class Ins>
[[gnu::always_inline]] inline void notify3(Ins& ins, std::uint64_t i) {
  ins.notify(ix::severity::warning, "disk nearly full",
             {{"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}});
}

void* target = nullptr;
void (*batch_fn)(std::uint64_t) = nullptr;

template <class Ins>
void batch_of(std::uint64_t from) {
  auto& ins = *static_cast<Ins*>(target);
  for (std::uint64_t i = from; i < from + 1000; ++i) notify3(ins, i);
}

// The same notification through the call-site API (message and keys as template arguments).
template <class Ins>
[[gnu::always_inline]] inline void notify3_site(Ins& ins, std::uint64_t i) {
  ins.template notify<"disk nearly full", "disk", "used_pct", "node">(
      ix::severity::warning, "sdb", static_cast<std::int64_t>(i % 100), "n1");
}

template <class Ins>
void site_batch_of(std::uint64_t from) {
  auto& ins = *static_cast<Ins*>(target);
  for (std::uint64_t i = from; i < from + 1000; ++i) notify3_site(ins, i);
}

// ---- deferred encoding: the floor of the call's cost (a measure, not the product's path) ----
// The constant parts of a call site — severity, message, attribute keys, value types — in a
// descriptor made once (a macro at the call site can see them); a call copies its clock reading
// and its values into a ring of its own thread, and the writer encodes later.
struct call_site {
  ix::severity sev;
  std::string_view message;
  std::array<std::string_view, 3> keys;
};
constexpr call_site disk_site{
    ix::severity::warning, "disk nearly full", {"disk", "used_pct", "node"}};

// One producer, one consumer; `limit` is the producer's cached view of the room the consumer
// left (refreshed only when a record would pass it), so the common call reads nothing shared.
struct deferred_ring {
  static constexpr std::size_t bytes = std::size_t{4} << 20;
  std::size_t head = 0, limit = bytes;
  alignas(64) std::atomic<std::size_t> published{0};
  alignas(64) char buf[bytes + 64];  // 64: the chunked string copies' slack
};
deferred_ring* dring = nullptr;
std::uint64_t deferred_full = 0;

[[gnu::always_inline]] inline void deferred_notify(deferred_ring& r, const call_site& site,
                                                   std::string_view disk, std::int64_t used,
                                                   std::string_view node) {
  const std::size_t bound = 16 + 10 + disk.size() + 8 + 10 + node.size();
  if (r.head + bound > r.limit) [[unlikely]] {
    ++deferred_full;  // a real ring would refresh `limit` from the consumer here
    return;
  }
  char* p = r.buf + r.head;
  const std::int64_t ts = ix::coarse_realtime_ns();
  const call_site* sp = &site;
  __builtin_memcpy(p, &sp, 8);
  __builtin_memcpy(p + 8, &ts, 8);
  p = ix::pipeline::detail::put_string_chunked(p + 16, disk);
  __builtin_memcpy(p, &used, 8);
  p = ix::pipeline::detail::put_string_chunked(p + 8, node);
  r.head = static_cast<std::size_t>(p - r.buf);
  r.published.store(r.head, std::memory_order_release);
}

void deferred_batch(std::uint64_t from) {
  for (std::uint64_t i = from; i < from + 1000; ++i) {
    // The values as a product has them: in its own variables, which the compiler cannot see
    // through (unlike the call site's constant keys and message).
    std::string_view disk = "sdb", node = "n1";
    asm volatile("" : "+m"(disk), "+m"(node));
    deferred_notify(*dring, disk_site, disk, static_cast<std::int64_t>(i % 100), node);
  }
}

// The writer's side: each deferred record rebuilt into the payload the product's call encodes
// (codec::encode of the same notification); returns how many differ.
std::uint64_t drain_and_check(deferred_ring& r, std::uint64_t first_i) {
  std::uint64_t bad = 0, i = first_i;
  const std::size_t end = r.published.load(std::memory_order_acquire);
  std::string got, want;
  for (std::size_t at = 0; at < end; ++i) {
    const char* p = r.buf + at;
    const call_site* site = nullptr;
    std::int64_t ts = 0, used = 0;
    std::memcpy(&site, p, 8);
    std::memcpy(&ts, p + 8, 8);
    p += 16;
    const auto str = [&p] {  // a length below 128 is one byte (the strings here are short)
      const auto n = static_cast<std::size_t>(static_cast<unsigned char>(*p++));
      std::string_view v(p, n);
      p += n;
      return v;
    };
    const auto disk = str();
    std::memcpy(&used, p, 8);
    p += 8;
    const auto node = str();
    at = static_cast<std::size_t>(p - r.buf);
    const ix::field_view fields[] = {
        {site->keys[0], disk}, {site->keys[1], used}, {site->keys[2], node}};
    ix::record_view rv;
    rv.ts_ns = ts;
    rv.kind = ix::record_kind::notification;
    rv.sev = site->sev;
    rv.source = "product";
    rv.name = site->message;
    rv.fields = fields;
    got.clear();
    ix::codec::encode(rv, got);
    const ix::field_view orig[] = {
        {"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}};
    rv.fields = orig;
    rv.name = "disk nearly full";
    want.clear();
    ix::codec::encode(rv, want);
    bad += got != want;
  }
  r.head = 0;
  r.published.store(0, std::memory_order_relaxed);
  return bad;
}

int run_deferred(std::uint64_t batches) {
  auto ring = std::make_unique<deferred_ring>();
  dring = ring.get();
  batch_fn = &deferred_batch;
  std::uint64_t bad = 0;
  for (std::uint64_t b = 0; b < batches; ++b) {
    timed_batch(b * 1000);
    bad += drain_and_check(*ring, b * 1000);
  }
  std::printf("%llu records, %llu dropped, %llu differ from the product's payload\n",
              static_cast<unsigned long long>(batches * 1000 - deferred_full),
              static_cast<unsigned long long>(deferred_full), static_cast<unsigned long long>(bad));
  print_time(batches * 1000);
  return bad == 0 ? 0 : 1;
}

// ---- pre-encoded call sites: the same payload, its constant bytes made at compile time ----
// A second design with the writer unchanged: the call site's constant parts are laid out once,
// at compile time, as the payload's own bytes (head, source, message, field count, each key with
// its length); the call copies those runs, encodes only its values between them, into the
// product's own kind of queue slot. `record` is the product's encoder (publish_record) on the same
// standalone queue, for the ratio.
struct byte_run {
  std::array<char, 64> b{};
  std::size_t n = 0;
  constexpr void put(char c) { b[n++] = c; }
  constexpr void put(std::string_view s) {
    put(static_cast<char>(s.size()));  // lengths below 128: one varint byte (static_assert'ed)
    for (char c : s) put(c);
  }
};
struct preencoded_site {
  byte_run lead;        // head, source, name, the none value, field count, first key
  byte_run key1, key2;  // each following key with its length
};
consteval preencoded_site make_site() {
  preencoded_site p;
  p.lead.put(static_cast<char>(ix::codec::payload_version));
  p.lead.put(static_cast<char>(ix::severity::warning));
  p.lead.put(static_cast<char>(ix::metric_type::none));
  p.lead.put(static_cast<char>(0));  // flags
  p.lead.put(std::string_view("product"));
  p.lead.put(std::string_view("disk nearly full"));
  p.lead.put(static_cast<char>(ix::value_type::none));
  p.lead.put(static_cast<char>(3));
  p.lead.put(std::string_view("disk"));
  p.key1.put(std::string_view("used_pct"));
  p.key2.put(std::string_view("node"));
  return p;
}
constexpr preencoded_site pre_site = make_site();
static_assert(pre_site.lead.n <= 48 && pre_site.key1.n <= 16 && pre_site.key2.n <= 16);

using standalone_queue = ix::pipeline::event_queue<424, ix::pipeline::drop_oldest>;
standalone_queue* squeue = nullptr;

template <std::size_t N>
[[gnu::always_inline]] inline char* put_run(char* p, const byte_run& r) {
  __builtin_memcpy(p, r.b.data(), N);  // whole chunks: the slot has room, the run's tail is junk
  return p + r.n;
}

[[gnu::always_inline]] inline void preencoded_notify(standalone_queue& q, std::string_view disk,
                                                     std::int64_t used, std::string_view node) {
  const std::int64_t ts = ix::coarse_realtime_ns();
  const std::size_t bound =
      pre_site.lead.n + pre_site.key1.n + pre_site.key2.n + 3 * 11 + disk.size() + node.size();
  if (bound + ix::pipeline::detail::chunk_slack + 16 > 424) [[unlikely]]
    return;  // (the product's path would size it exactly, or drop it as oversize)
  q.push_with([&](ix::pipeline::event_slot<424>& s) noexcept {
    char* const begin = reinterpret_cast<char*>(s.bytes.data());
    char* p = put_run<48>(begin, pre_site.lead);
    *p++ = static_cast<char>(ix::value_type::string);
    p = ix::pipeline::detail::put_string_chunked(p, disk);
    p = put_run<16>(p, pre_site.key1);
    *p++ = static_cast<char>(ix::value_type::integer);
    p = ix::pipeline::detail::put_varint(p, ix::codec::zigzag(used));
    p = put_run<16>(p, pre_site.key2);
    *p++ = static_cast<char>(ix::value_type::string);
    p = ix::pipeline::detail::put_string_chunked(p, node);
    s.ts = ts;
    s.kind = static_cast<std::uint8_t>(ix::record_kind::notification);
    s.size = static_cast<std::uint32_t>(p - begin);
  });
}

void preencoded_batch(std::uint64_t from) {
  for (std::uint64_t i = from; i < from + 1000; ++i) {
    std::string_view disk = "sdb", node = "n1";
    asm volatile("" : "+m"(disk), "+m"(node));
    preencoded_notify(*squeue, disk, static_cast<std::int64_t>(i % 100), node);
  }
}

void record_batch(std::uint64_t from) {
  for (std::uint64_t i = from; i < from + 1000; ++i) {
    std::string_view disk = "sdb", node = "n1";
    asm volatile("" : "+m"(disk), "+m"(node));
    const ix::field_view fields[] = {
        {"disk", disk}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", node}};
    ix::record_view r;
    r.ts_ns = ix::coarse_realtime_ns();
    r.kind = ix::record_kind::notification;
    r.sev = ix::severity::warning;
    r.source = "product";
    r.name = "disk nearly full";
    r.fields = fields;
    ix::pipeline::publish_record(*squeue, r);
  }
}

// Pops every slot and compares its payload with codec::encode of the same notification.
std::uint64_t pop_and_check(standalone_queue& q, std::uint64_t first_i) {
  std::uint64_t bad = 0, i = first_i;
  std::string want;
  ix::pipeline::event_slot<424> s;
  while (q.try_pop(s)) {
    const ix::field_view fields[] = {
        {"disk", "sdb"}, {"used_pct", static_cast<std::int64_t>(i % 100)}, {"node", "n1"}};
    ix::record_view r;
    r.kind = ix::record_kind::notification;
    r.sev = ix::severity::warning;
    r.source = "product";
    r.name = "disk nearly full";
    r.fields = fields;
    want.clear();
    ix::codec::encode(r, want);
    bad += s.payload() != want;
    ++i;
  }
  return bad;
}

int run_standalone(bool preencoded, std::uint64_t batches) {
  auto q = std::make_unique<standalone_queue>(2048);
  squeue = q.get();
  batch_fn = preencoded ? &preencoded_batch : &record_batch;
  std::uint64_t bad = 0;
  for (std::uint64_t b = 0; b < batches; ++b) {
    timed_batch(b * 1000);
    bad += pop_and_check(*q, b * 1000);
  }
  std::printf("%llu records, %llu differ from the product's payload\n",
              static_cast<unsigned long long>(batches * 1000),
              static_cast<unsigned long long>(bad));
  print_time(batches * 1000);
  return bad == 0 ? 0 : 1;
}

}  // namespace

// What callgrind collects (--toggle-collect=ix_calls_batch): 1 000 calls.
extern "C" [[gnu::noinline]] void ix_calls_batch(std::uint64_t from) {
  batch_fn(from);
  asm volatile("" ::: "memory");
}

template <class Ins>
int run(bool constant, std::uint64_t batches, bool site = false) {
  const auto dir = bench::fresh_dir("ix-notify-calls", "x");
  {
    ix::config c{.store = dir, .instance = "calls", .on_error = ix::ignore_errors};
    if (constant) c.clock = &constant_clock;
    Ins ins{c};
    target = &ins;
    batch_fn = site ? &site_batch_of<Ins> : &batch_of<Ins>;
    for (std::uint64_t b = 0; b < batches; ++b) {
      timed_batch(b * 1000);
      ins.flush();
    }
    const auto st = ins.stats();
    std::printf("%llu records, %llu dropped\n", static_cast<unsigned long long>(st.records),
                static_cast<unsigned long long>(st.dropped_buffer_full));
    print_time(batches * 1000);
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "rings";
  const std::uint64_t batches = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200;
  const bool constant = mode.find("-const") != std::string::npos;
  if (mode.rfind("site-rings", 0) == 0) return run<medium_rings>(constant, batches, true);
  if (mode.rfind("site", 0) == 0) return run<medium>(constant, batches, true);
  if (mode.rfind("rings", 0) == 0) return run<medium_rings>(constant, batches);
  if (mode.rfind("queue", 0) == 0) return run<medium>(constant, batches);
  if (mode == "deferred") return run_deferred(batches);
  if (mode == "preencoded" || mode == "record")
    return run_standalone(mode == "preencoded", batches);
  std::fprintf(stderr,
               "usage: notify_calls queue|rings|queue-const|rings-const|deferred|preencoded|record "
               "[batches]\n");
  return 2;
}
