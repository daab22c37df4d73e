#!/usr/bin/env bash
# Installs what kame6's build, demo and tests need on a fresh Debian machine.
# Safe to run again. Needs root for apt-get.
#
# Peer daemons from Debian (WIDE, ISC, Kea) must never start as services on
# this machine's real interfaces: policy-rc.d forbids every service start
# before anything is installed, and the tests run peers only inside the
# network namespaces they create.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" -ne 0 ]; then
    echo "tools/setup.sh: run as root (apt-get and network namespaces need it)" >&2
    exit 1
fi

printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d

# Debian packages the tests use.
apt_packages=(iproute2 procps python3)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# scapy is the independent decoder our golden vectors are checked against.
PY=${KAME6_PYTHON:-python3}
if ! "$PY" -c 'import scapy' >/dev/null 2>&1; then
    "$PY" -m pip install --quiet 'scapy==2.8.0'
fi

# A Rust toolchain with rustfmt and clippy.
if ! command -v cargo >/dev/null 2>&1; then
    echo "tools/setup.sh: cargo not found; install a Rust toolchain (rustup) first" >&2
    exit 1
fi
