#!/bin/sh
# Runs the store's model-based stress test (tests/store/model_stress_test.cpp) for longer than
# CI does, one seed after another, and stops at the first failure with its seed.
#   tools/soak/store_model_stress.sh [BUILD_DIR] [TOTAL_SECONDS] [SECONDS_PER_SEED]
set -eu
build=${1:-build}
total=${2:-1800}
per=${3:-60}
bin="$build/bin/store_model_stress_test"
[ -x "$bin" ] || { echo "no $bin: build the target store_model_stress_test first" >&2; exit 2; }
end=$(( $(date +%s) + total ))
runs=0
while [ "$(date +%s)" -lt "$end" ]; do
  seed=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
  if ! INTROSPECT_STRESS_SECONDS=$per INTROSPECT_STRESS_SEED=$seed "$bin" >"/tmp/store-stress-$seed.log" 2>&1; then
    echo "FAILED with INTROSPECT_STRESS_SEED=$seed (log: /tmp/store-stress-$seed.log)" >&2
    exit 1
  fi
  rm -f "/tmp/store-stress-$seed.log"
  runs=$((runs + 1))
done
echo "store model stress: $runs seeds x ${per}s, no failure"
