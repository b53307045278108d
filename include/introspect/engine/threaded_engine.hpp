#pragma once
//! The engine with a thread (the stream-store tiers'): the product's calls encode into a bounded
//! lock-free queue (never blocking, never doing I/O, and in the common case no system call: the
//! writer is not woken per record); one writer thread drains it into the sink at its own short
//! tick or when the queue passes a fill mark, and at each period collects the sources and writes
//! metric snapshots, drop counts and the state checkpoint. The engine owns the thread, the queue
//! and the hand-off; its sink (store_sink, or tee<store_sink, ...>) only writes.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <introspect/codec/binary.hpp>
#include <introspect/core/config.hpp>
#include <introspect/core/error_handler.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/checkpointing.hpp>
#include <introspect/engine/collector.hpp>
#include <introspect/engine/detail/drain.hpp>
#include <introspect/engine/metric_snapshot.hpp>
#include <introspect/engine/state_table.hpp>
#include <introspect/engine/stats.hpp>
#include <introspect/metrics/registry.hpp>
#include <introspect/pipeline/event_slot.hpp>
#include <introspect/pipeline/record_slot.hpp>
#include <introspect/pipeline/thread_rings.hpp>
#include <introspect/policy/options.hpp>
#include <introspect/sink/concept.hpp>

namespace introspect::inline v1 {

namespace detail {
// The tier's event queue size (policy/tier.hpp), for a config that leaves queue_slots at 0.
template <class Tier>
constexpr std::size_t tier_queue_slots() noexcept {
  if constexpr (requires { Tier::queue_slots; })
    return Tier::queue_slots;
  else
    return 8192;
}
}  // namespace detail

//! The threaded engine of `Resolved` (the resolved policy set of an introspection type) over
//! `Sink`: a store-like sink that takes framed records and opens its store on the writer thread
//! (open, is_open, writer, close: store_sink and the tees that start with one).
template <class Resolved, class Sink>
requires record_sink<Sink> && std::is_same_v<typename Sink::input, framed_record>
class threaded_engine {
  static constexpr std::int64_t period_ns =
      Resolved::cadence::period_ns > 0 ? Resolved::cadence::period_ns : 1'000'000'000;
  static constexpr bool continuous =
      std::is_same_v<typename Resolved::cadence, introspect::cadence::continuous>;
  static constexpr bool on_demand =
      std::is_same_v<typename Resolved::cadence, introspect::cadence::on_demand>;
  static constexpr bool collects =
      !std::is_same_v<typename Resolved::cadence, introspect::cadence::off> &&
      !Resolved::sources::empty;
  // The writer's own tick: it drains the queue this often without being woken (a continuous
  // build's records reach the files within it; a periodic one's wait in the store's buffer for
  // the period anyway, so its tick only bounds what the queue must hold).
  static constexpr std::int64_t drain_tick_ns =
      continuous ? 10'000'000 : (period_ns < 20'000'000 ? period_ns : 20'000'000);
  // per_record durability asks for each record on disk before the writer moves on: its writer
  // is woken by every record, as the product asked. Every other durability lets records wait
  // for the tick or the fill mark.
  static constexpr bool wake_per_record = Resolved::durability::every_n == 1;
  static constexpr std::int64_t busy_tick_ns = 1'000'000;

 public:
  //! The build's configuration: the common fields and the selected components' options.
  using config_type = detail::config_t<Resolved>;
  using sink_type = Sink;
  static constexpr int threads = 1 + Sink::threads;
  // 424: with the slot's header and the queue's sequence word, 448 bytes = 7 cache lines, the
  // queue's padded stride (a smaller payload would leave the padding unused).
  static constexpr std::size_t slot_bytes = 424;
  using queue_type = pipeline::bounded_queue<pipeline::event_slot<slot_bytes>,
                                             typename Resolved::drop::queue_policy>;
  static_assert(queue_type::slot_stride() == 448, "slot_bytes fills the slot's 7 cache lines");
  //! Event queue slots when config::queue_slots is 0: the tier's (policy/tier.hpp).
  static constexpr std::size_t default_queue_slots =
      detail::tier_queue_slots<typename Resolved::tier_type>();
  //! Each recording thread stages its records in a ring of its own (per_thread_rings).
  static constexpr bool thread_rings = pipeline::ring_policy<typename Resolved::queue>;

  explicit threaded_engine(config_type c)
      : cfg_(detail::complete(with_coarse_clock(std::move(c)))),
        scope_(detail::sanitize_instance(cfg_.instance)),
        queue_(cfg_.queue_slots ? cfg_.queue_slots : default_queue_slots),
        wake_mark_(wake_per_record ? 1 : queue_.capacity() / 8),
        rings_(std::type_identity<typename Resolved::queue>{}, slot_bytes),
        sink_(cfg_, scope_),
        thread_([this] { run(); }) {}
  threaded_engine(const threaded_engine&) = delete;
  threaded_engine& operator=(const threaded_engine&) = delete;
  ~threaded_engine() {
    stop_.store(true, std::memory_order_release);
    queue_.notify();
    thread_.join();
  }

  const config_type& cfg() const noexcept { return cfg_; }

  // The product's calls stamp records on the hot path: CLOCK_REALTIME_COARSE costs ~6 ns where
  // CLOCK_REALTIME costs ~29 ns here, for a resolution of one jiffy (4 ms at HZ=250). Records
  // keep their order within a stream by offset; a product that needs finer stamps sets a clock.
  static config_type with_coarse_clock(config_type c) {
    if (!c.clock) c.clock = &coarse_realtime_ns;
    return c;
  }
  std::int64_t now() const noexcept { return cfg_.clock(); }
  metrics::registry& registry() noexcept { return registry_; }
  //! The sink (written by the writer thread only; its accessors that say thread-safe are).
  Sink& sink() noexcept { return sink_; }
  //! A tee's second sink: what runs beside the store (the uber tier's JetStream sink).
  auto& attachment() noexcept requires requires(Sink& s) { s.second(); }
  { return sink_.second(); }

  //! Encodes one record straight into a queue slot; never blocks, never allocates and, but for
  //! the push that reaches the writer's fill mark, makes no system call and writes no shared
  //! counter (stats().records is the queue's push count): a full queue drops the oldest,
  //! counted; a record larger than a slot is dropped, counted as oversize. With per_thread_rings
  //! the thread's own ring takes it (no locked instruction); a full ring refuses it (queue_full).
  void emit(const record_view& r) noexcept {
    if (rings_.publish(r, queue_, rejected_)) return;
    if (pipeline::publish_record(queue_, r) == pipeline::push_result::dropped) [[unlikely]]
      if (pipeline::encoded_size(r) <= slot_bytes)
        rejected_.fetch_add(1, std::memory_order_relaxed);  // accepted, then lost to a full queue
  }

  //! emit() of a payload source other than a record_view (pipeline::site_source: a call site
  //! whose constant bytes were made at compile time); the same slot, ring, drops and counts.
  template <class Source>
  void emit_payload(const Source& src) noexcept {
    if (rings_.publish(src, queue_, rejected_)) return;
    if (pipeline::publish_payload(queue_, src) == pipeline::push_result::dropped) [[unlikely]]
      if (source_exact_size(src) <= slot_bytes) rejected_.fetch_add(1, std::memory_order_relaxed);
  }

  std::size_t thread_ring_count() const { return rings_.size(); }  //!< rings held now
  //! Event queue slots (config::queue_slots, or the tier's).
  std::size_t queue_capacity() const noexcept { return queue_.capacity(); }

  //! Collects the sources now (cadence::on_demand; other cadences collect on their own).
  void collect() noexcept {
    collect_requested_.store(true, std::memory_order_release);
    queue_.notify();
  }

  //! The writer thread drives the cadence; tick() only wakes it.
  void tick() noexcept { queue_.notify(); }

  //! Writes everything enqueued so far to the store (and syncs as the durability says);
  //! waits at most 5 s for the writer thread.
  void flush() noexcept {
    std::unique_lock lock(flush_mu_);
    const auto ticket = ++flush_requested_;
    queue_.notify();
    flush_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return flush_done_ >= ticket; });
  }

  engine_stats stats() const {
    engine_stats s;
    s.records = rings_.pushed() + queue_.pushed() + rejected_.load(std::memory_order_relaxed) +
                accepted_.load(std::memory_order_relaxed) + collector_.records();
    s.dropped_buffer_full = queue_.drops().get(pipeline::drop_cause::queue_full);
    s.dropped_oversize = queue_.drops().get(pipeline::drop_cause::oversize);
    std::lock_guard lock(stats_mu_);
    s.lost_write_error =
        store_stats_.dropped_records + lost_unopened_.load(std::memory_order_relaxed);
    s.write_errors = store_stats_.enospc + store_stats_.io_error + open_failures_;
    s.flushes = store_stats_.writes;
    return s;
  }

 private:
  void run() noexcept {
    std::int64_t next_period = now() + period_ns;
    while (true) {
      const bool stopping = stop_.load(std::memory_order_acquire);
      const auto flush_ticket = flush_ticket_requested();
      const auto drained = drain();
      // The time of a flush matters to no store-like sink (and a simulated clock counts reads).
      if (continuous && sink_.is_open()) sink_.flush(std::int64_t{0});
      const auto t = now();
      const bool collect_now = on_demand && collect_requested_.load(std::memory_order_acquire);
      if (t >= next_period || stopping || flush_ticket || collect_now) {
        period_work(t, stopping || flush_ticket, t >= next_period);
        next_period = t + period_ns;
      }
      if (flush_ticket) finish_flush(flush_ticket);
      if (stopping) break;
      // A writer that found a batch expects more: it comes back within a millisecond on its
      // own (under a flood it drains every tick, and a producer's wake-up at the fill mark is
      // only the backstop for a writer the scheduler kept waiting).
      const bool busy = drained >= queue_.capacity() / 16;
      queue_.wait(std::chrono::nanoseconds(busy ? busy_tick_ns : drain_tick_ns), wake_mark_);
    }
    // What never reached the disk is counted: buffered records the writer cannot write, and
    // records still queued for a store that never opened (read-only mount, unusable path).
    if (sink_.is_open()) {
      sink_.close();
      snapshot_stats();
    } else {
      std::uint64_t n = 0;
      queue_.drain([&](pipeline::event_slot<slot_bytes>&) { ++n; });
      n += rings_.discard_all();
      lost_unopened_.fetch_add(n, std::memory_order_relaxed);
    }
  }

  void snapshot_stats() {
    std::lock_guard lock(stats_mu_);
    store_stats_ = sink_.stats();
  }

  std::uint64_t flush_ticket_requested() {
    std::lock_guard lock(flush_mu_);
    return flush_requested_ > flush_done_ ? flush_requested_ : 0;
  }

  void finish_flush(std::uint64_t ticket) {
    {
      std::lock_guard lock(flush_mu_);
      flush_done_ = ticket;
    }
    flush_cv_.notify_all();
  }

  // The store is opened by the writer thread, so a slow or failing disk never delays the
  // product's start; a failure is reported once and retried each period.
  bool open_store() {
    if (sink_.is_open()) return true;
    try {
      sink_.open([&](auto& w) { restore_state_table(w, writer_.table()); });
      return true;
    } catch (const std::exception& e) {
      ++open_failures_;
      report(e.what());
      return false;
    }
  }

  // Returns the number of records drained (engine/detail/drain.hpp: the queue in runs, merged
  // with the thread rings; each record to the state table, the rules and the store).
  std::size_t drain() {
    if (!open_store()) {
      pending_ = true;  // records wait in the queue (dropping the oldest when full)
      return 0;
    }
    const auto n = engine::detail::drain(rings_, queue_, [&](const auto& s) {
      writer_.store_slot(sink_, s, [&](const char* what) { report(what); });
    });
    snapshot_stats();  // drops by the writer show in stats() at once, not only each period
    return n;
  }

  void append_record(const record_view& r) { writer_.append_record(sink_, r); }

  // `final`: the engine stops or the product asked for a flush. Without durability the state
  // checkpoint (an fsynced metadata write) waits for those, not every period.
  void period_work(std::int64_t t, bool final, bool by_clock) noexcept {
    if (!open_store()) return;
    // A flush() that lands on the instant of a period the thread already did (it saw the clock
    // reach the period before it saw the flush request) must not write that period's sources
    // and metric snapshot twice: with a simulated clock (demo_product --seed) that race made
    // 1 run in 6 differ.
    const bool repeat = !by_clock && t == last_clock_period_t_;
    last_clock_period_t_ = by_clock ? t : std::numeric_limits<std::int64_t>::min();
    try {
      if constexpr (collects) {
        if (!repeat &&
            (!on_demand || collect_requested_.exchange(false, std::memory_order_acq_rel)))
          collector_.collect(t, [&](const record_view& r) { append_record(r); });
      }
      if (Resolved::kinds::has(record_kind::metric) && !repeat) {
        write_metric_snapshot(registry_, t, [&](const record_view& r) { append_record(r); });
        write_drop_counts(t);
      }
      sink_.tick(t);
      if (writer_.table_dirty() && (Sink::durable || final)) {
        save_state_checkpoint(sink_.writer(), writer_.table(), registry_, t);
        writer_.table_saved();
      }
    } catch (const std::exception& e) {
      report(e.what());
    }
    // Outside the try: a checkpoint that throws every tick (full disk) must not freeze stats().
    snapshot_stats();
  }

  // Every drop, by cause, is itself recorded: a silent drop is the peers' worst habit.
  void write_drop_counts(std::int64_t t) {
    const auto& st = sink_.stats();
    const std::pair<std::string_view, std::uint64_t> counts[] = {
        {"introspect.dropped.queue_full", queue_.drops().get(pipeline::drop_cause::queue_full)},
        {"introspect.dropped.oversize", queue_.drops().get(pipeline::drop_cause::oversize)},
        {"introspect.dropped.enospc", st.enospc},
        {"introspect.dropped.io_error", st.io_error},
        {"introspect.dropped.store_records", st.dropped_records},
    };
    for (const auto& [name, n] : counts) {
      if (n == 0) continue;
      record_view r;
      r.ts_ns = t;
      r.kind = record_kind::metric;
      r.mtype = metric_type::counter;
      r.source = "introspect";
      r.name = name;
      r.val = static_cast<std::int64_t>(n);
      append_record(r);
    }
  }

  void report(const char* what) {
    if (reported_) return;
    reported_ = true;
    detail::report_error(cfg_.on_error, "store %s: %s (the product continues; retried each period)",
                         cfg_.store.c_str(), what);
  }

  config_type cfg_;
  std::string scope_;
  queue_type queue_;
  std::size_t wake_mark_;  // queued records that wake the writer before its tick
  pipeline::optional_rings<thread_rings> rings_;
  metrics::registry registry_;
  Sink sink_;  // destroyed after the writer thread joined
  // Records the product handed over that a full queue then refused (drop_newest, or a lost
  // race for room); with the queue's push count they make stats().records.
  std::atomic<std::uint64_t> rejected_{0};
  std::atomic<std::uint64_t> accepted_{0};  // records counted by other paths than the queue
  std::atomic<bool> stop_{false};
  std::atomic<bool> collect_requested_{false};
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;
  std::uint64_t flush_requested_ = 0, flush_done_ = 0;
  std::atomic<std::uint64_t> open_failures_{0};
  std::atomic<std::uint64_t> lost_unopened_{0};  // queued records lost: the store never opened
  mutable std::mutex stats_mu_;
  // The sink's counters as of the writer thread's last look.
  std::remove_cvref_t<decltype(std::declval<const Sink&>().stats())> store_stats_{};
  // Owned by the writer thread only:
  engine::detail::slot_writer<Resolved> writer_;
  [[no_unique_address]] collector<typename Resolved::sources, typename Resolved::kinds> collector_{
      cfg_};
  bool reported_ = false, pending_ = false;
  std::int64_t last_clock_period_t_ = std::numeric_limits<std::int64_t>::min();
  std::thread thread_;  // last: starts after every member above is constructed
};

}  // namespace introspect::inline v1
