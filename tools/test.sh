#!/usr/bin/env bash
# Runs every test of the suite: unit tests, golden vectors and the scapy
# cross-check, CLI tests, and the network-namespace tests (which need root).
# Nothing depends on what an earlier run or a parallel test left: every test
# works in namespaces and scratch directories of its own, and WIDE's daemons
# get a private /var/lib/dhcpv6 holding a DUID the test wrote
# (tests/common/peers.rs), so a first run on a fresh machine passes.
set -euo pipefail
cd "$(dirname "$0")/.."
# --all-features: the PostgreSQL lease store (cargo feature postgresql,
# off in default builds) and its tests are part of the suite.
cargo test --workspace --all-features "$@"
