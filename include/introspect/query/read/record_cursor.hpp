#pragma once
//! The reader abstraction every query runs on: a cursor over one time-ordered view of records.
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/query/read/damage.hpp>

namespace introspect::inline v1::query::read {

//! What a query will keep, told to a source so that it may skip work (a stream per kind need
//! not be opened when its kind is not asked). Only an optimisation: the query filters again.
struct read_hint {
  std::uint32_t kinds = ~0u;  //!< bit (1 << record_kind) set for each kind wanted
  std::int64_t since_ns = std::numeric_limits<std::int64_t>::min();
  std::int64_t until_ns = std::numeric_limits<std::int64_t>::max();
  bool tables = true;  //!< periodic state-table lines wanted

  bool wants(record_kind k) const noexcept { return kinds & (1u << static_cast<unsigned>(k)); }
};

//! A cursor over records in time order. Damage (malformed lines, bad frames) is never thrown:
//! the source reports it to the damage_log it was given, skips it and goes on.
//!
//! @code
//! record r;
//! while (src.next(r)) use(r);
//! @endcode
class record_cursor {
 public:
  virtual ~record_cursor() = default;
  //! Fills `out` with the next record; false at the end of the view.
  virtual bool next(record& out) = 0;
};

//! A source over records held in memory (tests, adapters); they must already be in time order.
class vector_cursor final : public record_cursor {
 public:
  explicit vector_cursor(std::vector<record> records) : records_(std::move(records)) {}
  bool next(record& out) override {
    if (pos_ >= records_.size()) return false;
    out = records_[pos_++];
    return true;
  }

 private:
  std::vector<record> records_;
  std::size_t pos_ = 0;
};

}  // namespace introspect::inline v1::query::read
