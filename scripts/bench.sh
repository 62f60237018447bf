#!/usr/bin/env bash
# Time whole `pressfeed build` runs on the real archive and on synthetic
# corpora: (a) a full build into an empty output folder and (b) a rebuild with
# nothing changed into the same folder. Prints median wall time and peak RSS.
#
#   scripts/bench.sh            # real archive, synthetic 10k and 100k
#   scripts/bench.sh --large    # ... and synthetic 1M (or BENCH_LARGE=1)
#
# Uses hyperfine when installed (apt-get install hyperfine), else repeated
# runs of GNU time (apt-get install time); peak RSS always comes from one
# `/usr/bin/time -v` run per job. Missing corpora are made on first use:
# the real one is unpacked from ../shared/corpus/beehive-releases.tar.gz into
# target/corpus, synthetic ones are generated into target/synth-<size> by
# `cargo run --release -p synth` (deterministic, so every machine
# benchmarks the same bytes).
#
# Environment overrides (defaults in brackets):
#   BENCH_RUNS          timed runs per job [5]
#   BENCH_RUNS_LARGE    timed runs per job for corpora of 1M files or more [3]
#   BENCH_WARMUP        warmup runs before rebuild timings [1]
#   BENCH_LARGE         1 to include the 1M synthetic corpus [0]
#   BENCH_CORPORA       corpora to run, any of: real 10k 100k 1m <N>k <N>m <N>
#                       [real 10k 100k, plus 1m when large]
#   BENCH_TOOL          hyperfine | time | shell (bash clock, no RSS)
#                       [hyperfine if installed, else time if /usr/bin/time
#                       exists, else shell]
#   BENCH_OUT           scratch folder for build outputs [target/bench-out]
#   BENCH_NO_BUILD      1 to skip `cargo build --release` [0]
#   PRESSFEED           binary to time [target/release/pressfeed]
#   PRESSFEED_ARGS      extra arguments for `pressfeed build` [none]
#   BENCH_OK_STATUS     exit statuses counted as success [0]
#   REAL_TARBALL        [../shared/corpus/beehive-releases.tar.gz]
#   REAL_CORPUS_DIR     where the tarball is unpacked [target/corpus]
#   REAL_SEEDS          seeds folder of the real corpus
#                       [$REAL_CORPUS_DIR/beehive/releases]
#   SYNTH_PREFIX        synthetic corpora live in <prefix><size> [target/synth-]
#   SYNTH_SEED          seed for the generator [42]
set -euo pipefail

self=$(realpath -- "$0")
cd "$(dirname "$0")/.."
source scripts/common.sh

# Empties the way for a full build: the last output folder is moved aside
# (into .retired beside it, deleted once the job is done) and flushed.
# Deleting it here instead would time the file system rather than pressfeed:
# ext4 without a journal, as on the development machine, skips inodes freed
# in the last minutes when it allocates new ones, which made full builds
# 0.3-0.6 s slower. (hyperfine runs this as `bench.sh --retire OUT`.)
retire() {
    local out=$1 parent
    parent=$(dirname -- "$out")
    if [[ -e $out ]]; then
        mkdir -p "$parent/.retired"
        mv -- "$out" "$(mktemp -d "$parent/.retired/XXXXXX")/"
    fi
    sync
}
if [[ ${1:-} == --retire ]]; then
    retire "$2"
    exit 0
fi

large=${BENCH_LARGE:-0}
for arg in "$@"; do
    case $arg in
        --large) large=1 ;;
        -h | --help)
            sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
            exit 0
            ;;
        *)
            echo "bench: unknown argument $arg (try --help)" >&2
            exit 2
            ;;
    esac
done

runs=${BENCH_RUNS:-5}
runs_large=${BENCH_RUNS_LARGE:-3}
warmup=${BENCH_WARMUP:-1}
out_root=${BENCH_OUT:-target/bench-out}
pressfeed=${PRESSFEED:-target/release/pressfeed}
read -r -a extra_args <<<"${PRESSFEED_ARGS:-}"
ok_status=" ${BENCH_OK_STATUS:-0} "
real_tarball=${REAL_TARBALL:-../shared/corpus/beehive-releases.tar.gz}
real_dir=${REAL_CORPUS_DIR:-target/corpus}
real_seeds=${REAL_SEEDS:-$real_dir/beehive/releases}
synth_prefix=${SYNTH_PREFIX:-target/synth-}
synth_seed=${SYNTH_SEED:-42}
if [[ -n ${BENCH_CORPORA:-} ]]; then
    read -r -a corpora <<<"$BENCH_CORPORA"
elif [[ $large == 1 ]]; then
    corpora=(real 10k 100k 1m)
else
    corpora=(real 10k 100k)
fi

have_time=0
[[ -x /usr/bin/time ]] && /usr/bin/time -v true >/dev/null 2>&1 && have_time=1
if [[ -n ${BENCH_TOOL:-} ]]; then
    tool=$BENCH_TOOL
elif command -v hyperfine >/dev/null 2>&1; then
    tool=hyperfine
elif [[ $have_time == 1 ]]; then
    tool="time"
else
    tool=shell
fi
if [[ $tool == shell ]]; then
    have_time=0
fi
if [[ -z ${BENCH_TOOL:-} && $tool != hyperfine ]]; then
    echo "bench: hyperfine not found; timing with $tool (apt-get install hyperfine time)" >&2
fi
if [[ $have_time == 0 ]]; then
    echo "bench: GNU time not found, peak RSS unavailable (apt-get install time)" >&2
fi

log() { printf 'bench: %s\n' "$*" >&2; }

# "10k" -> 10000, "1m" -> 1000000, "2500" -> 2500.
size_count() {
    case $1 in
        *[kK]) echo $((${1%[kK]} * 1000)) ;;
        *[mM]) echo $((${1%[mM]} * 1000000)) ;;
        *) echo "$1" ;;
    esac
}


# Parse `/usr/bin/time -v` output: prints "<wall seconds> <max RSS KB>".
parse_time_v() {
    awk -F': ' '
        /Elapsed \(wall clock\)/ {
            n = split($NF, p, ":"); s = 0
            for (i = 1; i <= n; i++) s = s * 60 + p[i]
            wall = s
        }
        /Maximum resident set size/ { rss = $NF }
        END { print wall, rss }' "$1"
}

if [[ ${BENCH_NO_BUILD:-0} != 1 ]]; then
    log "cargo build --release"
    cargo build --release
fi
[[ -x $pressfeed ]] || { log "$pressfeed not found or not executable"; exit 1; }

# ---- corpora ---------------------------------------------------------------

# Prints the seeds folder of a corpus, making the corpus if needed.
prepare_corpus() {
    local name=$1
    if [[ $name == real ]]; then
        if [[ ! -d $real_seeds ]]; then
            [[ -f $real_tarball ]] || { log "no $real_seeds and no $real_tarball"; return 1; }
            log "unpacking $real_tarball into $real_dir"
            mkdir -p "$real_dir"
            tar -xzf "$real_tarball" -C "$real_dir"
        fi
        echo "$real_seeds"
        return
    fi
    local count dir marker
    count=$(size_count "$name")
    [[ $count =~ ^[0-9]+$ && $count -gt 0 ]] || { log "bad corpus size $name"; return 1; }
    dir=$synth_prefix$name
    marker="synth count=$count seed=$synth_seed "
    # Regenerate when unfinished, made with other arguments, or older than
    # the generator's source.
    if ! grep -qs "^$marker" "$dir/.synth-done" || [[ synth/src/main.rs -nt $dir/.synth-done ]]; then
        if [[ -e $dir ]]; then
            log "$dir is incomplete, stale or made with other arguments; regenerating"
            rm -rf -- "$dir"
        fi
        log "generating $count synthetic releases into $dir"
        cargo build --release -p synth >&2
        target/release/synth --count "$count" --out "$dir" --seed "$synth_seed"
    fi
    echo "$dir/releases"
}

# ---- timing ----------------------------------------------------------------

results=()
failed=0

# One /usr/bin/time -v run (or a plain one): checks the exit status and
# prints "<wall seconds> <max RSS KB or n/a>".
measured_run() {
    local out=$1 seeds=$2 tmp status wall rss
    tmp=$(mktemp)
    if [[ $have_time == 1 ]]; then
        set +e
        /usr/bin/time -v -o "$tmp" "$pressfeed" build --seeds "$seeds" --out "$out" --quiet \
            "${extra_args[@]}" >/dev/null
        status=$?
        set -e
        read -r wall rss < <(parse_time_v "$tmp")
    else
        local t0 t1
        t0=$(date +%s.%N)
        set +e
        "$pressfeed" build --seeds "$seeds" --out "$out" --quiet "${extra_args[@]}" >/dev/null
        status=$?
        set -e
        t1=$(date +%s.%N)
        wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
        rss=n/a
    fi
    rm -f "$tmp"
    if [[ $ok_status != *" $status "* ]]; then
        log "pressfeed exited with status $status (BENCH_OK_STATUS=\"${ok_status// /}\")"
        return "$status"
    fi
    echo "$wall $rss"
}

# time_job <job name> <full|rebuild> <seeds> <out> <runs> <files>
time_job() {
    local job=$1 kind=$2 seeds=$3 out=$4 n=$5 files=$6
    local walls=() peak=0 line wall rss median_s cmd json

    log "$job: memory run"
    [[ $kind == full ]] && retire "$out"
    if ! line=$(measured_run "$out" "$seeds"); then
        results+=("$job|$files|FAILED|-")
        failed=1
        return
    fi
    read -r wall rss <<<"$line"
    peak=$rss

    log "$job: $n timed runs ($tool)"
    case $tool in
        hyperfine)
            printf -v cmd '%q ' "$pressfeed" build --seeds "$seeds" --out "$out" --quiet \
                "${extra_args[@]}"
            json=$(mktemp)
            if [[ $kind == full ]]; then
                hyperfine --style basic --ignore-failure --runs "$n" \
                    --prepare "$(printf '%q' "$self") --retire $(printf '%q' "$out")" \
                    --export-json "$json" "$cmd" >&2
            else
                hyperfine --style basic --ignore-failure --runs "$n" --warmup "$warmup" \
                    --export-json "$json" "$cmd" >&2
            fi
            median_s=$(grep -o '"median": *[0-9.eE+-]*' "$json" | head -n 1 | sed 's/.*: *//')
            rm -f "$json"
            ;;
        time | shell)
            if [[ $kind == rebuild ]]; then
                for ((i = 0; i < warmup; i++)); do measured_run "$out" "$seeds" >/dev/null; done
            fi
            for ((i = 0; i < n; i++)); do
                [[ $kind == full ]] && retire "$out"
                line=$(measured_run "$out" "$seeds") || { failed=1; break; }
                read -r wall rss <<<"$line"
                walls+=("$wall")
                if [[ $rss != n/a && $peak != n/a && $rss -gt $peak ]]; then peak=$rss; fi
            done
            median_s=$(printf '%s\n' "${walls[@]}" | median)
            ;;
        *)
            log "unknown BENCH_TOOL=$tool"
            exit 2
            ;;
    esac
    local rss_mb=n/a
    [[ $peak != n/a ]] && rss_mb=$(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }')
    results+=("$job|$files|$(awk -v s="$median_s" 'BEGIN { printf "%.3f", s }')|$rss_mb")
    rm -rf -- "$(dirname -- "$out")/.retired"
}

for corpus in "${corpora[@]}"; do
    if ! seeds=$(prepare_corpus "$corpus"); then
        results+=("$corpus|-|SKIPPED|-")
        failed=1
        continue
    fi
    files=$(find "$seeds" -type f -name '*.md' | wc -l | tr -d ' ')
    n=$runs
    ((files >= 1000000)) && n=$runs_large
    name=$corpus
    [[ $corpus != real ]] && name=synth-$corpus
    out=$out_root/$name
    mkdir -p "$out_root"
    time_job "$name/full" full "$seeds" "$out" "$n" "$files"
    time_job "$name/rebuild" rebuild "$seeds" "$out" "$n" "$files"
done

# ---- report ----------------------------------------------------------------

# A fixed amount of single-threaded CPU work, so figures from different runs
# (or machines) can be compared: a virtual machine's speed can change by half
# from one hour to the next.
reference=$( { /usr/bin/env time -f %e sh -c 'head -c 300000000 /dev/zero | sha256sum >/dev/null'; } 2>&1 | tail -n 1) || reference=n/a

echo
echo "pressfeed $("$pressfeed" --version 2>/dev/null | awk '{ print $NF }') on $(nproc) CPUs," \
    "$tool, $runs runs ($runs_large for 1M+ files);" \
    "reference work (sha256 of 300 MB): $reference s"
printf '%-24s %9s %14s %13s\n' job files "median wall s" "peak RSS MB"
for r in "${results[@]}"; do
    IFS='|' read -r job files med rss <<<"$r"
    printf '%-24s %9s %14s %13s\n' "$job" "$files" "$med" "$rss"
done
exit "$failed"
