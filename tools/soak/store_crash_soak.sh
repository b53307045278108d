#!/usr/bin/env bash
# Long kill -9 soak of the stream store: runs the crash harness (tests/store/crash_test.cpp)
# with many more iterations than CI does. Usage:
#   tools/soak/store_crash_soak.sh [BUILD_DIR] [ITERATIONS]   (defaults: build, 1000)
# Exit status is the harness's: 0 when every reopen, record and acknowledged offset checked out.
set -euo pipefail
build=${1:-build}
iterations=${2:-1000}
bin="$build/bin/store_crash_test"
if [[ ! -x "$bin" ]]; then
  echo "store_crash_test not found in $build/bin; build it first:" >&2
  echo "  cmake --build $build --target store_crash_test" >&2
  exit 2
fi
export INTROSPECT_STORE_CRASH_ITERATIONS=$iterations
start=$(date +%s)
"$bin" --warn NoTests "[crash]"
echo "soak: $iterations kill -9 iterations passed in $(( $(date +%s) - start )) s"
