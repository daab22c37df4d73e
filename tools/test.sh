#!/usr/bin/env bash
# Runs every test of the suite: unit tests, golden vectors and the scapy
# cross-check, CLI tests, and the network-namespace tests (which need root).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace "$@"
