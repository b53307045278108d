#pragma once
//! The one output strategy: a format writes records one by one, or the rows of an aggregate,
//! and finish() ends the output (tables print there). make_writer.hpp builds one per format.
#include <vector>

#include <introspect/core/record.hpp>
#include <introspect/query/agg/aggregate.hpp>

namespace introspect::inline v1::query::output {

//! Writes query results in one format: records (write(record)) or aggregate rows, then finish().
class writer {
 public:
  virtual ~writer() = default;
  //! One record, in the order given.
  virtual void write(const record& r) = 0;
  //! The rows of an aggregate: columns ts (when bucketed), the --by field (when grouped) and the
  //! function's result (NaN, meaning no numeric input, is null / empty / "-").
  virtual void write(const std::vector<agg::agg_row>& rows, const agg::agg_spec& spec) = 0;
  //! Ends the output: what is buffered is written.
  virtual void finish() = 0;
};

}  // namespace introspect::inline v1::query::output
