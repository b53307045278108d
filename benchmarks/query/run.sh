#!/usr/bin/env bash
# The query benchmark of issue 6: `introspect query` against jq and sqlite3 on the same demo
# records, plus a raw scan of the stream store. Prints one table with times, the ratios and
# the scan rate, and checks that the three tools give the same answer.
#
#   benchmarks/query/run.sh [N]        N = demo events (default 10000000; 1000000 for a quick run)
#
# Environment (all optional):
#   BUILD=dir      build directory holding bin/introspect and bin/demo_product (default: ./build)
#   TIER=medium    demo tier writing the stream store (small: one stream; medium and up: per kind)
#   MAPPING=       single | per-kind (default: the tier's own)
#   GLOB='*.cache.*'  the --name glob; the demo's cache metrics are segmentstore.<i>.cache.*
#   REPS=3         timed runs of each fast command (the best is kept); JQ_REPS=1 for jq
#   CPU=0          the core every timed command is pinned to (taskset), so it is one core each
#   WORK=dir       scratch directory (default: a new /tmp/introspect-qbench.XXXXXX)
#   KEEP=1         keep WORK afterwards (default: removed)
#   REUSE=1        with WORK=dir of a kept earlier run of the same N: skip the setup (the
#                  store, JSON lines and database are already there) and only time
#
# Exit status: 0 when the three answers agree (whether or not the speed goals are met), 1 when
# they disagree or a step fails. The goals' verdicts are printed, not enforced: the machine is
# shared, so a slow run is a measurement, not a failure.
set -euo pipefail

N=${1:-10000000}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$root/build}
TIER=${TIER:-medium}
MAPPING=${MAPPING:-}
GLOB=${GLOB:-'*.cache.*'}
REPS=${REPS:-3}
JQ_REPS=${JQ_REPS:-1}
CPU=${CPU:-0}
KEEP=${KEEP:-0}
REUSE=${REUSE:-0}

ix=$BUILD/bin/introspect
demo=$BUILD/bin/demo_product
die() {
  echo "run.sh: $*" >&2
  exit 1
}
[[ $N =~ ^[0-9]+$ && $N -gt 0 ]] || die "N must be a positive number of events, not '$N'"
hint="configure with -DINTROSPECT_BUILD_TOOLS=ON, then cmake --build $BUILD --target"
[[ -x $ix ]] || die "$ix not found: $hint introspect_cli (or set BUILD=dir)"
[[ -x $demo ]] || die "$demo not found: $hint demo_product (or set BUILD=dir)"
for t in jq sqlite3 taskset awk; do command -v $t >/dev/null || die "$t is not installed"; done
[[ -x /usr/bin/time ]] || die "/usr/bin/time is not installed (Debian: time)"

if [[ -z ${WORK:-} ]]; then
  WORK=$(mktemp -d /tmp/introspect-qbench.XXXXXX)
else
  mkdir -p "$WORK"
fi
cleanup() { [[ $KEEP == 1 ]] || rm -rf "$WORK"; }
trap cleanup EXIT

store=$WORK/store
jsonl=$WORK/records.jsonl
db=$WORK/records.db
log=$WORK/log
: >"$log"

# The jq glob equivalent: GLOB '*.cache.*' is "name contains .cache."; other globs become
# an anchored regex (jq's test(), slower than contains()).
glob_to_regex() {
  local g=$1 r='^' c i
  for ((i = 0; i < ${#g}; i++)); do
    c=${g:i:1}
    case $c in
      '*') r+='.*' ;;
      '?') r+='.' ;;
      [.+\(\)\{\}\|^\$]) r+="\\\\$c" ;;
      *) r+=$c ;;
    esac
  done
  printf '%s$' "$r"
}

# step LABEL CMD...: runs a setup step untimed by the table, logging its wall time.
step() {
  local label=$1 t0 t1
  shift
  t0=$(date +%s.%N)
  if ! "$@" >>"$log" 2>&1; then
    tail -20 "$log" >&2
    die "$label failed: $*"
  fi
  t1=$(date +%s.%N)
  awk -v l="$label" -v a="$t0" -v b="$t1" 'BEGIN { printf "  %-34s %8.2f s\n", l, b - a }'
}

# measure KEY REPS OUT CMD...: runs CMD pinned to one core REPS times (stdout to OUT) and keeps
# the best elapsed time with its user and system times and peak RSS in
# T_<KEY>="elapsed user sys rss_kb".
measure() {
  local key=$1 reps=$2 out=$3 best="" line i
  shift 3
  for ((i = 0; i < reps; i++)); do
    if ! /usr/bin/time -f '%e %U %S %M' -o "$WORK/time" taskset -c "$CPU" "$@" >"$out" 2>>"$log"; then
      # query exits 1 when nothing matched: that is an empty answer, which compare() reports
      [[ $(head -1 "$WORK/time") == "Command exited with non-zero status 1" && $1 == "$ix" ]] ||
        { tail -20 "$log" >&2; die "$key failed: $*"; }
    fi
    line=$(tail -1 "$WORK/time")
    if [[ -z $best ]] || awk -v a="${line%% *}" -v b="${best%% *}" 'BEGIN{exit !(a < b)}'; then
      best=$line
    fi
  done
  printf -v "T_$key" '%s' "$best"
}

# normalize IN: "bucket minute,value" lines, bucket cut to YYYY-MM-DDTHH:MM, header dropped.
normalize() {
  tr -d '\r' <"$1" | awk -F, '$1 ~ /^[0-9][0-9][0-9][0-9]-/ && $2 != "" {print substr($1,1,16) "," $2}' |
    sort
}

# compare A B: the same buckets, values equal to a relative 1e-9 (summation order differs).
compare() {
  local a=$1 b=$2
  join -t, "$WORK/$a.norm" "$WORK/$b.norm" | awk -F, -v na="$(wc -l <"$WORK/$a.norm")" \
    -v nb="$(wc -l <"$WORK/$b.norm")" '
    { d = $2 - $3; if (d < 0) d = -d; m = ($2 < 0 ? -$2 : $2); if (m < 1) m = 1
      if (d / m > worst) worst = d / m; n++ }
    END { ok = n == na && n == nb && n > 0 && worst <= 1e-9
          printf "%s (%d buckets, %d and %d rows, max relative difference %.1e)\n",
                 ok ? "agree" : "DISAGREE", n, na, nb, worst
          exit !ok }'
}

echo "== query benchmark: N=$N events, tier=$TIER${MAPPING:+ mapping=$MAPPING}, glob '$GLOB'"
echo "   build=$BUILD work=$WORK cpu=$CPU ($(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "== setup (not timed in the table)"
if [[ $REUSE == 1 && -d $store && -s $jsonl && -s $db ]]; then
  echo "  reusing $store, $jsonl and $db"
  sqlite_how=$(cat "$WORK/sqlite_how" 2>/dev/null || echo "introspect export --format sqlite")
else
mapping_args=()
[[ -n $MAPPING ]] && mapping_args=(--mapping "$MAPPING")
step "demo_product --tier $TIER" "$demo" --tier "$TIER" --store "$store" --seed 7 --events "$N" \
  "${mapping_args[@]}"
# The tiny tier records no metrics, so its JSON-lines files cannot answer a metric query: the
# JSON lines are the stream store's records exported in the tiny tier's line format.
step "export --format jsonl" "$ix" export "$store" --format jsonl -o "$jsonl"
sqlite_how="introspect export --format sqlite"
if ! "$ix" export "$store" --format sqlite -o "$db" >>"$log" 2>&1; then
  # Fallback while the CLI has no SQLite export: load the JSON lines with sqlite3 itself.
  sqlite_how="sqlite3 + json_extract over the JSON lines"
  rm -f "$db"
  step "sqlite3 load of the JSON lines" sqlite3 -batch "$db" \
    "CREATE TABLE raw(j TEXT);" \
    ".mode ascii" ".separator \"\\037\" \"\\n\"" ".import $jsonl raw" \
    "CREATE TABLE metric AS SELECT json_extract(j,'\$.ts') AS ts,
       CAST(strftime('%s', substr(json_extract(j,'\$.ts'),1,19)) AS INTEGER) * 1000000000
         + CAST(substr(json_extract(j,'\$.ts'),21,9) AS INTEGER) AS ts_ns,
       json_extract(j,'\$.name') AS name, json_extract(j,'\$.value') AS value
     FROM raw WHERE json_extract(j,'\$.kind') = 'metric';" \
    "DROP TABLE raw;" "VACUUM;"
else
  echo "  export --format sqlite              (done)"
fi
step "sqlite3 index metric(name, ts_ns)" sqlite3 -batch "$db" \
  "CREATE INDEX IF NOT EXISTS metric_name_ts ON metric(name, ts_ns); ANALYZE;"
echo "$sqlite_how" >"$WORK/sqlite_how"
fi

seg_bytes=$(find "$store" -name 'segment-*.log' -printf '%s\n' | awk '{s += $1} END {print s + 0}')
store_bytes=$(du -sb "$store" | cut -f1)
jsonl_bytes=$(stat -c %s "$jsonl")
db_bytes=$(stat -c %s "$db")

echo "== timed runs (best of $REPS; jq best of $JQ_REPS; each pinned to cpu $CPU, warm page cache)"
# Warm the page cache so every tool reads from memory, as a support engineer's second query does.
cat "$store"/*/*/segment-*.log "$jsonl" "$db" >/dev/null 2>&1 || true

measure query "$REPS" "$WORK/a.csv" "$ix" query "$store" --kind metric --name "$GLOB" \
  --agg avg --every 1m --format csv

if [[ $GLOB == '*.cache.*' ]]; then
  jq_match='(.name | contains(".cache."))'
else
  jq_match="(.name | test(\"$(glob_to_regex "$GLOB")\"))"
fi
# Streams the lines (no slurp): sum and count per 1-minute bucket, the bucket being the RFC 3339
# time cut to the minute (the records' times are UTC, "Z").
jq_prog='reduce (inputs | select(.kind == "metric" and (.value | type) == "number" and '"$jq_match"'))
  as $r ({}; ($r.ts[0:16]) as $b | .[$b].s += $r.value | .[$b].n += 1)
| . as $g | keys[] | "\(.),\($g[.].s / $g[.].n)"'
measure jq "$JQ_REPS" "$WORK/b.csv" jq -n -r "$jq_prog" "$jsonl"

sql="SELECT strftime('%Y-%m-%dT%H:%M', ts_ns / 1000000000, 'unixepoch') AS bucket, avg(value)
     FROM metric WHERE name GLOB '$GLOB' AND typeof(value) IN ('integer', 'real')
     GROUP BY bucket ORDER BY bucket;"
measure sqlite "$REPS" "$WORK/c.csv" sqlite3 -batch -csv -noheader "$db" "$sql"

measure scan "$REPS" "$WORK/d.csv" "$ix" query "$store" --agg count --format csv
scanned=$(tr -d '\r' <"$WORK/d.csv" | tail -1)

for k in a b c; do normalize "$WORK/$k.csv" >"$WORK/$k.norm"; done
status=0
agree_b=$(compare a b) || status=1
agree_c=$(compare a c) || status=1
matched=$(grep -c '"kind":"metric"' "$jsonl" || true)

read -r qa_e qa_u qa_s qa_m <<<"$T_query"
read -r jq_e jq_u jq_s jq_m <<<"$T_jq"
read -r sq_e sq_u sq_s sq_m <<<"$T_sqlite"
read -r sc_e sc_u sc_s sc_m <<<"$T_scan"
cpu() { awk -v u="$1" -v s="$2" 'BEGIN { printf "%.2f", u + s }'; }
qa_c=$(cpu "$qa_u" "$qa_s") jq_c=$(cpu "$jq_u" "$jq_s") sq_c=$(cpu "$sq_u" "$sq_s") sc_c=$(cpu "$sc_u" "$sc_s")
# /usr/bin/time counts in 10 ms: a faster run is reported against 10 ms (an upper bound on its
# speed-up); use a larger N when a time column shows 0.00 or 0.01.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b < 0.01) b = 0.01; printf "%.1f", a / b }'; }
verdict() { awk -v x="$1" -v g="$2" 'BEGIN { print (x >= g ? "met" : "NOT met") }'; }
gb() { awk -v b="$seg_bytes" -v t="$1" 'BEGIN { if (t < 0.01) t = 0.01; printf "%.2f", b / t / 1e9 }'; }
r_jq=$(ratio "$jq_e" "$qa_e") r_jq_c=$(ratio "$jq_c" "$qa_c")
r_sq=$(ratio "$sq_e" "$qa_e") r_sq_c=$(ratio "$sq_c" "$qa_c")
gbps=$(gb "$sc_e") gbps_c=$(gb "$sc_c")

mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }
echo
echo "records: $scanned in the store ($matched metric); stream store $(mb "$store_bytes")" \
  "(segments $(mb "$seg_bytes")), JSON lines $(mb "$jsonl_bytes"), SQLite $(mb "$db_bytes")"
echo "sqlite database: $sqlite_how, plus index metric(name, ts_ns)"
echo
printf '| %-56s | %7s | %7s | %7s | %-30s |\n' "run (pinned to one core)" "wall s" "cpu s" "max RSS" \
  "vs (a): wall / cpu"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..58})" "--------:" "--------:" "--------:" \
  "$(printf -- '-%.0s' {1..32})"
row() { printf '| %-56s | %7s | %7s | %4d MB | %-30s |\n' "$1" "$2" "$3" "$(($4 / 1024))" "$5"; }
row "(a) introspect query --kind metric --agg avg --every 1m" "$qa_e" "$qa_c" "$qa_m" "1 / 1"
row "(b) jq over the JSON lines" "$jq_e" "$jq_c" "$jq_m" "${r_jq}x / ${r_jq_c}x slower"
row "(c) sqlite3 over the indexed SQLite export" "$sq_e" "$sq_c" "$sq_m" "${r_sq}x / ${r_sq_c}x slower"
row "(d) introspect query --agg count, all records (scan)" "$sc_e" "$sc_c" "$sc_m" \
  "$gbps / $gbps_c GB/s of segments"
echo
echo "goal: (a) >= 10x faster than jq      -> wall ${r_jq}x $(verdict "$r_jq" 10), cpu ${r_jq_c}x $(verdict "$r_jq_c" 10)"
echo "goal: (a) >= 3x faster than sqlite3  -> wall ${r_sq}x $(verdict "$r_sq" 3), cpu ${r_sq_c}x $(verdict "$r_sq_c" 3)"
echo "goal: scan >= 1 GB/s on one core     -> wall $gbps GB/s $(verdict "$gbps" 1), cpu $gbps_c GB/s $(verdict "$gbps_c" 1)"
echo "answers: jq vs query: $agree_b"
echo "answers: sqlite3 vs query: $agree_c"
[[ $status == 0 ]] || echo "run.sh: the answers differ; the files are kept in $WORK" >&2
[[ $status == 0 ]] || KEEP=1
exit $status
