#!/usr/bin/env bash
# Binary size ("bloat") and compile time per tier alias: the "compiles out" claim, measured.
#
# For each variant a minimal product program is compiled at -O2 and linked; the table gives the
# executable's text/data/bss (`size`, Berkeley format) and the wall time of the compile step.
# Every variant makes the SAME calls (state, notify, count, gauge, observe, record); a tier that
# does not record a kind compiles that call out, so the differences are what each tier costs.
# Baselines: `none` (no introspect at all) and `null` (tiny with sink::null: records nothing);
# `null` and `off` must equal `none` (tests/zero_cost checks it in ctest).
# An alias that does not compile yet (e.g. a tier whose engine has not landed) is skipped with
# its first error, so the script covers it automatically once it compiles.
#
# Usage: benchmarks/bloat/bloat.sh [--cxx g++] [--repeat N] [--keep DIR] [VARIANT...]
#   VARIANT: none null off tiny small medium large uber (default: all)
#   (off: tiny with cadence::off and kinds<>, which records nothing either)
# Environment: CXXFLAGS (extra flags, default none), LDLIBS (default: -lfmt -pthread).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
cxx=${CXX:-c++}
repeat=1
keep=""
variants=()
while (($#)); do
  case $1 in
    --cxx) cxx=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --keep) keep=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    -*) echo "bloat.sh: unknown option $1" >&2; exit 2 ;;
    *) variants+=("$1"); shift ;;
  esac
done
((${#variants[@]})) || variants=(none null off tiny small medium large uber)
for tool in "$cxx" size; do
  command -v "$tool" >/dev/null || { echo "bloat.sh: $tool not found" >&2; exit 2; }
done

work=${keep:-$(mktemp -d)}
mkdir -p "$work"
[[ -n $keep ]] || trap 'rm -rf "$work"' EXIT

# The type each variant records through.
type_of() {
  case $1 in
    null) echo "ix::introspection<ix::tier::tiny, ix::sink::null>" ;;
    off) echo "ix::introspection<ix::tier::tiny, ix::cadence::off, ix::kinds<>>" ;;
    tiny|small|medium|large|uber) echo "ix::${1}_introspection" ;;
    *) return 1 ;;
  esac
}

write_program() {  # $1 variant, $2 file
  if [[ $1 == none ]]; then
    cat >"$2" <<'CPP'
// Baseline: the same program shape without introspect.
int main(int argc, char**) { return argc > 100; }
CPP
    return
  fi
  local type
  type=$(type_of "$1") || { echo "bloat.sh: unknown variant $1" >&2; exit 2; }
  cat >"$2" <<CPP
// A minimal product: every recording call once, through the variant's type.
#include <boost/hana/define_struct.hpp>
#include <introspect/introspect.hpp>
$( [[ $1 == uber ]] && echo '#include <introspect/engine/jetstream.hpp>  // the uber default: tee<stream_store, jetstream>' )
namespace ix = introspect;
struct disk_health {
  BOOST_HANA_DEFINE_STRUCT(disk_health, (const char*, disk), (int, health));
};
using product_introspection = $type;
int main(int argc, char** argv) {
  product_introspection::configure({.store = argc > 1 ? argv[1] : "bloat-store", .instance = "bloat"});
  auto& ins = product_introspection::instance();
  ins.state("controller", "RUNNING");
  ins.notify(ix::severity::warning, "disk nearly full", {{"disk", "sdb"}});
  ins.count("controller.requests");
  ins.gauge("segmentstore.cache.bytes", argc);
  ins.observe("bookkeeper.write.latency_us", argc * 3);
  ins.record(disk_health{"sdb", argc});
  return 0;
}
CPP
}

flags=(-std=c++20 -O2 -DNDEBUG -I"$root/include" ${CXXFLAGS:-})
read -r -a ldlibs <<<"${LDLIBS:--lfmt -pthread}"

echo "| variant | type | text | data | bss | compile (s) |"
echo "|---|---|---:|---:|---:|---:|"
for v in "${variants[@]}"; do
  src="$work/$v.cpp" obj="$work/$v.o" exe="$work/$v"
  write_program "$v" "$src"
  best=""
  for ((i = 0; i < repeat; i++)); do
    start=$(date +%s.%N)
    cflags=()
    [[ $v == uber ]] && read -r -a cflags <<<"$(pkg-config --cflags libnats 2>/dev/null)"
    if ! "$cxx" "${flags[@]}" "${cflags[@]}" -c "$src" -o "$obj" 2>"$work/$v.err"; then
      why=$(grep -m1 -E 'error|static assertion' "$work/$v.err" | sed -E 's/^[^ ]+ error: //' | cut -c1-140)
      echo "| $v | \`$(type_of "$v")\` | — | — | — | skipped: does not compile yet ($why) |"
      continue 2
    fi
    end=$(date +%s.%N)
    best=$(awk -v s="$start" -v e="$end" -v b="$best" 'BEGIN { t = e - s; print (b == "" || t < b) ? t : b }')
  done
  extra=()
  # uber's JetStream forwarder links libnats; no other tier does.
  [[ $v == uber ]] && read -r -a extra <<<"$(pkg-config --libs libnats 2>/dev/null)"
  "$cxx" "$obj" -o "$exe" "${ldlibs[@]}" "${extra[@]}"
  read -r text data bss _ < <(size "$exe" | tail -1)
  label=$([[ $v == none ]] && echo "(no introspect)" || echo "\`$(type_of "$v")\`")
  printf '| %s | %s | %s | %s | %s | %.2f |\n' "$v" "$label" "$text" "$data" "$bss" "$best"
done
echo
echo "compiler: $("$cxx" --version | head -1); flags: ${flags[*]//$root/<repo>}; $(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
