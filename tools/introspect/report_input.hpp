#pragma once
// The one pass summary and report share: the STOREs (bundles included) opened, filtered and
// read in time order into a report::analysis; damage collected for the page, not printed.
#include <string>
#include <vector>

#include <introspect/report/analysis.hpp>

#include "common.hpp"

namespace ixcli {

struct report_input {
  ix::report::analysis result;
  std::vector<std::string> damage;  // bundle problems first, then what the readers found
};

report_input read_for_report(const filter_args& fa);

}  // namespace ixcli
