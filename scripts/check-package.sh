#!/usr/bin/env bash
# Checks the Debian package scripts/package.sh built (run that first):
#   - lintian reports no error and no warning (lintian-overrides explains the
#     one tag overridden);
#   - it holds the binary, man pages, completions, units and the sample
#     configuration (a conffile);
#   - the packaged binary, unpacked with dpkg -x, runs: --version, and a
#     build of seeds/ with the packaged configuration, metrics included;
#   - with --install (CI, as root): installed with apt, the pressfeed user and
#     /var/lib/pressfeed exist, the timer is not enabled, the units pass
#     `systemd-analyze verify`, the service's own command runs as that user,
#     and the package purges cleanly, leaving the seeds and feeds.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
install=""
[ "${1:-}" = "--install" ] && install=1

version=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
deb="$target/debian/pressfeed_${version}_$(dpkg --print-architecture).deb"
[ -f "$deb" ] || { echo "check-package: $deb is missing; run scripts/package.sh first" >&2; exit 1; }
fail() { echo "check-package: $*" >&2; exit 1; }

# --allow-root: CI runs as root; lintian only reads the file.
lintian --allow-root --fail-on error,warning "$deb"

contents=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
for path in ./usr/bin/pressfeed ./usr/share/man/man1/pressfeed.1.gz \
    ./usr/share/man/man1/pressfeed-build.1.gz ./usr/share/man/man1/pressfeed-check.1.gz \
    ./usr/share/bash-completion/completions/pressfeed ./usr/share/zsh/vendor-completions/_pressfeed \
    ./usr/share/fish/vendor_completions.d/pressfeed.fish \
    ./usr/lib/systemd/system/pressfeed.service ./usr/lib/systemd/system/pressfeed.timer \
    ./usr/lib/systemd/system/pressfeed-alert.service ./etc/pressfeed/pressfeed.toml \
    ./usr/share/doc/pressfeed/examples/pressfeed.rules.yml; do
    grep -qxF "$path" <<<"$contents" || fail "the package has no $path"
done
dpkg-deb -f "$deb" Depends | grep -q adduser || fail "the package does not depend on adduser"
control=$(mktemp -d)
trap 'rm -rf "$control"' EXIT
dpkg-deb -e "$deb" "$control/DEBIAN"
grep -qxF /etc/pressfeed/pressfeed.toml "$control/DEBIAN/conffiles" || fail "/etc/pressfeed/pressfeed.toml is not a conffile"

# The packaged binary runs, on the repository's seeds with the sample
# configuration, and writes metrics promtool (where installed) accepts.
root="$control/root"
dpkg-deb -x "$deb" "$root"
"$root/usr/bin/pressfeed" --version
"$root/usr/bin/pressfeed" build --quiet --seeds seeds --config "$root/etc/pressfeed/pressfeed.toml" \
    --out "$control/feeds" --metrics "$control/pressfeed.prom" --no-ping
[ -s "$control/feeds/atom.xml" ] || fail "the packaged binary wrote no atom.xml"
grep -q '^pressfeed_last_run_exit_status 0$' "$control/pressfeed.prom" || fail "metrics say the build failed"
if command -v promtool >/dev/null; then
    promtool check metrics <"$control/pressfeed.prom"
    promtool check rules "$root/usr/share/doc/pressfeed/examples/pressfeed.rules.yml"
fi
man -l "$root/usr/share/man/man1/pressfeed-build.1.gz" 2>/dev/null | grep -q -- '--metrics' \
    || ! command -v man >/dev/null || fail "pressfeed-build(1) does not list --metrics"

[ -n "$install" ] || { echo "check-package: $deb is good (not installed: pass --install to try that, as root)"; exit 0; }

# Installed as an operator would install it.
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$(realpath "$deb")" >/dev/null
getent passwd pressfeed >/dev/null || fail "no pressfeed user after install"
for dir in /var/lib/pressfeed /var/lib/pressfeed/seeds /var/lib/pressfeed/feeds /var/lib/pressfeed/cache /var/lib/pressfeed/metrics; do
    [ "$(stat -c %U "$dir")" = pressfeed ] || fail "$dir is not owned by pressfeed"
done
[ ! -e /etc/systemd/system/timers.target.wants/pressfeed.timer ] || fail "the timer was enabled on install"
units=(/usr/lib/systemd/system/pressfeed.service /usr/lib/systemd/system/pressfeed.timer /usr/lib/systemd/system/pressfeed-alert.service)
# verify exits 0 on what it only warns about (an unknown key, a key in the
# wrong section): any output is a failure here.
verify=$(systemd-analyze verify --man=no "${units[@]}" 2>&1) || fail "systemd-analyze verify: $verify"
[ -z "$verify" ] || fail "systemd-analyze verify: $verify"
# The service's command, as its user, from its folder, with no --config.
cp seeds/* /var/lib/pressfeed/seeds/
chown -R pressfeed:pressfeed /var/lib/pressfeed/seeds
command=$(sed -n 's/^ExecStart=//p' /usr/lib/systemd/system/pressfeed.service)
(cd /var/lib/pressfeed && XDG_CACHE_HOME=/var/lib/pressfeed/cache runuser -u pressfeed -- $command --no-ping) \
    || fail "the service's command failed"
[ -s /var/lib/pressfeed/feeds/atom.xml ] || fail "the service's command wrote no feeds"
grep -q '^pressfeed_last_run_exit_status 0$' /var/lib/pressfeed/metrics/pressfeed.prom || fail "no metrics"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq pressfeed >/dev/null
[ ! -e /var/lib/pressfeed/cache ] || fail "purge left the cache"
[ -s /var/lib/pressfeed/feeds/atom.xml ] || fail "purge removed the published feeds"
rm -rf /var/lib/pressfeed
echo "check-package: $deb is good, and installs, runs and purges"
