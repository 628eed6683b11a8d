#!/usr/bin/env bash
# What each provider's verifier costs on a 2 KB body: verifier/'s Go
# benchmarks, 5 runs each, the median ns/op and allocs/op, and each as a
# multiple of one SHA-256 pass over the same body (BenchmarkBaselineSHA256,
# measured in the same run). Writes the <!-- verifiers --> section of
# bench/RESULTS.md.
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESULTS=${RESULTS_FILE:-$BENCH/RESULTS.md}
COUNT=${COUNT:-5}
OUT=$(mktemp)
cd "$BENCH/.."
go test -run '^$' -bench . -benchmem -count "$COUNT" ./verifier/ | tee "$OUT" >&2
CODE="$(git rev-parse --short HEAD)$(git diff --quiet -- verifier/ || echo ' + uncommitted changes in verifier/')"
python3 - "$RESULTS" "$OUT" "$COUNT" "$CODE" <<'PY'
import re, statistics, sys, subprocess, datetime
results, out, count, code = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
runs = {}
cpu = ""
for line in open(out):
    if line.startswith("cpu:"):
        cpu = line.split(":", 1)[1].strip()
    m = re.match(r"^Benchmark(\S+?)(-\d+)?\s+\d+\s+([\d.]+) ns/op(?:\s+[\d.]+ MB/s)?\s+(\d+) B/op\s+(\d+) allocs/op", line)
    if m:
        runs.setdefault(m.group(1), []).append((float(m.group(3)), int(m.group(4)), int(m.group(5))))
if "BaselineSHA256" not in runs:
    sys.exit("no BenchmarkBaselineSHA256 in the output")
base = statistics.median(r[0] for r in runs["BaselineSHA256"])
rows = []
for name, rs in sorted(runs.items(), key=lambda kv: statistics.median(r[0] for r in kv[1])):
    ns = statistics.median(r[0] for r in rs)
    rows.append(f"| `{name}` | {ns:,.0f} | {ns / base:.2f}× | {statistics.median(r[1] for r in rs):.0f} | {max(r[2] for r in rs)} |")
go = subprocess.run(["go", "version"], capture_output=True, text=True).stdout.strip()
section = "\n".join([
    "<!-- verifiers:begin -->",
    "## Verifiers: one request's signature check, 2 KB body",
    "",
    "Written by `bench/verifiers.sh` — do not edit between the markers.",
    "",
    f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; code: {code}",
    f"- machine: {cpu}; {go}",
    f"- command: `bench/verifiers.sh` (`go test -run '^$' -bench . -benchmem -count {count} ./verifier/`), median of {count} runs",
    f"- baseline: `BaselineSHA256`, one SHA-256 pass over the same body, {base:,.0f} ns/op in this run; ×SHA-256 is each row's median over it",
    "- allocs/op is the most any run saw; B/op the median",
    "",
    "| benchmark | ns/op | ×SHA-256 | B/op | allocs/op |",
    "|---|---:|---:|---:|---:|",
    *rows,
    "<!-- verifiers:end -->",
])
text = open(results).read()
pat = re.compile(r"<!-- verifiers:begin -->.*?<!-- verifiers:end -->", re.S)
text = pat.sub(lambda _: section, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(results, "w").write(text)
PY
echo "wrote the verifiers section of $RESULTS" >&2
