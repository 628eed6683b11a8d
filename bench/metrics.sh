#!/usr/bin/env bash
# What Hookgate's metrics cost on the ingest path: bench/ingest-t2.sh with
# `metrics off`, then with metrics on (the default), twice each and
# alternating (off, on, off, on), so a busy minute on the machine hits both
# alike. Each run has its own `respond` baseline; the figure compared is
# webhook/respond. Writes the metrics-off and metrics-on sections of
# bench/RESULTS.md, and the <!-- metrics:begin --> summary.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESULTS=${RESULTS_FILE:-$BENCH/RESULTS.md}
export PROFILE=${PROFILE:-0}
ratio() { # mark -> the best-of ratio its section states
  sed -n "/<!-- $1:begin -->/,/<!-- $1:end -->/p" "$RESULTS" | grep -o 'best of [0-9]* each: [0-9.]*×' | grep -o '[0-9.]*×' | tr -d '×'
}
declare -a OFF ON
for pass in 1 2; do
  MARK=metrics-off HOOKGATE_OPTS="metrics off" COMMAND="bench/metrics.sh (pass $pass, metrics off)" "$BENCH/ingest-t2.sh"
  OFF[pass]=$(ratio metrics-off)
  MARK=metrics-on HOOKGATE_OPTS="" COMMAND="bench/metrics.sh (pass $pass, metrics on)" "$BENCH/ingest-t2.sh"
  ON[pass]=$(ratio metrics-on)
done
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (a > b ? a : b)}'; }
BOFF=$(best "${OFF[1]}" "${OFF[2]}") BON=$(best "${ON[1]}" "${ON[2]}")
COST=$(awk -v off="$BOFF" -v on="$BON" 'BEGIN{printf "%.1f", (1 - on / off) * 100}')
SECTION=$(mktemp)
{
  echo "<!-- metrics:begin -->"
  echo "## Ingest with Hookgate's metrics on vs off"
  echo
  echo "Written by \`bench/metrics.sh\` — do not edit between the markers."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); code: $(cd "$BENCH/.." && git rev-parse --short HEAD)"
  echo "- command: \`bench/metrics.sh\` (bench/ingest-t2.sh four times: off, on, off, on; each run's figure is its own best of 2 webhook/respond ratios)"
  echo "- webhook/respond with \`metrics off\`: ${OFF[1]}×, ${OFF[2]}×; with metrics on: ${ON[1]}×, ${ON[2]}×"
  echo "- **best on / best off: $BON / $BOFF — metrics cost ${COST} % of ingest throughput** (bound: under 3 %)"
  echo "- the last two runs in full: the metrics-off and metrics-on sections below."
  echo "<!-- metrics:end -->"
} >"$SECTION"
python3 - "$RESULTS" "$SECTION" <<'PY'
import re, sys
path, section = sys.argv[1], open(sys.argv[2]).read().rstrip("\n")
text = open(path).read()
pat = re.compile(r"<!-- metrics:begin -->.*?<!-- metrics:end -->", re.S)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
rm -f "$SECTION"
cat <<MSG
metrics off: ${OFF[*]}  on: ${ON[*]}  cost: ${COST} %
MSG
