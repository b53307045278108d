#pragma once
//! k-way merge of time-ordered sources into one time-ordered view (instances, files, streams).
#include <algorithm>
#include <memory>
#include <vector>

#include <introspect/query/read/record_cursor.hpp>

namespace introspect::inline v1::query::read {

//! Merges sources, each already in time order, by timestamp. Ties keep the order in which the
//! sources were given, so a merge of the same inputs is always the same sequence.
class merge_cursor final : public record_cursor {
 public:
  explicit merge_cursor(std::vector<std::unique_ptr<record_cursor>> inputs)
      : inputs_(std::move(inputs)), heads_(inputs_.size()) {}

  bool next(record& out) override {
    if (!primed_) prime();
    if (heap_.empty()) return false;
    std::pop_heap(heap_.begin(), heap_.end(), later{this});
    const std::size_t i = heap_.back();
    heap_.pop_back();
    std::swap(out, heads_[i]);  // swapping keeps the strings' storage alive for reuse
    if (inputs_[i]->next(heads_[i])) {
      heap_.push_back(i);
      std::push_heap(heap_.begin(), heap_.end(), later{this});
    }
    return true;
  }

 private:
  // Heap order: the smallest (ts, input index) on top.
  struct later {
    const merge_cursor* self;
    bool operator()(std::size_t a, std::size_t b) const noexcept {
      const auto ta = self->heads_[a].ts_ns, tb = self->heads_[b].ts_ns;
      return ta != tb ? ta > tb : a > b;
    }
  };

  void prime() {
    primed_ = true;
    for (std::size_t i = 0; i < inputs_.size(); ++i)
      if (inputs_[i]->next(heads_[i])) heap_.push_back(i);
    std::make_heap(heap_.begin(), heap_.end(), later{this});
  }

  std::vector<std::unique_ptr<record_cursor>> inputs_;
  std::vector<record> heads_;
  std::vector<std::size_t> heap_;
  bool primed_ = false;
};

//! Returns the single input itself, or a merge of several.
inline std::unique_ptr<record_cursor> merge_all(std::vector<std::unique_ptr<record_cursor>> in) {
  if (in.size() == 1) return std::move(in.front());
  return std::make_unique<merge_cursor>(std::move(in));
}

}  // namespace introspect::inline v1::query::read
