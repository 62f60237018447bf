#!/usr/bin/env bash
# Times the runs a cron job makes, for two (or more) pressfeed binaries run
# alternately (see scripts/compare.sh for why): on a copy of SEEDS (hard
# links, so the archive is not copied), each binary with its own output
# folder and cache,
#
#   new      one new release added since the last build
#   edit     one old release edited (a correction) since the last build
#   none     nothing changed
#
# After each timed run the change is undone and the binary builds again
# (untimed), so every round starts from an up-to-date output folder. Prints
# the median, min and max wall time and the median peak RSS of each job and
# binary, then the size of each binary's build state.
#
#   scripts/incremental-bench.sh OLD_BINARY NEW_BINARY [MORE...]
#
# Environment (defaults in brackets):
#   BENCH_RUNS    rounds [7]
#   BENCH_SEEDS   seeds folder [target/corpus/beehive/releases]
#   BENCH_OUT     scratch folder, emptied at the end [target/incremental-bench]
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/common.sh

if [[ $# -lt 1 || $1 == -h || $1 == --help ]]; then
    sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
    exit 2
fi
[[ -x /usr/bin/time ]] || { echo "incremental-bench: needs GNU time" >&2; exit 1; }

runs=${BENCH_RUNS:-7}
seeds=${BENCH_SEEDS:-target/corpus/beehive/releases}
scratch=${BENCH_OUT:-target/incremental-bench}
[[ -d $seeds ]] || { echo "incremental-bench: no seeds folder $seeds" >&2; exit 1; }

rm -rf -- "$scratch"
mkdir -p "$scratch"
scratch=$(cd "$scratch" && pwd)
copy=$scratch/seeds
cp -al "$seeds" "$copy"
# The release to edit: an old one, far from the newest.
old=$(find "$copy" -name '*.md' | sort | sed -n '1000p')
cp "$old" "$scratch/old.md"
new=$copy/zz-bench-new-release.md

# Writes a file as an editor does (a new file renamed over the old), so the
# hard-linked original is never changed.
put() { cp "$2" "$1.tmp" && mv "$1.tmp" "$1"; }
new_release() {
    printf -- '---\ntitle: "A new release for the benchmark"\ndate: 2026-12-01\nurl: https://www.beehive.govt.nz/release/bench-new\nministers:\n  - Hon Nicola Willis\nportfolios:\n  - Finance\n---\n\nThe text of a new release.\n' > "$new"
}
edited() { sed 's/ the / the very /' "$scratch/old.md" > "$scratch/edited.md"; put "$old" "$scratch/edited.md"; }

run() { # binary index, job name; appends "wall rss" to the job's file
    local n=$1 job=$2 bin=${bins[$1]}
    XDG_CACHE_HOME=$scratch/cache-$n /usr/bin/time -f '%e %M' -o "$scratch/t" \
        "$bin" build --seeds "$copy" --out "$scratch/out-$n" --no-ping --quiet 2>/dev/null || true
    cat "$scratch/t" >> "$scratch/$job-$n"
}
quiet() { XDG_CACHE_HOME=$scratch/cache-$1 "${bins[$1]}" build --seeds "$copy" --out "$scratch/out-$1" --no-ping --quiet 2>/dev/null || true; }

bins=("$@")
for n in "${!bins[@]}"; do quiet "$n"; quiet "$n"; done
for ((round = 1; round <= runs; round++)); do
    for n in "${!bins[@]}"; do
        sleep 0.2
        new_release; sleep 0.2; run "$n" new
        rm -f "$new"; quiet "$n"
        edited; sleep 0.2; run "$n" edit
        put "$old" "$scratch/old.md"; quiet "$n"
        sleep 0.2; run "$n" none
    done
done

for n in "${!bins[@]}"; do
    echo "${bins[$n]}"
    for job in new edit none; do
        f=$scratch/$job-$n
        printf '  %-5s wall median %s s (min %s, max %s), peak RSS median %s MB\n' "$job" \
            "$(cut -d' ' -f1 "$f" | median)" "$(cut -d' ' -f1 "$f" | sort -g | head -1)" \
            "$(cut -d' ' -f1 "$f" | sort -g | tail -1)" \
            "$(cut -d' ' -f2 "$f" | median | awk '{ printf "%.0f", $1 / 1024 }')"
    done
    state=$(find "$scratch/cache-$n" -name '*.state' -type d | head -1)
    [[ -n $state ]] && echo "  build state: $(du -sb "$state" | cut -f1) bytes in $(ls "$state" | wc -l) files"
done
rm -rf -- "$scratch"
