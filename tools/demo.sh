#!/usr/bin/env bash
# The main job: install, build, let the demo product write a tiny-tier and a medium-tier store,
# then query them with the introspect CLI; it ends by writing a support bundle and an HTML
# report of the latency-spike store and prints where they are.
set -euo pipefail
cd "$(dirname "$0")/.."
bash .ci/install-deps
cmake --preset dev
cmake --build --preset dev -j"${JOBS:-2}" --target demo_product introspect_cli
out=${DEMO_DIR:-/tmp/introspect-demo}
rm -rf "$out"
echo "== demo_product --tier tiny"
build/bin/demo_product --tier tiny --store "$out/tiny" --seed 7 --events 2000
echo "== introspect streams $out/tiny"
build/bin/introspect streams "$out/tiny"
echo "== introspect query $out/tiny --kind notification (first 10)"
build/bin/introspect query "$out/tiny" --kind notification --format table | head -n 11
if build/bin/demo_product --tier medium --mapping per-kind --store "$out/medium" --seed 7 --events 20000; then
  echo "== introspect streams $out/medium"
  build/bin/introspect streams "$out/medium"
  echo "== introspect query $out/medium --kind metric --name '*.cache.*' --agg avg --every 1s"
  build/bin/introspect query "$out/medium" --kind metric --name '*.cache.*' --agg avg --every 1s | head -n 12
fi
# A support engineer's view of a fault: a latency spike from 00:02 to 00:03 in a 5-minute run.
if build/bin/demo_product --tier medium --mapping per-kind --store "$out/spike" --seed 7 \
    --events 300000 --scenario latency-spike; then
  echo "== introspect insights $out/spike (one line per episode)"
  build/bin/introspect insights "$out/spike"
  echo "== interval p99 of bookkeeper.write.latency_us per minute (histograms are cumulative)"
  build/bin/introspect query "$out/spike" -n bookkeeper.write.latency_us --agg p99 --every 1m
  echo "== controller.requests per second (a cumulative counter's rate)"
  build/bin/introspect query "$out/spike" -n controller.requests --agg rate --every 1m
  echo "== the last minute of warnings and worse (relative to the store's last record)"
  build/bin/introspect query "$out/spike" -p warning --since 1m | head -n 11
  # Offline support: the customer sends one file, support reads it (docs/support.md).
  echo "== introspect bundle $out/spike -o $out/spike.tar.zst (customer side)"
  case_file="$out/spike.tar.zst"
  # A build without libarchive has no bundles: summary and report then read the store itself.
  build/bin/introspect bundle "$out/spike" -o "$case_file" || case_file="$out/spike"
  echo "== introspect summary $case_file (support side)"
  build/bin/introspect summary "$case_file"
  echo "== introspect report $case_file -o $out/spike-report.html"
  build/bin/introspect report "$case_file" -o "$out/spike-report.html"
  echo "bundle: $case_file"
  echo "report: $out/spike-report.html (open it in a browser; it needs no network)"
fi
