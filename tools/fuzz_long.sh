#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ for longer than CI does: each up to RUNS executions (default
# 10^7) or MAX_SECONDS (default 3600), then prints execs, execs/s, coverage (cov: edges, ft:
# features) and corpus size per target. Builds build-fuzz first if needed (see .ci/fuzz).
#
#   tools/fuzz_long.sh                      # every target
#   RUNS=1000000 tools/fuzz_long.sh where time_arg
#
# New corpus entries go to build-fuzz/long/<target>/ (keep what is worth it: `-merge=1` into
# fuzz/corpus/<target>/ keeps the checked-in seeds small); crashes to
# build-fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-10000000}
max_seconds=${MAX_SECONDS:-3600}
build=${FUZZ_BUILD_DIR:-build-fuzz}

if [[ ! -f $build/CMakeCache.txt ]]; then
  CXX=${FUZZ_CXX:-clang++} cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DINTROSPECT_BUILD_FUZZERS=ON -DINTROSPECT_BUILD_TESTS=OFF -DINTROSPECT_BUILD_TOOLS=OFF \
    -DINTROSPECT_BUILD_BENCHMARKS=OFF -DINTROSPECT_BUILD_EXAMPLES=OFF -DINTROSPECT_INSTALL=OFF \
    -DINTROSPECT_WERROR=ON >/dev/null
fi
cmake --build "$build" -j"${JOBS:-1}" --target fuzzers >/dev/null

if (($#)); then
  targets=("$@")
else
  mapfile -t targets < <(cd "$build/bin" && ls fuzz_* | sed 's/^fuzz_//' | sort)
fi

# Scratch files of the targets that read files (segments, kubeconfig): on tmpfs when there is
# one, where the store's fsyncs cost nothing (on a disk they make the segment target crawl).
if [[ -d /dev/shm && -w /dev/shm ]]; then
  export TMPDIR=/dev/shm/introspect-fuzz-$$
else
  export TMPDIR="$PWD/$build/tmp"
fi
mkdir -p "$TMPDIR"
status=0
printf '%-16s %12s %10s %8s %8s %8s %s\n' target execs execs/s cov ft corpus result
for t in "${targets[@]}"; do
  work="$build/long/$t" artifacts="$build/artifacts/$t" log="$build/long/$t.log"
  mkdir -p "$work" "$artifacts"
  dict=()
  [[ -f fuzz/dict/$t.dict ]] && dict=(-dict="fuzz/dict/$t.dict")
  result=ok
  start=$(date +%s)
  "$build/bin/fuzz_$t" "${dict[@]}" -runs="$runs" -max_total_time="$max_seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=8192 -print_final_stats=1 -artifact_prefix="$artifacts/" \
    "$work" "fuzz/corpus/$t" >"$log" 2>&1 || { result="CRASH (see $log, $artifacts)"; status=1; }
  secs=$(($(date +%s) - start))
  execs=$(awk '/^stat::number_of_executed_units/ {print $2}' "$log")
  execs=${execs:-$(grep -o '^#[0-9]*' "$log" | tail -1 | tr -d '#')}
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  corpus=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | awk '{print $2}')
  printf '%-16s %12s %10s %8s %8s %8s %s\n' "$t" "${execs:-?}" \
    "$(( ${execs:-0} / (secs > 0 ? secs : 1) ))" "${cov:-?}" "${ft:-?}" "${corpus:-?}" "$result"
done
rm -rf "$TMPDIR"
exit "$status"
