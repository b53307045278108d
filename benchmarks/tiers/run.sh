#!/usr/bin/env bash
# Per-tier footprint table (docs/benchmarks.md): runs bench_tier_<tier> for the harness baseline
# and every tier, then prints one markdown row per tier with its executable's text size.
# Usage: BUILD=build-tiers benchmarks/tiers/run.sh [args passed to every binary, e.g. --quick]
# Each binary's full report goes to $BUILD/tiers-footprint.log.
set -uo pipefail
BUILD=${BUILD:-build-tiers}
LOG=$BUILD/tiers-footprint.log
: >"$LOG"

echo "machine: $(nproc) cores, $(uname -sr), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
rows=()
for t in null tiny small medium large uber; do
  bin=$BUILD/bin/bench_tier_$t
  if [[ ! -x $bin ]]; then
    rows+=("| $t | not built ($bin missing) |")
    continue
  fi
  extra=()
  [[ $t == null ]] && extra=(--seconds 5)  # nothing happens at any period: 5 s is plenty
  out=$("$bin" "${extra[@]}" "$@" 2>&1)
  rc=$?
  printf '%s\n' "$out" >>"$LOG"
  text=$(size "$bin" | awk 'NR == 2 { print $1 }')
  row=$(grep '^ROW|' <<<"$out" | sed 's/^ROW//')
  if [[ $rc -ne 0 || -z $row ]]; then
    why=$(grep -m1 'not measured' <<<"$out" || echo "exit $rc")
    rows+=("| $t | not measured: $why | | | | | | | | $text |")
  else
    rows+=("$row $text |")
  fi
  echo "$t done (exit $rc), load $(cut -d' ' -f1-3 /proc/loadavg)" >&2
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| tier | threads added | heap in use: constructed / steady max | RSS: constructed / steady max | \`tick()\` tight loop p50 / p99 | \`tick()\` with 1 000 records pending p50 / p99 | period work, steady | forced period, 1 000 records pending (p50) | product: one mix of 10 calls p50 / p99 | text (bytes) |"
echo "|---|---:|---:|---:|---:|---:|---|---|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "details: $LOG"
