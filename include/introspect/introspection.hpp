#pragma once
//! introspection<Policies...>: the one specialised type a product records through.
//!
//! @code
//! using product_introspection = ix::introspection<ix::tier::tiny>;
//! product_introspection::configure({.store = "/var/lib/product/introspection"});
//! auto& ins = product_introspection::instance();
//! ins.state("container/3", "RECOVERING");
//! ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}});
//! @endcode
#include <initializer_list>
#include <mutex>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include <introspect/core/config.hpp>
#include <introspect/core/error_handler.hpp>
#include <introspect/core/fixed_string.hpp>
#include <introspect/core/product_source.hpp>
#include <introspect/core/record.hpp>
#include <introspect/engine/select.hpp>
#include <introspect/pipeline/call_site.hpp>
#include <introspect/policy/options.hpp>
#include <introspect/policy/resolve.hpp>
#include <introspect/reflect/fields.hpp>
#include <introspect/sink/jsonl_file.hpp>
#include <introspect/sink/null.hpp>

namespace introspect::inline v1 {

//! The introspection of one product build: policies resolved at compile time, one instance
//! per process. Calls on kinds the type does not record compile to nothing.
template <class... Policies>
class introspection {
  using resolved = detail::resolve<Policies...>;

 public:
  using tier = typename resolved::tier;
  using cadence = typename resolved::cadence;
  using sink = typename resolved::sink;
  using mapping = typename resolved::mapping;
  using mode = typename resolved::mode;
  using sources = typename resolved::sources;
  using kinds = typename resolved::kinds;
  using engine_type = detail::engine_t<resolved>;
  using expose = typename resolved::expose;
  //! The endpoint of the expose policy (detail::no_endpoint for expose::none).
  using endpoint_type = detail::endpoint_t<resolved, engine_type>;
  //! The endpoint's run-time options (expose::prometheus_http_options for prometheus_http).
  using endpoint_options = typename endpoint_type::options;

  //! True when records of kind tag K are kept by this type (and by the build).
  template <class K>
  static constexpr bool records =
      kinds::template contains<K> && !detail::kind_disabled_by_build<K::value>();

  //! Threads this type starts (0 for the tiny tier: the product's calls drive it).
  static constexpr int threads = engine_type::threads + endpoint_type::threads;

  //! True when this type records nothing (sink::null, or cadence::off with no kind, and no
  //! endpoint): configure(), instance() and every call compile to nothing, not even static data.
  static constexpr bool records_nothing = std::is_same_v<engine_type, null_engine> &&
                                          std::is_same_v<endpoint_type, detail::no_endpoint>;

  //! The run-time configuration of this type: the common fields (store, instance, clock, ...)
  //! and one member per selected component with options (`kubernetes`, `etcd`, `jetstream`);
  //! see policy/options.hpp. For most tiers it is introspect::config itself; for a type that
  //! records nothing, null_config (the same field names, nothing stored).
  using config = std::conditional_t<records_nothing, null_config, detail::config_t<resolved>>;
  //! True when this type's config is introspect::config (no component options).
  static constexpr bool plain_config = std::is_same_v<config, introspect::config>;

  //! Sets the configuration used when instance() first runs; false (and a message) if late.
  static bool configure(config c) {
    if constexpr (records_nothing)
      return true;
    else
      return set_pending(std::move(c), std::nullopt);
  }

  //! Like configure(c), with the options of the expose policy's endpoint (where it listens).
  static bool configure(config c, endpoint_options e) requires(
      !std::is_same_v<expose, introspect::expose::none>) {
    return set_pending(std::move(c), std::move(e));
  }

  //! configure() with the common fields only (a type with component options keeps their
  //! defaults). A template, so that a braced `configure({...})` always means the type's config.
  template <class Common>
  requires(std::is_same_v<Common, introspect::config> &&
           !plain_config) static bool configure(Common c) {
    if constexpr (records_nothing)
      return true;
    else
      return configure(detail::with_common<config>(std::move(c)));
  }
  template <class Common>
  requires(
      std::is_same_v<Common, introspect::config> && !plain_config &&
      !std::is_same_v<expose, introspect::expose::none>) static bool configure(Common c,
                                                                               endpoint_options e) {
    return configure(detail::with_common<config>(std::move(c)), std::move(e));
  }

  //! The product's one instance, created on first use (thread-safe).
  static introspection& instance() {
    if constexpr (records_nothing) {
      // Constant-initialised and empty: no guard, no constructor, no destructor at exit.
      static constinit introspection inst{nothing_tag{0}};
      return inst;
    } else {
      static introspection inst{take_config(), take_endpoint_options()};
      return inst;
    }
  }

  //! A separate instance with its own configuration (tests, tools, several stores).
  explicit introspection(config c, endpoint_options e = {})
      : engine_(std::move(c)), endpoint_(engine_, std::move(e)) {}
  //! A separate instance from the common fields only (component options keep their defaults).
  template <class Common>
  requires(std::is_same_v<Common, introspect::config> && !plain_config &&
           !records_nothing) explicit introspection(Common c, endpoint_options e = {})
      : introspection(detail::with_common<config>(std::move(c)), std::move(e)) {}
  //! A type that records nothing takes any config and keeps none of it.
  template <class Common>
  requires(std::is_same_v<Common, introspect::config>&& records_nothing) explicit introspection(
      const Common&) noexcept
      : introspection(nothing_tag{0}) {}
  introspection(const introspection&) = delete;
  introspection& operator=(const introspection&) = delete;

  //! Records the current value of an operational state.
  void state(std::string_view key, value_view v) noexcept {
    if constexpr (records<kind::state>) {
      record_view r = make(record_kind::state, key);
      r.val = v;
      engine_.emit(r);
    }
  }

  //! Records a discrete event with a severity and attributes.
  void notify(severity s, std::string_view message,
              std::initializer_list<field_view> attributes = {}) noexcept {
    if constexpr (records<kind::notification>)
      notify(s, message, std::span<const field_view>{attributes.begin(), attributes.size()});
  }

  void notify(severity s, std::string_view message,
              std::span<const field_view> attributes) noexcept {
    if constexpr (records<kind::notification>) {
      record_view r = make(record_kind::notification, message);
      r.sev = s;
      r.fields = attributes;
      engine_.emit(r);
    }
  }

  //! Records a notification whose message and attribute keys are known where it is called:
  //! `ins.notify<"disk nearly full", "disk", "used_pct">(severity::warning, disk, pct)`. The
  //! same record as notify(s, message, {{key, value}...}); on the stream-store tiers its
  //! constant bytes are made at compile time and the call encodes only its values
  //! (pipeline/call_site.hpp): about half the instructions.
  template <fixed_string Message, fixed_string... Keys, class... Values>
  void notify(severity s, const Values&... values) noexcept {
    static_assert(sizeof...(Keys) == sizeof...(Values),
                  "notify<message, keys...>(severity, values...): one value per key");
    constexpr bool values_fit = (std::is_constructible_v<value_view, const Values&> && ...);
    static_assert(values_fit,
                  "notify<message, keys...>(severity, values...): a value notify() cannot take");
    // Past a failed assertion, nothing more is instantiated: one error, not a page.
    if constexpr (sizeof...(Keys) == sizeof...(Values) && values_fit &&
                  records<kind::notification>) {
      using site = pipeline::notification_site<Message, Keys...>;
      if constexpr (requires {
                      engine_.emit_payload(pipeline::make_site_source<site>(0, s, values...));
                    }) {
        engine_.emit_payload(pipeline::make_site_source<site>(engine_.now(), s, values...));
      } else {
        const field_view fields[sizeof...(Values) + 1] = {
            field_view{Keys.view(), value_view(values)}..., field_view{}};
        notify(s, Message.view(), std::span<const field_view>{fields, sizeof...(Values)});
      }
    }
  }

  //! Adds n to a counter.
  void count(std::string_view name, std::int64_t n = 1) noexcept {
    if constexpr (records<kind::metric>) metric(metric_type::counter, name, n);
  }

  //! Sets a gauge.
  void gauge(std::string_view name, value_view v) noexcept {
    if constexpr (records<kind::metric>) metric(metric_type::gauge, name, v);
  }

  //! Adds a sample to a histogram.
  void observe(std::string_view name, value_view v) noexcept {
    if constexpr (records<kind::metric>) metric(metric_type::histogram, name, v);
  }

  //! Records a struct adapted with Boost.Hana: its members become fields.
  template <class T>
  void record(const T& s) noexcept {
    if constexpr (records<kind::record>) {
      static_assert(reflected_struct<T>,
                    "introspection::record(s) needs a struct adapted with "
                    "BOOST_HANA_DEFINE_STRUCT or BOOST_HANA_ADAPT_STRUCT");
      const auto fields = reflect_fields(s);
      record_view r = make(record_kind::record, record_name<T>::value);
      r.fields = fields;
      engine_.emit(r);
    }
  }

  //! The counter `name`, registered once; its inc() is the fast path (stream-store tiers).
  auto& counter(std::string_view name) requires(records<kind::metric>&& requires(engine_type& e) {
    e.registry();
  }) {
    return engine_.registry().counter(name);
  }
  //! The gauge `name`, registered once (stream-store tiers).
  auto& gauge_handle(std::string_view name) requires(
      records<kind::metric>&& requires(engine_type& e) { e.registry(); }) {
    return engine_.registry().gauge(name);
  }
  //! The histogram `name`, registered once (stream-store tiers).
  auto& histogram(std::string_view name) requires(records<kind::metric>&& requires(engine_type& e) {
    e.registry();
  }) {
    return engine_.registry().histogram(name);
  }

  //! Collects the sources now: the trigger of cadence::on_demand (a product may expose it on its
  //! admin endpoint); a no-op for other cadences.
  void collect() noexcept {
    if constexpr (requires { engine_.collect(); }) engine_.collect();
  }

  //! Drives periodic work when the product is idle (the tiny tier has no thread).
  void tick() noexcept { engine_.tick(); }
  //! Writes everything buffered now.
  void flush() noexcept { engine_.flush(); }
  //! Health counters: records accepted, dropped by cause, write errors.
  engine_stats stats() const { return engine_.stats(); }
  engine_type& engine() noexcept { return engine_; }
  //! The expose policy's endpoint (port(), error() for expose::prometheus_http).
  endpoint_type& endpoint() noexcept { return endpoint_; }

 private:
  struct nothing_tag {
    constexpr explicit nothing_tag(int) noexcept {}  // no default: `ins({})` never means it
  };
  constexpr explicit introspection(nothing_tag) noexcept
      : engine_(null_config{}), endpoint_(engine_, {}) {}

  record_view make(record_kind k, std::string_view name) const noexcept {
    record_view r;
    r.ts_ns = engine_.now();
    r.kind = k;
    r.source = product_source;
    r.name = name;
    return r;
  }

  // With a metric registry (stream-store engines) a metric call updates the registry, whose
  // snapshot is written each period; otherwise each call is a record.
  void metric(metric_type t, std::string_view name, value_view v) noexcept {
    if constexpr (requires { engine_.registry(); }) {
      try {
        auto& reg = engine_.registry();
        if (t == metric_type::counter)
          reg.count(name, static_cast<std::uint64_t>(v.as_int()));
        else if (t == metric_type::gauge)
          reg.set(name, v.as_number());
        else
          reg.observe(name, static_cast<std::int64_t>(v.as_number()));
      } catch (...) {  // registration could not allocate: the sample is lost, never the product
      }
      return;
    }
    record_view r = make(record_kind::metric, name);
    r.mtype = t;
    r.val = v;
    engine_.emit(r);
  }

  static bool set_pending(config c, std::optional<endpoint_options> e) {
    std::lock_guard lock(config_mutex());
    if (created()) {
      detail::report_error(c.on_error, "configure() after instance(): ignored");
      return false;
    }
    pending_config() = std::move(c);
    if (e) pending_endpoint() = std::move(*e);
    return true;
  }

  static std::mutex& config_mutex() {
    static std::mutex m;
    return m;
  }
  static std::optional<config>& pending_config() {
    static std::optional<config> c;
    return c;
  }
  static bool& created() {
    static bool b = false;
    return b;
  }
  static std::optional<endpoint_options>& pending_endpoint() {
    static std::optional<endpoint_options> e;
    return e;
  }
  static endpoint_options take_endpoint_options() {
    std::lock_guard lock(config_mutex());
    return pending_endpoint().value_or(endpoint_options{});
  }
  static config take_config() {
    std::lock_guard lock(config_mutex());
    created() = true;
    return pending_config().value_or(config{});
  }

  [[no_unique_address]] engine_type engine_;
  // After engine_: constructed from it, and destroyed (its server stopped) before it.
  [[no_unique_address]] endpoint_type endpoint_;
};

}  // namespace introspect::inline v1
