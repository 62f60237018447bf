#!/usr/bin/env bash
# Deploy benchmark: the real archive into a local S3-protocol server (moto's,
# `pip install 'moto[server]'`), as a team would run it: a first deploy of
# the whole output folder, then a deploy after one new release, then one
# with no change; wall time of each and the requests the server logged. The
# same with `aws s3 sync` (PyPI `awscli`) into another prefix of the same
# bucket, when it is installed. RUNS rounds, each into fresh prefixes;
# medians printed at the end.
#
#   scripts/deploy-bench.sh            # RUNS=3 BIN=target/release/pressfeed
#
# Writes only under a temporary folder (the output folder twice: about
# 1 GB with the server's copy), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/common.sh

bin=${BIN:-target/release/pressfeed}
runs=${RUNS:-3}
tarball=${REAL_TARBALL:-../shared/corpus/beehive-releases.tar.gz}
corpus=${REAL_CORPUS_DIR:-target/corpus}
[ -x "$bin" ] || { echo "build $bin first (cargo build --release)"; exit 1; }
command -v moto_server >/dev/null || { echo "moto_server is not installed (pip install 'moto[server]')"; exit 1; }
if [ ! -d "$corpus/beehive/releases" ]; then
    mkdir -p "$corpus" && tar -xzf "$tarball" -C "$corpus"
fi

work=$(mktemp -d)
moto=""
cleanup() { [ -z "$moto" ] || kill "$moto" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PYTHONUNBUFFERED=1 moto_server -H 127.0.0.1 -p "$port" 2>"$work/moto.log" >/dev/null &
moto=$!
until curl -s -o /dev/null "http://127.0.0.1:$port/"; do sleep 0.2; done
endpoint="http://127.0.0.1:$port"
curl -s -X PUT "$endpoint/bench" >/dev/null
curl -s -X PUT "$endpoint/bench?policy" -H 'Content-Type: application/json' --data-binary \
    '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bench/*"}]}' >/dev/null
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench-secret AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export XDG_CACHE_HOME="$work/cache"

cp -al "$corpus/beehive/releases" "$work/seeds" 2>/dev/null || cp -a "$corpus/beehive/releases" "$work/seeds"
new_release() {
    printf -- '---\ntitle: "Benchmark release %s"\ndate: 2026-03-01\nurl: https://www.beehive.govt.nz/release/bench-%s\nministers:\n  - Nicola Willis\nportfolios:\n  - Finance\n---\n\nOne new release.\n' "$1" "$1" \
        > "$work/seeds/bench-new.md"
}
build() { "$bin" build --seeds "$work/seeds" --out "$work/out" --config pressfeed.toml -q || [ $? -eq 5 ]; }

# Requests the server logged since line $1, by method: "GET 3 PUT 10 ...".
requests() {
    sleep 1
    tail -n +"$(($1 + 1))" "$work/moto.log" | awk -F'"' '/HTTP\/1.1"/ { split($2, r, " "); n[r[1]]++ }
        END { for (m in n) printf "%s %d ", m, n[m] }'
}
lines() { wc -l < "$work/moto.log"; }
# Runs "$@", prints its wall seconds.
timed() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); awk -v s="$s" -v e="$e" 'BEGIN { printf "%.2f", e - s }'; }

have_aws=""
command -v aws >/dev/null && have_aws=1
for run in $(seq "$runs"); do
    rm -f "$work/seeds/bench-new.md"
    build
    { cat pressfeed.toml; printf '\n[deploy]\ntarget = "s3://bench/run%s/"\nendpoint = "%s"\n' "$run" "$endpoint"; } > "$work/deploy.toml"
    deploy() { "$bin" deploy --out "$work/out" --config "$work/deploy.toml" -q; }
    awsync() { aws --endpoint-url "$endpoint" s3 sync "$work/out/" "s3://bench/aws$run/" --delete --exclude '.*' --exclude '*/.*' --only-show-errors; }

    mark=$(lines); t=$(timed deploy); echo "pressfeed first     $t s  $(requests "$mark")" | tee -a "$work/first"
    if [ -n "$have_aws" ]; then mark=$(lines); t=$(timed awsync); echo "aws sync first      $t s  $(requests "$mark")" | tee -a "$work/aws-first"; fi
    new_release "$run"
    build
    mark=$(lines); t=$(timed deploy); echo "pressfeed one new   $t s  $(requests "$mark")" | tee -a "$work/one"
    if [ -n "$have_aws" ]; then mark=$(lines); t=$(timed awsync); echo "aws sync one new    $t s  $(requests "$mark")" | tee -a "$work/aws-one"; fi
    mark=$(lines); t=$(timed deploy); echo "pressfeed no change $t s  $(requests "$mark")" | tee -a "$work/none"
    if [ -n "$have_aws" ]; then mark=$(lines); t=$(timed awsync); echo "aws sync no change  $t s  $(requests "$mark")" | tee -a "$work/aws-none"; fi
done
echo "medians (s):"
for f in first one none aws-first aws-one aws-none; do
    [ -f "$work/$f" ] || continue
    printf '  %-10s %s\n' "$f" "$(awk '{ for (i = 1; i < NF; i++) if ($(i + 1) == "s") { print $i; break } }' "$work/$f" | median)"
done
echo "files: $(find "$work/out" -type f -not -name '.*' | wc -l), $(du -sb --exclude='.*' "$work/out" | cut -f1) bytes"
