#!/usr/bin/env bash
# Relay on one redis-server vs a 3-master Redis Cluster, and the ordered
# relay (order_by data.object.customer, 1,000 customers) vs the unordered
# relay vs the naive XREADGROUP+POST+XACK loop, all in one run, with Redis
# CPU per delivery from INFO. One Go program (bench/relaybench -scale)
# starts its own redis-servers (one alone, three as a cluster) and sink on
# 127.0.0.1 and stops them on exit; it replaces the section between
# <!-- relay-scale:begin --> and <!-- relay-scale:end --> of bench/RESULTS.md.
#
#   bench/relay-scale.sh                      # defaults: -scale-n 40000 -keys 1000 -rounds 2
#   bench/relay-scale.sh -scale-n 20000 -rounds 3
#   bench/relay-scale.sh -mark relay-scale-2      # a second run into its own section
#
# Extra arguments go to the program (go run ./bench/relaybench -h lists
# them). Needs go, redis-server and redis-cli (Debian's redis-server
# package has both); installs nothing.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
for bin in go redis-server redis-cli; do
  command -v "$bin" >/dev/null || { echo "relay-scale.sh: $bin not found" >&2; exit 2; }
done
# The program bounds itself (-timeout, 15 min by default) and kills its
# redis-servers on any exit.
exec go run ./bench/relaybench -scale -results bench/RESULTS.md "$@"
