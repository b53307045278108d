#include "options.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>

namespace demo {
namespace {

constexpr std::string_view tier_names[] = {"tiny", "small", "medium", "large", "uber"};

std::optional<tier_id> parse_tier(std::string_view s) {
  for (std::size_t i = 0; i < std::size(tier_names); ++i)
    if (tier_names[i] == s) return static_cast<tier_id>(i);
  return std::nullopt;
}

int usage_error(std::string_view message) {
  std::fprintf(stderr, "demo_product: %.*s\nRun with --help for more information.\n",
               static_cast<int>(message.size()), message.data());
  return 2;
}

}  // namespace

std::string_view to_string(tier_id t) noexcept { return tier_names[static_cast<int>(t)]; }

std::string_view to_string(mapping_id m) noexcept {
  switch (m) {
    case mapping_id::single:
      return "single";
    case mapping_id::per_kind:
      return "per-kind";
    default:
      return "default";
  }
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view s) noexcept {
  std::size_t i = 0;
  while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
  const std::string number{s.substr(0, i)};
  const std::string_view unit = s.substr(i);
  if (number.empty() || number.front() == '.' || number.back() == '.') return std::nullopt;
  // std::from_chars for double is in GCC 12's library; strtod would accept hex and locales.
  double v = 0;
  auto [p, ec] = std::from_chars(number.data(), number.data() + number.size(), v);
  if (ec != std::errc{} || p != number.data() + number.size()) return std::nullopt;
  double ms_per_unit = 0;
  if (unit.empty() || unit == "s")
    ms_per_unit = 1e3;
  else if (unit == "ms")
    ms_per_unit = 1;
  else if (unit == "m" || unit == "min")
    ms_per_unit = 60e3;
  else if (unit == "h")
    ms_per_unit = 3600e3;
  else
    return std::nullopt;
  const double ms = std::round(v * ms_per_unit);
  if (!(ms >= 1) || ms > 1e12) return std::nullopt;
  return std::chrono::milliseconds{static_cast<std::int64_t>(ms)};
}

parse_result parse_options(int argc, char** argv) {
  CLI::App app{
      "demo_product: a simulated storage product (a controller, 3 segment stores hosting 12\n"
      "segment containers, caches, disks sda-sdc, a bookkeeper journal) that records its\n"
      "states, notifications, metrics and DiskHealth/ContainerRecovery structs through the\n"
      "introspection type of the chosen tier. With --seed and --events the run is\n"
      "deterministic: the clock starts at 2026-01-01T00:00:00Z and advances 1 ms per event\n"
      "(one recording call of any kind, including calls the tier compiles out).",
      "demo_product"};
  app.footer(scenario_help());

  std::string tier, mapping = "default", scen = "healthy", duration;
  options o;
  app.add_option("--tier", tier, "tiny | small | medium | large | uber")->required();
  app.add_option("--store", o.store, "directory the introspection store is written to")->required();
  auto* seed = app.add_option("--seed", o.seed, "seed of the simulation (default: random)");
  auto* events = app.add_option("--events", o.events,
                                "recording calls to make (default 10000; with --duration: "
                                "no limit)")
                     ->check(CLI::Range(std::int64_t{1}, std::int64_t{1'000'000'000'000}));
  auto* dur = app.add_option("--duration", duration,
                             "run in real time with the real clock for D (10s, 500ms, 2m)")
                  ->check(CLI::Validator(
                      [](std::string& s) -> std::string {
                        return parse_duration(s) ? std::string{}
                                                 : "'" + s + "' is not a duration (10s, 500ms, 2m)";
                      },
                      "DURATION"));
  app.add_option("--mapping", mapping, "single | per-kind (stream-store tiers)")
      ->check(CLI::IsMember({"single", "per-kind"}));
  app.add_option("--instance", o.instance, "instance name (default: demo)")
      ->check(CLI::Validator(
          [](std::string& s) -> std::string { return s.empty() ? "must not be empty" : ""; },
          "NAME"));
  app.add_option("--instances", o.instances,
                 "uber: simulate N instances (<instance>-1 .. -N), each with its own scope")
      ->check(CLI::Range(1, 64));
  app.add_option("--nats", o.nats,
                 "uber: nats://HOST:PORT of a JetStream server the instances feed (tee sink)");
  app.add_option("--scenario", scen,
                 "healthy | disk-fill | container-flap | latency-spike | "
                 "heartbeat-loss (see below)")
      ->check(CLI::IsMember(
          {"healthy", "disk-fill", "container-flap", "latency-spike", "heartbeat-loss"}));

  std::string token_file;
  app.add_option("--metrics-listen", o.metrics_listen,
                 "large: serve GET /metrics for Prometheus on HOST:PORT (port 0: any free port, "
                 "printed); after the run the demo keeps serving until it is stopped");
  app.add_option("--metrics-token-file", token_file,
                 "with --metrics-listen: a scrape must send this file's token as a bearer token");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::CallForAllHelp& e) {
    return {std::nullopt, app.exit(e)};
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, usage_error(e.what())};  // CLI11's messages name the option
  }

  const auto t = parse_tier(tier);
  if (!t)
    return {std::nullopt, usage_error("--tier: '" + tier +
                                      "' is not one of tiny, small, "
                                      "medium, large, uber")};
  o.tier = *t;
  o.fault = *parse_scenario(scen);  // IsMember checked the spelling
  if (mapping == "single") o.mapping = mapping_id::single;
  if (mapping == "per-kind") o.mapping = mapping_id::per_kind;
  if (o.tier != tier_id::uber && (o.instances != 1 || !o.nats.empty()))
    return {std::nullopt, usage_error("--instances/--nats: only the uber tier simulates several "
                                      "instances feeding JetStream")};
  if (o.tier == tier_id::tiny && o.mapping == mapping_id::per_kind)
    return {std::nullopt, usage_error("--mapping per-kind: the tiny tier writes one JSON-lines "
                                      "file set; stream per kind needs --tier small or above")};
  if (!o.metrics_listen.empty() && o.tier != tier_id::large)
    return {std::nullopt, usage_error("--metrics-listen: the demo serves /metrics with --tier "
                                      "large (expose::prometheus_http)")};
  if (!token_file.empty()) {
    if (o.metrics_listen.empty())
      return {std::nullopt, usage_error("--metrics-token-file: needs --metrics-listen")};
    std::ifstream f(token_file);
    std::stringstream ss;
    ss << f.rdbuf();
    o.metrics_token = ss.str();
    while (!o.metrics_token.empty() &&
           (o.metrics_token.back() == '\n' || o.metrics_token.back() == '\r'))
      o.metrics_token.pop_back();
    if (!f || o.metrics_token.empty())
      return {std::nullopt,
              usage_error("--metrics-token-file: cannot read a token from '" + token_file + "'")};
  }
  if (*dur) o.duration = parse_duration(duration);
  if (!*events && !*dur) o.events = 10'000;
  o.seed_given = static_cast<bool>(*seed);
  if (!o.seed_given) o.seed = std::random_device{}();  // printed in the summary to replay
  return {std::move(o), 0};
}

}  // namespace demo
