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

# Debian packages the tests use: iproute2 for the namespaces, and the real
# peers our daemons are tested against (WIDE-DHCPv6, ISC DHCP, Kea); kea-admin
# brings perfdhcp for bench/; systemd brings systemd-analyze, which checks
# conf/systemd (it need not be running); mandoc lints the manual pages;
# openssl makes the control key the FreeBSD rc.d script test creates;
# dpkg-dev, debhelper and lintian build and check the Debian packages
# (tools/debian-build.sh), debootstrap makes the Debian root
# tests/debian_packages.rs installs them into.
apt_packages=(iproute2 procps python3 dpkg-dev debhelper lintian debootstrap
    wide-dhcpv6-server wide-dhcpv6-client wide-dhcpv6-relay
    isc-dhcp-client isc-dhcp-relay isc-dhcp-server
    kea-dhcp4-server kea-dhcp6-server kea-admin tcpdump mandoc systemd openssl)
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
    # A pip-managed Python takes it from PyPI; Debian's own python3 refuses
    # pip (externally managed), so there Debian's package is the fallback.
    "$PY" -m pip install --quiet 'scapy==2.8.0' \
        || { apt-get update -q && apt-get install -y -q --no-install-recommends python3-scapy; }
    "$PY" -c 'import scapy' || { echo "tools/setup.sh: scapy is not importable by $PY" >&2; exit 1; }
fi

# The packages above must not leave daemons running on this machine's
# interfaces (policy-rc.d stops service starts; this catches anything else).
for d in dhcp6s dhcp6c dhcp6relay dhcpd dhcrelay dhclient kea-dhcp6 kea-dhcp4 tcpdump; do
    pkill -x "$d" 2>/dev/null || true
done

# A Rust toolchain with rustfmt and clippy.
if ! command -v cargo >/dev/null 2>&1; then
    echo "tools/setup.sh: cargo not found; install a Rust toolchain (rustup) first" >&2
    exit 1
fi
