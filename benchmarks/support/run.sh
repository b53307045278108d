#!/usr/bin/env bash
# The support benchmarks of issue 15: `introspect bundle` MB/s on a ~1 GB store against GNU tar
# of the same directory in the same run (wall time on all cores, then CPU seconds: user + sys
# of the command pinned to one core) and `introspect report` seconds and page size on
# a 10 M-record store (against `introspect insights`, the same ordered pass without plots).
#
#   benchmarks/support/run.sh
#
# Environment: BUILD (default ./build; needs bin/introspect and bin/support_gen_store),
# WORK (scratch, default a new /tmp/introspect-support.XXXXXX), KEEP=1 to keep it,
# BUNDLE_RECORDS (default 12500000: about 1 GB), REPORT_RECORDS (default 10000000),
# REPS (default 3: best of), CPU (default 0: every timed command pinned to this core).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
BUNDLE_RECORDS=${BUNDLE_RECORDS:-12500000}
REPORT_RECORDS=${REPORT_RECORDS:-10000000}
REPS=${REPS:-3}
CPU=${CPU:-0}
ix=$BUILD/bin/introspect
gen=$BUILD/bin/support_gen_store
for b in "$ix" "$gen"; do
  [[ -x $b ]] || { echo "run.sh: $b not found (cmake --build $BUILD --target introspect_cli support_gen_store)" >&2; exit 1; }
done
WORK=${WORK:-$(mktemp -d /tmp/introspect-support.XXXXXX)}
mkdir -p "$WORK"
[[ ${KEEP:-0} == 1 ]] || trap 'rm -rf "$WORK"' EXIT

# best-of-REPS CPU seconds (FRESH: a file removed before each run) (user + sys, /usr/bin/time: a loaded shared machine stretches wall
# time, not CPU time) of a command pinned to one core; its wall seconds in $WORK/wall, stdout of
# the last run in $WORK/out
best() {
  local best= wall=
  for ((i = 0; i < REPS; i++)); do
    [[ -z ${FRESH:-} ]] || rm -f "$FRESH"  # the output is written new, as in the wall pairs
    /usr/bin/time -f '%e %U %S' -o "$WORK/time" taskset -c "$CPU" "$@" >"$WORK/out" 2>"$WORK/err"
    # the last line: /usr/bin/time puts "Command exited with non-zero status N" before it
    # (`insights` exits 1 when it finds no insight)
    read -r w u s < <(tail -n 1 "$WORK/time")
    local c
    c=$(echo "$u + $s" | bc -l)
    if [[ -z $best ]] || (($(echo "$c < $best" | bc -l))); then best=$c wall=$w; fi
  done
  echo "$wall" >"$WORK/wall"
  echo "$best"
}

store=$WORK/store-bundle
if [[ ! -d $store ]]; then
  echo "== generating $BUNDLE_RECORDS records into $store"
  "$gen" "$store" "$BUNDLE_RECORDS" >/dev/null
fi
bytes=$(du -sb "$store" | cut -f1)
cat "$store"/*/*/* >/dev/null 2>&1 || true   # page cache warm: the figure is the tool's, not the disk's
echo "store: $(echo "$bytes / 1000000" | bc) MB, $BUNDLE_RECORDS records"
# Wall time on every core (the bundle's copy, its hash-and-write thread and its verify thread
# run at once): tar and bundle alternate, each writing a file that does not exist yet (a
# removed output's pages are what the next write reuses: both get the same start), median of
# REPS, with the load average before each pair.
walls_tar=() walls_bundle=()
for ((i = 0; i < REPS; i++)); do
  rm -f "$WORK/peer.tar" "$WORK/b.tar"
  echo "loadavg before pair $((i + 1)): $(cut -d' ' -f1-3 /proc/loadavg)"
  /usr/bin/time -f '%e' -o "$WORK/time" tar -cf "$WORK/peer.tar" -C "$store" .
  walls_tar+=("$(cat "$WORK/time")")
  rm -f "$WORK/peer.tar"
  /usr/bin/time -f '%e' -o "$WORK/time" "$ix" bundle "$store" -o "$WORK/b.tar" >/dev/null
  walls_bundle+=("$(cat "$WORK/time")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
w_tar=$(median "${walls_tar[@]}") w_bundle=$(median "${walls_bundle[@]}")
echo "wall (median of $REPS, all cores): tar ${w_tar} s = $(echo "scale=0; $bytes / 1000000 / $w_tar" | bc -l) MB/s," \
  "bundle ${w_bundle} s = $(echo "scale=0; $bytes / 1000000 / $w_bundle" | bc -l) MB/s (runs: tar ${walls_tar[*]}; bundle ${walls_bundle[*]})"
rm -f "$WORK/peer.tar" "$WORK/b.tar"
t_tar=$(FRESH=$WORK/peer.tar best tar -cf "$WORK/peer.tar" -C "$store" .)
t_bundle=$(FRESH=$WORK/b.tar best "$ix" bundle "$store" -o "$WORK/b.tar")
t_zst=$(FRESH=$WORK/b.tar.zst best "$ix" bundle "$store" -o "$WORK/b.tar.zst")
zst_bytes=$(stat -c %s "$WORK/b.tar.zst")
t_read=$(best "$ix" query "$WORK/b.tar" --agg count)
t_read_store=$(best "$ix" query "$store" --agg count)
mbs() { echo "scale=0; $bytes / 1000000 / $1" | bc -l; }
printf '| %-58s | %8s | %9s |\n' "command (pinned to CPU $CPU, page cache warm, best of $REPS)" "CPU s" "MB/s of CPU"
printf '| %-58s | %8.2f | %9s |\n' "tar -cf peer.tar -C STORE . (GNU tar, the peer)" "$t_tar" "$(mbs "$t_tar")"
printf '| %-58s | %8.2f | %9s |\n' "introspect bundle STORE -o b.tar" "$t_bundle" "$(mbs "$t_bundle")"
printf '| %-58s | %8.2f | %9s |\n' "introspect bundle STORE -o b.tar.zst ($(echo "$zst_bytes / 1000000" | bc) MB)" "$t_zst" "$(mbs "$t_zst")"
printf '| %-58s | %8.2f | %9s |\n' "introspect query b.tar --agg count (extract + scan)" "$t_read" "$(mbs "$t_read")"
printf '| %-58s | %8.2f | %9s |\n' "introspect query STORE --agg count (scan in place)" "$t_read_store" "$(mbs "$t_read_store")"
echo "bundle / tar time: $(echo "scale=2; $t_bundle / $t_tar" | bc -l)"

rstore=$WORK/store-report
if [[ ! -d $rstore ]]; then
  echo "== generating $REPORT_RECORDS records into $rstore"
  "$gen" "$rstore" "$REPORT_RECORDS" >/dev/null
fi
cat "$rstore"/*/*/* >/dev/null 2>&1 || true
t_report=$(best "$ix" report "$rstore" -o "$WORK/r.html")
page=$(stat -c %s "$WORK/r.html")
t_summary=$(best "$ix" summary "$rstore")
t_insights=$(best "$ix" insights "$rstore" -o json)
printf '| %-58s | %8s |\n' "command on $REPORT_RECORDS records" "CPU s"
printf '| %-58s | %8.2f |\n' "introspect report STORE -o r.html ($(echo "scale=2; $page / 1000000" | bc) MB)" "$t_report"
printf '| %-58s | %8.2f |\n' "introspect summary STORE" "$t_summary"
printf '| %-58s | %8.2f |\n' "introspect insights STORE (the peer: same pass, no plots)" "$t_insights"
echo "report / insights time: $(echo "scale=2; $t_report / $t_insights" | bc -l)"
