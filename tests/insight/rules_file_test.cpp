// The rules file: the format's happy path, every kind of mistake reported with its JSON path,
// the default rules, durations, and docs/insights.md documenting every parameter of every rule.
#include <fstream>
#include <sstream>
#include <string>

#include <catch2/catch.hpp>

#include <introspect/insight/default_rules.hpp>
#include <introspect/insight/rules_file.hpp>

#include "support.hpp"

using namespace ixt;

namespace {
std::vector<std::string> errors_of(std::string_view json) {
  std::vector<std::string> out;
  for (const auto& e : ins::parse_rules<ins::all_rules>(json).errors) out.push_back(e.text());
  return out;
}
}  // namespace

TEST_CASE("a rules file configures rules, severities, messages and options", "[insight][file]") {
  const auto res = ins::parse_rules<ins::all_rules>(R"({
    "version": 1,
    "options": {"period": "10s", "update_min_periods": 3, "update_delta": 0.5},
    "rules": [
      {"name": "hot", "type": "threshold", "severity": "critical", "message": "{subject} hot",
       "params": {"metric": "temp.*", "above": 90, "clear": 85, "for": "1m30s"}},
      {"name": "errs", "type": "burst", "params": {"count": 5, "window": "30s",
                                                   "min_severity": "error"}}
    ]})");
  REQUIRE(res.error_text() == "");
  CHECK(res.cfg.opts.period_ns == 10 * s);
  CHECK(res.cfg.opts.update.min_periods == 3);
  CHECK(res.cfg.opts.update.delta == 0.5);
  REQUIRE(res.cfg.rules.size() == 2);
  const auto& hot = std::get<ins::rule_def<ins::threshold>>(res.cfg.rules[0]);
  CHECK(hot.name == "hot");
  CHECK(hot.sev == ix::severity::critical);
  CHECK(hot.message == "{subject} hot");
  CHECK(hot.params.metric == "temp.*");
  CHECK(*hot.params.above == 90);
  CHECK(*hot.params.clear == 85);
  CHECK(hot.params.min_duration.ns == 90 * s);
  const auto& errs = std::get<ins::rule_def<ins::burst>>(res.cfg.rules[1]);
  CHECK(errs.sev == ix::severity::warning);
  CHECK(errs.params.count == 5);
  CHECK(errs.params.min_severity == ix::severity::error);
}

TEST_CASE("mistakes are reported with the JSON path of the bad key", "[insight][file]") {
  CHECK(errors_of(R"({"rules": [
      {"name": "a", "type": "threshold", "params": {"metric": "m", "above": 1}},
      {"name": "b", "type": "heartbeat", "params": {"timeout": "1m"}},
      {"name": "c", "type": "flapping", "params": {"key": "k", "changes": 3, "window": 5}}]})") ==
        std::vector<std::string>{"rules[2].params.window: expected a duration string like \"5m\""});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "thresold", "params": {}}]})") ==
        std::vector<std::string>{"rules[0].type: unknown rule \"thresold\" (this engine has: "
                                 "threshold, rate, exhaustion, anomaly, flapping, heartbeat, "
                                 "burst)"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "anomaly", "params": {"z": 4}}]})") ==
        std::vector<std::string>{"rules[0].params.metric: missing required parameter"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "anomaly"}]})") ==
        std::vector<std::string>{"rules[0].params.metric: missing required parameter"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "burst",
                      "params": {"count": "5", "window": "1m"}}]})") ==
        std::vector<std::string>{"rules[0].params.count: expected an integer, got a string"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "burst",
                      "params": {"count": 5, "window": "1m", "min_severity": "bad"}}]})") ==
        std::vector<std::string>{"rules[0].params.min_severity: expected a severity: debug, "
                                 "info, notice, warning, error or critical"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "heartbeat",
                      "params": {"timeout": "1m", "timout": "2m"}}]})") ==
        std::vector<std::string>{"rules[0].params.timout: unknown parameter of heartbeat (it "
                                 "takes: source, name, kind, by, depth, separators, timeout, "
                                 "require_change, tables)"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "threshold",
                      "params": {"metric": "m", "above": 1, "below": 0}}]})") ==
        std::vector<std::string>{
            "rules[0].params.above: exactly one of \"above\" or \"below\" is required"});
  CHECK(errors_of(R"({"rules": [{"name": "a", "type": "threshold", "severity": "loud",
                      "params": {"metric": "m", "above": 1}}]})") ==
        std::vector<std::string>{"rules[0].severity: expected a severity: debug, info, notice, "
                                 "warning, error or critical"});
  CHECK(errors_of(R"({"rules": [
      {"name": "a", "type": "heartbeat", "params": {"timeout": "1m"}},
      {"name": "a", "type": "heartbeat", "params": {"timeout": "1m"}, "extra": 1}]})") ==
        std::vector<std::string>{
            "rules[1].extra: unknown key (expected one of: name, type, severity, message, params)",
            "rules[1].name: duplicate rule name \"a\""});
  CHECK(errors_of(R"({"rule": []})") ==
        std::vector<std::string>{"rule: unknown key (expected one of: version, options, rules)",
                                 "rules: missing: the list of rules"});
  CHECK(errors_of(R"({"options": {"period": 1}, "rules": []})") ==
        std::vector<std::string>{"options.period: expected a duration string like \"5m\""});
  CHECK(errors_of(R"({"rules": [3]})") ==
        std::vector<std::string>{
            "rules[0]: expected an object with \"name\", \"type\" and \"params\""});
  const auto bad = errors_of(R"({"rules": [}")");
  REQUIRE(bad.size() == 1);
  CHECK(bad[0].starts_with("$: not valid JSON"));
}

TEST_CASE("a rules file that cannot be read names its path", "[insight][file]") {
  const auto res = ins::load_rules_file<ins::all_rules>("/nonexistent/rules.json");
  REQUIRE(res.errors.size() == 1);
  CHECK(res.errors[0].text() == "/nonexistent/rules.json: cannot read the rules file");
}

TEST_CASE("the default rules file parses and equals the C++ default configuration",
          "[insight][file]") {
  ins::default_names names;
  names.disk_used = "fs.*.used";
  const auto res = ins::parse_rules<ins::all_rules>(ins::default_rules_json(names));
  REQUIRE(res.error_text() == "");
  const auto cpp = ins::default_config(names);
  REQUIRE(res.cfg.rules.size() == cpp.rules.size());
  CHECK(res.cfg.opts.period_ns == cpp.opts.period_ns);
  CHECK(res.cfg.opts.update.min_periods == cpp.opts.update.min_periods);
  CHECK(res.cfg.opts.update.delta == cpp.opts.update.delta);
  // Same parameters, rule by rule, as the evidence writer spells them.
  for (std::size_t i = 0; i < cpp.rules.size(); ++i) {
    auto params_of = [](const auto& v) {
      return std::visit(
          [](const auto& def) {
            using D = std::decay_t<decltype(def)>;
            std::vector<ix::field> f;
            ins::param_writer w{f};
            D::rule_type::describe(def.params, w);
            std::string text =
                def.name + " " + std::string{ix::to_string(def.sev)} + " " + def.message + ":";
            for (const auto& x : f) text += " " + x.key + "=" + ins::value_text(x.val);
            return text;
          },
          v);
    };
    CHECK(params_of(res.cfg.rules[i]) == params_of(cpp.rules[i]));
  }
}

TEST_CASE("durations parse and print in the rules-file syntax", "[insight][file]") {
  CHECK(ins::parse_duration("5m") == 300 * s);
  CHECK(ins::parse_duration("1h30m") == 5400 * s);
  CHECK(ins::parse_duration("250ms") == 250'000'000);
  CHECK(ins::parse_duration("1.5h") == 5400 * s);
  CHECK(ins::parse_duration("7d") == 7 * 86400 * s);
  CHECK_FALSE(ins::parse_duration("5"));
  CHECK_FALSE(ins::parse_duration("m"));
  CHECK_FALSE(ins::parse_duration("5 m"));
  CHECK_FALSE(ins::parse_duration("5y"));
  CHECK(ins::format_duration(90 * s) == "1m30s");
  CHECK(ins::format_duration(0) == "0s");
  CHECK(ins::human_duration(3 * 3600 * s) == "3 h");
  CHECK(ins::human_duration(2 * 3600 * s + 1800 * s) == "2.5 h");
  CHECK(ins::human_duration(45 * s) == "45 s");
}

namespace {
template <class... R>
void check_documented(const std::string& doc, ins::rules<R...>) {
  (
      [&] {
        const std::string heading = "### " + std::string{R::type_name};
        const auto at = doc.find(heading);
        INFO("docs/insights.md has a section " << heading);
        REQUIRE(at != std::string::npos);
        const auto next = doc.find("\n### ", at + heading.size());
        const auto section = doc.substr(at, next == std::string::npos ? next : next - at);
        for (const auto& p : ins::parameters_of<R>()) {
          INFO(R::type_name << " parameter " << p.key << " is documented");
          CHECK(section.find("`" + std::string{p.key} + "`") != std::string::npos);
        }
      }(),
      ...);
}
}  // namespace

TEST_CASE("docs/insights.md documents every parameter of every rule", "[insight][file][docs]") {
  std::ifstream in(std::string{INTROSPECT_SOURCE_DIR} + "/docs/insights.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  check_documented(ss.str(), ins::all_rules{});
}
