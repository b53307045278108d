#pragma once
//! sink::stream_store: store_sink writes framed records into the stream-store container, one
//! stream per the mapping policy, with each stream's retention; its engine is threaded_engine
//! (the product's calls enqueue, one writer thread calls the sink).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include <introspect/engine/checkpointing.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/engine/stream_mapping.hpp>
#include <introspect/engine/threaded_engine.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/sink/concept.hpp>
#include <introspect/store/writer.hpp>

namespace introspect::inline v1 {

//! The stream-store sink of a resolved policy set. `Writer` is the store (a test substitutes
//! one that stalls, to prove the product never waits). Called by the writer thread only.
template <class Resolved, class Writer = store::writer>
class store_sink {
  using mapping = typename Resolved::mapping;
  using router = stream_router<mapping, typename Resolved::segment>;

 public:
  using input = framed_record;
  using writer_type = Writer;
  static constexpr int threads = 0;
  //! Whether the durability policy syncs (each period or more often).
  static constexpr bool durable = store_durability<typename Resolved::durability>().syncs();

  //! `c` is the engine's complete config; `scope` the sanitized instance name. Nothing is
  //! opened here: the writer thread opens the store (open()), so a slow disk never delays the
  //! product's start.
  template <class Config>
  store_sink(const Config& c, std::string scope)
      : root_(c.store), scope_(std::move(scope)), instance_(c.instance) {}

  //! Opens the store if it is not open: takes the writer lock, writes identity.json, then calls
  //! `on_open(writer)` (the engine restores its state table). Throws what the store throws, with
  //! the store closed again (the engine reports it and retries each period).
  template <class OnOpen>
  void open(OnOpen&& on_open) {
    if (writer_) return;
    store::writer_options o;
    o.durability = store_durability<typename Resolved::durability>();
    writer_.emplace(root_, scope_, o);
    routes_.reset();
    try {
      write_identity(*writer_, instance_, Resolved::tier::name, mapping::per_kind);
      on_open(*writer_);
    } catch (...) {
      writer_.reset();
      throw;
    }
  }
  bool is_open() const noexcept { return writer_.has_value(); }

  //! Appends one record to its kind's stream.
  void append(const framed_record& r) {
    writer_->append(routes_.get(*writer_, r.kind), r.ts_ns, static_cast<std::uint8_t>(r.kind),
                    r.payload);
  }
  //! Hands buffered records to the files; true if bytes were written.
  bool flush(std::int64_t = 0) { return writer_->flush(); }
  //! The period's work: the durability's sync, then each stream's retention as of `t`.
  bool tick(std::int64_t t) {
    const bool flushed = writer_->tick();
    writer_->apply_retention(t);
    return flushed;
  }
  //! What the store wrote and lost (drops, ENOSPC, I/O errors).
  const store::write_stats& stats() const noexcept { return writer_->stats(); }
  //! The last writes, at exit.
  void close() {
    if constexpr (requires { writer_->close(); }) writer_->close();
  }
  //! The store, for the record layer's metadata (state checkpoints).
  Writer& writer() noexcept { return *writer_; }

 private:
  std::filesystem::path root_;
  std::string scope_;
  std::string instance_;  // as configured (identity.json keeps the original name)
  std::optional<Writer> writer_;
  router routes_;
};

//! True for a store_sink (a tee's JetStream side needs one before it).
template <class S>
inline constexpr bool is_store_sink_v = false;
template <class Resolved, class Writer>
inline constexpr bool is_store_sink_v<store_sink<Resolved, Writer>> = true;

namespace detail {
template <class Resolved>
struct sink_for<sink::stream_store, Resolved> {
  using type = store_sink<Resolved>;
};
template <class Resolved>
struct engine_for<sink::stream_store, Resolved> {
  using type = threaded_engine<Resolved, store_sink<Resolved>>;
};
}  // namespace detail

}  // namespace introspect::inline v1
