#!/usr/bin/env bash
# The main job: install, build, let the demo product write a tiny-tier and a medium-tier store,
# then query them with the introspect CLI.
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
