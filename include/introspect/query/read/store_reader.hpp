#pragma once
//! A store opened for reading: its streams (what `introspect streams` lists) and one
//! time-ordered view over any subset of them. A tiny-tier JSON-lines store and the stream store
//! both implement it; the CLI and the query layer know nothing else about either.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <introspect/query/read/damage.hpp>
#include <introspect/query/read/record_cursor.hpp>

namespace introspect::inline v1::query::read {

//! One stream of a store: a JSON-lines file of an instance, or a stream of a scope.
struct stream_desc {
  std::string scope;        //!< the product instance (tiny: from the file name)
  std::string name;         //!< the stream's name (tiny: the file name)
  std::string path;         //!< where it is on disk, for messages
  std::uint64_t bytes = 0;  //!< its size on disk
};

//! Read access to one logical store.
class store_reader {
 public:
  virtual ~store_reader() = default;
  //! "jsonl" or "stream-store": what kind of store this is.
  virtual std::string_view format() const noexcept = 0;
  //! Every stream of the store, in a stable order.
  virtual std::vector<stream_desc> streams() const = 0;
  //! A time-ordered view of the records of `selected` (a subset of streams()), merged across
  //! scopes; damage goes to `log`. The store may use `hint` to skip work.
  virtual std::unique_ptr<record_cursor> open(const std::vector<stream_desc>& selected,
                                              const read_hint& hint, damage_log& log) const = 0;
};

}  // namespace introspect::inline v1::query::read
