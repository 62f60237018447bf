#!/usr/bin/env bash
# Compare whole builds of two (or more) pressfeed binaries, run alternately
# so that each sees the same machine: a virtual machine's speed can change by
# half within the hour, which makes figures taken minutes apart useless for a
# before/after comparison.
#
#   scripts/compare.sh OLD_BINARY NEW_BINARY [MORE...]
#
# Each round runs every binary once, a full build of SEEDS into a folder of
# its own that has never existed (nothing is deleted until the end: deleting
# output just before a build slows the build's file creation on ext4 without
# a journal), with the cache folder kept apart from the user's. Prints the
# median, min and max wall time, median user and system time and median peak
# RSS of each binary.
#
# Environment (defaults in brackets):
#   COMPARE_RUNS   rounds [9]
#   COMPARE_SEEDS  seeds folder [target/corpus/beehive/releases]
#   COMPARE_OUT    scratch folder, emptied at the end [target/compare-out]
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/common.sh

if [[ $# -lt 2 || $1 == -h || $1 == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
[[ -x /usr/bin/time ]] || { echo "compare: needs GNU time (apt-get install time)" >&2; exit 1; }

runs=${COMPARE_RUNS:-9}
seeds=${COMPARE_SEEDS:-target/corpus/beehive/releases}
scratch=${COMPARE_OUT:-target/compare-out}
[[ -d $seeds ]] || { echo "compare: no seeds folder $seeds (scripts/bench.sh unpacks the archive)" >&2; exit 1; }

rm -rf -- "$scratch"
mkdir -p "$scratch/cache"
export XDG_CACHE_HOME=$scratch/cache

for ((round = 1; round <= runs; round++)); do
    for i in $(seq 1 $#); do
        bin=${!i}
        sync
        /usr/bin/time -f "%e %U %S %M" -a -o "$scratch/times-$i" \
            "$bin" build --seeds "$seeds" --out "$scratch/out-$i-$round" --quiet >/dev/null
    done
done

column() { awk -v k="$2" '{ print $k }' "$1"; }

printf '%-40s %8s %8s %8s %8s %8s %9s\n' binary median min max user sys "RSS MB"
for i in $(seq 1 $#); do
    t=$scratch/times-$i
    printf '%-40s %8.3f %8.3f %8.3f %8.3f %8.3f %9.0f\n' "${!i}" \
        "$(column "$t" 1 | median)" "$(column "$t" 1 | sort -g | head -n 1)" \
        "$(column "$t" 1 | sort -g | tail -n 1)" "$(column "$t" 2 | median)" \
        "$(column "$t" 3 | median)" "$(column "$t" 4 | median | awk '{ print $1 / 1024 }')"
done
rm -rf -- "$scratch"
