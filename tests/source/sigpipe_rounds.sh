#!/usr/bin/env bash
# Runs the SIGPIPE scenarios 100 times each (ctest runs fewer to stay fast): stop() with a TLS
# watch open, snapshot_now() during a watch, the server killed mid-stream, for the Kubernetes
# source and the etcd gateway/source, against fake_apiserver in another process.
#   tests/source/sigpipe_rounds.sh [BUILD_DIR] [ROUNDS]
set -euo pipefail
build=${1:-build}
rounds=${2:-100}
exe="$build/bin/source_sigpipe"
[[ -x $exe ]] || { echo "$exe: not built (cmake --build $build --target source_sigpipe)" >&2; exit 2; }
INTROSPECT_SIGPIPE_ROUNDS=$rounds "$exe" -d yes
