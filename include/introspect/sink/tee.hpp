#pragma once
//! sink::tee<A, B>: every record to two sinks. tee_sink<A, B> is A (with all of A's interface:
//! a threaded engine opens A's store) that also feeds B; the JetStream specialisation, in
//! sink/jetstream.hpp, feeds JetStream from A's files instead.
#include <cstdint>
#include <type_traits>
#include <utility>

#include <introspect/engine/inline_engine.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/engine/threaded_engine.hpp>
#include <introspect/policy/sink.hpp>
#include <introspect/sink/concept.hpp>
#include <introspect/sink/null.hpp>

namespace introspect::inline v1 {

//! Two sinks as one: appends, flushes and ticks go to A then B; stats() are A's (B's are
//! second().stats()). A's store-like operations (open, writer, close) are forwarded.
template <class A, class B>
class tee_sink {
  static_assert(std::is_same_v<typename A::input, typename B::input> ||
                    std::is_same_v<B, null_sink>,
                "sink::tee<A, B>: A and B take different records (the JSON-lines sink takes "
                "the product's records inline, the store-like sinks framed records from the "
                "writer thread): tee sinks of one engine");

 public:
  using input = typename A::input;
  static constexpr int threads = A::threads + B::threads;
  static constexpr bool durable = requires { A::durable; }
  &&A::durable;

  //! B is made from the config; A from the config and what its engine passes (a scope).
  template <class Config, class... Args>
  explicit tee_sink(const Config& c, Args&&... args) : b_(c), a_(c, std::forward<Args>(args)...) {}

  void append(const input& r) {
    a_.append(r);
    b_.append(r);
  }
  bool flush(std::int64_t t) {
    const bool a = a_.flush(t);
    return b_.flush(t) || a;
  }
  bool tick(std::int64_t t) {
    const bool a = a_.tick(t);
    return b_.tick(t) || a;
  }
  decltype(auto) stats() const { return a_.stats(); }

  template <class OnOpen>
  requires requires(A& a, OnOpen& f) { a.open(f); }
  void open(OnOpen&& on_open) { a_.open(std::forward<OnOpen>(on_open)); }
  bool is_open() const noexcept { return a_.is_open(); }
  auto& writer() noexcept { return a_.writer(); }
  template <class... T>
  requires requires(A& a, T... t) { a.close(t...); }
  void close(T... t) { a_.close(t...); }

  A& first() noexcept { return a_; }
  B& second() noexcept { return b_; }

 private:
  B b_;  // made first, destroyed last: what runs beside A outlives A's last writes
  A a_;
};

namespace detail {
template <bool Threaded, class Resolved, class Tee, std::int64_t Period>
struct tee_engine {
  using type = threaded_engine<Resolved, Tee>;
};
template <class Resolved, class Tee, std::int64_t Period>
struct tee_engine<false, Resolved, Tee, Period> {
  using type = inline_engine<Tee, Period>;
};

// The engine of a tee is the one its sinks need: threaded for framed records, inline otherwise.
template <class A, class B, class Resolved>
struct engine_for<sink::tee<A, B>, Resolved> {
  using tee_type = tee_sink<sink_t<A, Resolved>, sink_t<B, Resolved>>;
  static constexpr std::int64_t period =
      Resolved::cadence::period_ns > 0 ? Resolved::cadence::period_ns : 60'000'000'000;
  using type = typename tee_engine<std::is_same_v<typename tee_type::input, framed_record>,
                                   Resolved, tee_type, period>::type;
};
}  // namespace detail

}  // namespace introspect::inline v1
