#!/usr/bin/env bash
# Memory per retained event: used_memory and RSS growth per event after
# appending N events (default 100 000) of 1 KB and of 2 KB through the real
# relay.Appender, the stream's and the dedupe keys' parts, at redis-server's
# default listpack node size and at a larger one. One Go program
# (bench/memorybench) starts a fresh redis-server on 127.0.0.1 per case and
# kills it when the case ends; it replaces the section between
# <!-- memory:begin --> and <!-- memory:end --> of bench/RESULTS.md.
#
#   bench/memory.sh                      # -n 100000 -sizes 1024,2048 -node-bytes default,65536
#   bench/memory.sh -n 20000 -profiles stripe
#
# Extra arguments go to the program (go run ./bench/memorybench -h lists them).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for bin in go redis-server; do
  command -v "$bin" >/dev/null || { echo "memory.sh: $bin not found" >&2; exit 2; }
done
exec go run ./bench/memorybench -results bench/RESULTS.md "$@"
