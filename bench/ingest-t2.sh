#!/usr/bin/env bash
# The ingest benchmark as issue 9 states its bound: two wrk threads, 32
# connections, 4 s runs, respond and webhook interleaved, best of two each.
# Writes the <!-- ingest-t2:begin --> section of bench/RESULTS.md; any
# variable of bench/ingest.sh may still be overridden.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export MARK=${MARK:-ingest-t2} THREADS=${THREADS:-2} CONNS=${CONNS:-32} DURATION=${DURATION:-4} ROUNDS=${ROUNDS:-2}
export COMMAND=${COMMAND:-bench/ingest-t2.sh (MARK=$MARK THREADS=$THREADS CONNS=$CONNS DURATION=$DURATION ROUNDS=$ROUNDS bench/ingest.sh)}
exec "$BENCH/ingest.sh" "$@"
