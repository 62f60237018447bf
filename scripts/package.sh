#!/usr/bin/env bash
# Builds the Debian package into target/debian/pressfeed_<version>_<arch>.deb:
# the release binary, then the man pages and shell completions it generates
# from its own command-line definition (`pressfeed generate`, hidden from
# --help), then `cargo deb --no-build`, which packages them with the files
# under pkg/ as Cargo.toml's [package.metadata.deb] lists. Needs cargo-deb
# (`cargo install cargo-deb --locked`).
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}

cargo build --release --locked
generated="$target/release/pkg"
rm -rf "$generated"
"$target/release/pressfeed" generate man "$generated/man"
"$target/release/pressfeed" generate completions "$generated/completions"
# cargo deb leaves files under target/release as they are: compress the man
# pages as Debian's policy asks (-n: no name or time inside, so the same
# pages give the same bytes).
gzip -9n "$generated"/man/*.1
cargo deb --no-build --locked --strip "$@"
