#pragma once
//! Restores time order in a source that is only nearly ordered (threads stamp a record before
//! they take the writer's lock, so neighbouring lines can be a little out of order).
#include <algorithm>
#include <memory>
#include <vector>

#include <introspect/query/read/record_cursor.hpp>

namespace introspect::inline v1::query::read {

//! Holds up to `window` records in a min-heap and releases the earliest; output is fully ordered
//! whenever no record is displaced by more than `window` positions. Equal timestamps keep their
//! input order.
class reorder_cursor final : public record_cursor {
 public:
  explicit reorder_cursor(std::unique_ptr<record_cursor> in, std::size_t window = 1024)
      : in_(std::move(in)), window_(std::max<std::size_t>(window, 1)) {}

  bool next(record& out) override {
    // Records stay in their pool slots; only small keys move through the heap.
    while (!done_ && heap_.size() < window_) {
      std::size_t slot;
      if (!free_.empty()) {
        slot = free_.back();
        free_.pop_back();
      } else {
        slot = pool_.size();
        pool_.emplace_back();
      }
      if (!in_->next(pool_[slot])) {
        free_.push_back(slot);
        done_ = true;
        break;
      }
      heap_.push_back({pool_[slot].ts_ns, seq_++, slot});
      std::push_heap(heap_.begin(), heap_.end(), later);
    }
    if (heap_.empty()) return false;
    std::pop_heap(heap_.begin(), heap_.end(), later);
    const std::size_t slot = heap_.back().slot;
    heap_.pop_back();
    std::swap(out, pool_[slot]);  // the caller's old record becomes the slot's storage
    free_.push_back(slot);
    return true;
  }

 private:
  struct key {
    std::int64_t ts;
    std::uint64_t seq;
    std::size_t slot;
  };
  static bool later(const key& a, const key& b) noexcept {
    return a.ts != b.ts ? a.ts > b.ts : a.seq > b.seq;
  }

  std::unique_ptr<record_cursor> in_;
  std::size_t window_;
  std::vector<record> pool_;
  std::vector<std::size_t> free_;
  std::vector<key> heap_;
  std::uint64_t seq_ = 0;
  bool done_ = false;
};

}  // namespace introspect::inline v1::query::read
