#!/usr/bin/env bash
# Runs a fuzz target once over every file in the given directories (seed corpus, crash
# reproducers): a regression test, no mutation. Fails if any input crashes or breaks a property.
# usage: run_inputs.sh FUZZER DIR...
set -euo pipefail
fuzzer=$1
shift
files=()
for dir in "$@"; do
  [[ -d $dir ]] || continue
  while IFS= read -r -d '' f; do files+=("$f"); done < <(find "$dir" -type f ! -name '.*' -print0 | sort -z)
done
if ((${#files[@]} == 0)); then
  echo "no inputs in $*" >&2
  exit 1
fi
# Given files (not directories), libFuzzer runs each once and does not fuzz.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! "$fuzzer" -rss_limit_mb=2048 -timeout=30 "${files[@]}" >"$log" 2>&1; then
  grep -v '^Executed ' "$log" | tail -n 60 >&2
  echo "$(basename "$fuzzer"): FAILED on an input above" >&2
  exit 1
fi
echo "$(basename "$fuzzer"): ${#files[@]} inputs passed"
