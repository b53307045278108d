#pragma once
//! Damage found while reading a store: where (path, line or offset) and why; counted and kept.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace introspect::inline v1::query::read {

//! One damaged place in a store: a malformed line of a JSON-lines file or a bad frame.
struct damage {
  std::string path;          //!< the file (or stream) that holds it
  std::uint64_t line = 0;    //!< 1-based line number for text files; 0 when unknown
  std::uint64_t offset = 0;  //!< byte offset of the damaged line or frame
  std::string reason;        //!< what is wrong, in words

  //! "path:line: reason" (or "path@offset: reason" for binary stores without lines).
  std::string to_string() const {
    if (line) return fmt::format("{}:{}: {}", path, line, reason);
    return fmt::format("{}@{}: {}", path, offset, reason);
  }
};

//! Collects damage from every source of one query: counts all of it, keeps the first `keep`
//! reports (a badly damaged store must not exhaust memory), and tells an optional observer at
//! once so that a CLI can print each report as it is found.
class damage_log {
 public:
  using observer = std::function<void(const damage&)>;

  explicit damage_log(observer on_damage = {}, std::size_t keep = 10000)
      : on_damage_(std::move(on_damage)), keep_(keep) {}

  void report(damage d) {
    ++count_;
    if (on_damage_) on_damage_(d);
    if (kept_.size() < keep_) kept_.push_back(std::move(d));
  }
  void report(std::string path, std::uint64_t line, std::uint64_t offset, std::string reason) {
    report(damage{std::move(path), line, offset, std::move(reason)});
  }

  std::uint64_t count() const noexcept { return count_; }
  bool empty() const noexcept { return count_ == 0; }
  const std::vector<damage>& kept() const noexcept { return kept_; }

 private:
  observer on_damage_;
  std::size_t keep_;
  std::uint64_t count_ = 0;
  std::vector<damage> kept_;
};

}  // namespace introspect::inline v1::query::read
