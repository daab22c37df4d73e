#!/usr/bin/env bash
# Builds kame6's Debian packages (debian/, doc/packaging.md) into OUTDIR:
#   bash tools/debian-build.sh OUTDIR [--lint]
# The checkout's files (committed or not, as git lists them; build
# output excluded) are copied to target/debian/src and built there with
# dpkg-buildpackage, so the checkout gets no debian/tmp or debian/files.
# Cargo's output goes to target/debian too (KAME6_DEB_TARGET overrides
# it): kept between builds, apart from the target/debug that `cargo test`
# uses. --lint also runs lintian on the packages; it fails on any error
# or warning that debian/*.lintian-overrides does not explain.
# Needs dpkg-dev and debhelper (tools/setup.sh), lintian for --lint, and
# a Rust toolchain on PATH.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
    echo "usage: $0 OUTDIR [--lint]" >&2
    exit 2
fi
out=$1
lint=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$out"
out=$(cd "$out" && pwd)

export CARGO_TARGET_DIR=${KAME6_DEB_TARGET:-$root/target/debian}
# The copy is made at the same place every time, with the files' times:
# cargo then finds its earlier build of it up to date.
work=$CARGO_TARGET_DIR/src
rm -rf "$work"
mkdir -p "$work/kame6"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - -cf -) | tar -xf - -C "$work/kame6"
else
    tar -C "$root" --exclude=./target --exclude=./fuzz/target -cf - . |
        tar -xf - -C "$work/kame6"
fi

(cd "$work/kame6" && dpkg-buildpackage -b -us -uc)

# dpkg-buildpackage leaves the packages beside the source directory.
shopt -s nullglob
made=("$work"/*.deb)
if [ "${#made[@]}" -eq 0 ]; then
    echo "$0: dpkg-buildpackage made no package" >&2
    exit 1
fi
mv "${made[@]}" "$work"/*.changes "$work"/*.buildinfo "$out"/
if [ "$lint" = --lint ]; then
    lintian --fail-on error,warning --info "$out"/*.changes
fi
ls -l "$out"
