#!/usr/bin/env bash
# Relay benchmark: deliveries/s against a bare XREADGROUP+XACK loop, end-to-end
# latency at 500 events/s, and RSS while working through a 1M-entry backlog.
# One Go program (bench/relaybench) starts its own redis-server and sink on
# 127.0.0.1 and stops them on exit; it replaces the section between
# <!-- relay:begin --> and <!-- relay:end --> of bench/RESULTS.md.
#
#   bench/relay.sh                     # defaults: -n 100000 -rate 500 -backlog 1000000
#   bench/relay.sh -n 50000 -backlog-duration 20s
#
# Extra arguments go to the program (go run ./bench/relaybench -h lists them).
# bench/relay-scale.sh runs the same program with -scale (one server vs a
# cluster, ordered vs unordered vs naive) into its own section.
# The CPU profile of the throughput run is left in bench/out/ (git-ignored).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for bin in go redis-server; do
  command -v "$bin" >/dev/null || { echo "relay.sh: $bin not found" >&2; exit 2; }
done
mkdir -p bench/out
# The program bounds itself (-timeout, 15 min by default) and kills its
# redis-server on any exit.
exec go run ./bench/relaybench -results bench/RESULTS.md -cpuprofile bench/out/relay-cpu.pprof "$@"
