#pragma once
//! Maps dotted introspect metric names to Prometheus names with labels, by patterns whose
//! `{label}` segments become labels: `disk.{disk}.used_bytes` maps `disk.sdb.used_bytes` to
//! `disk_used_bytes{disk="sdb"}`.
//!
//! @code
//! exporters::name_mapping m({"disk.{disk}.*", "segmentstore.{store}.*"});
//! auto n = m.map("disk.sdb.used_pct");  // n.family == "disk_used_ratio", scale 0.01, disk="sdb"
//! @endcode
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <introspect/export/prom_names.hpp>

namespace introspect::inline v1::exporters {

//! A Prometheus family name, the factor to its base unit, and the labels taken from the name.
struct mapped_name {
  std::string family;
  double scale = 1.0;
  std::vector<std::pair<std::string, std::string>> labels;
};

//! An ordered list of patterns; the first that matches a name decides, no match keeps the name.
//!
//! A pattern is dot-separated segments: a literal matches itself, `*` matches any one segment
//! (kept in the name), `{label}` matches any one segment and moves it to a label. Segment counts
//! must be equal, so `disk.{disk}.*` matches `disk.sdb.used_bytes` but not `disk.sdb`.
class name_mapping {
 public:
  name_mapping() = default;
  //! Throws std::invalid_argument naming a pattern that is empty or has an invalid label.
  explicit name_mapping(const std::vector<std::string>& patterns) {
    for (const auto& p : patterns) rules_.push_back(parse(p));
  }

  //! The Prometheus spelling of `name`.
  [[nodiscard]] mapped_name map(std::string_view name) const {
    const auto segs = split(name);
    for (const auto& r : rules_) {
      if (r.size() != segs.size()) continue;
      bool ok = true;
      for (std::size_t i = 0; ok && i < r.size(); ++i)
        ok = r[i].kind != seg::literal || r[i].text == segs[i];
      if (!ok) continue;
      mapped_name out;
      std::string kept;
      for (std::size_t i = 0; i < r.size(); ++i) {
        if (r[i].kind == seg::label) {
          out.labels.emplace_back(r[i].text, std::string{segs[i]});
        } else {
          if (!kept.empty()) kept += '.';
          kept += segs[i];
        }
      }
      auto base = detail::prom_base_units(kept);
      out.family = std::move(base.name);
      out.scale = base.scale;
      return out;
    }
    auto base = detail::prom_base_units(name);
    return {std::move(base.name), base.scale, {}};
  }

  [[nodiscard]] bool empty() const noexcept { return rules_.empty(); }

 private:
  enum class seg { literal, any, label };
  struct segment {
    seg kind;
    std::string text;  // the literal, or the label name
  };
  using rule = std::vector<segment>;

  static std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    for (;;) {
      const auto dot = s.find('.', start);
      out.push_back(s.substr(start, dot == std::string_view::npos ? dot : dot - start));
      if (dot == std::string_view::npos) return out;
      start = dot + 1;
    }
  }

  static rule parse(const std::string& p) {
    if (p.empty()) throw std::invalid_argument("name mapping: an empty pattern");
    rule r;
    bool literal_left = false;
    for (auto s : split(p)) {
      if (s == "*") {
        r.push_back({seg::any, {}});
        literal_left = true;
      } else if (s.size() >= 2 && s.front() == '{' && s.back() == '}') {
        const auto label = s.substr(1, s.size() - 2);
        if (label.empty() || detail::prom_label_name(label) != label || label.substr(0, 2) == "__")
          throw std::invalid_argument("name mapping \"" + p + "\": \"" + std::string{s} +
                                      "\" is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)");
        r.push_back({seg::label, std::string{label}});
      } else {
        if (s.empty() || s.find_first_of("{}*") != std::string_view::npos)
          throw std::invalid_argument("name mapping \"" + p + "\": segment \"" + std::string{s} +
                                      "\" is neither a name, * nor {label}");
        r.push_back({seg::literal, std::string{s}});
        literal_left = true;
      }
    }
    // Every segment a label would leave no metric name.
    if (!literal_left)
      throw std::invalid_argument("name mapping \"" + p + "\": leaves no segment for the name");
    return r;
  }

  std::vector<rule> rules_;
};

}  // namespace introspect::inline v1::exporters
