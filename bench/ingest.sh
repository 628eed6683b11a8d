#!/usr/bin/env bash
# Ingest load benchmark: one Caddy with Hookgate, one private redis-server,
# wrk against a `respond` baseline route and the `webhook ... stripe` route,
# both POSTing the same ~2 KB signed Stripe event. Everything listens on
# 127.0.0.1 only; every process started here is stopped on exit.
#
#   bench/ingest.sh                       # -t1 -c64 -d10s, 2 s warm-up per route
#   bench/ingest-t2.sh                    # -t2 -c32 -d4s, runs interleaved, best of 2
#   THREADS=2 CONNS=128 DURATION=20 bench/ingest.sh
#
# Environment: THREADS (1), CONNS (64), DURATION seconds (10), WARMUP seconds
# (2), ROUNDS (1) measured runs per route, interleaved plain/stripe, the
# ratio taken from the best of each; N signed events per measured stripe run
# (40000 × DURATION), BODY_SIZE bytes (2048), HOOKGATE_OPTS (lines added to
# the hookgate block, e.g. "metrics off"), KEEP_OUT=1 keeps the generated
# signature files, MARK (ingest) names the section of RESULTS_FILE
# (bench/RESULTS.md) the results go to, PROFILE=0 skips the profiles,
# QUIET_WAIT / QUIET_MAX (see wait_quiet).
#
# Writes bench/out/ (logs, Caddyfile, profiles, Redis commandstats;
# git-ignored) and the section between <!-- $MARK:begin --> and
# <!-- $MARK:end --> of bench/RESULTS.md. Exits non-zero when a stripe run
# does not count.
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
RESULTS=${RESULTS_FILE:-$BENCH/RESULTS.md}

THREADS=${THREADS:-1}
CONNS=${CONNS:-64}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
N=${N:-$((40000 * DURATION))}
BODY_SIZE=${BODY_SIZE:-2048}
ROUNDS=${ROUNDS:-1}
MARK=${MARK:-ingest}
HOOKGATE_OPTS=${HOOKGATE_OPTS:-}
SECRET=whsec_bench_secret
STREAM='hookgate:{events}'

for v in THREADS CONNS DURATION WARMUP N BODY_SIZE ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "ingest.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
((ROUNDS <= 9)) || { echo "ingest.sh: ROUNDS must be at most 9" >&2; exit 2; }
[[ $MARK =~ ^[a-z0-9-]+$ ]] || { echo "ingest.sh: MARK must be lowercase letters, digits and '-'" >&2; exit 2; }
# Signatures are made just before the stripe run; Stripe's tolerance is 5 min.
((DURATION <= 240)) || { echo "ingest.sh: DURATION must be at most 240 s (signature tolerance 5 min)" >&2; exit 2; }
((CONNS >= THREADS)) || { echo "ingest.sh: CONNS must be >= THREADS" >&2; exit 2; }
for bin in go wrk redis-server redis-cli python3 timeout curl; do
  command -v "$bin" >/dev/null || { echo "ingest.sh: $bin not found" >&2; exit 2; }
done

log() { printf '[ingest %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "FAIL: $*"; exit 1; }

PIDS=()
cleanup() {
  local rc=$?
  local i
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[i]}" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ ${KEEP_OUT:-0} != 1 ]]; then rm -f "$OUT"/*.sigs; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_tcp() { # port seconds what
  local deadline=$((SECONDS + $2))
  until (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; do
    ((SECONDS < deadline)) || die "$3 did not listen on 127.0.0.1:$1 within $2 s"
    sleep 0.1
  done
}

mkdir -p "$OUT"
rm -rf "$OUT/redis" "$OUT/caddy-home"
mkdir -p "$OUT/redis" "$OUT/caddy-home"

# --- 1. build ---------------------------------------------------------------
log "building caddy and stripesign from $ROOT"
for attempt in 1 2 3; do
  if (cd "$ROOT" && timeout 600 go build -o "$OUT/caddy" ./cmd/caddy &&
      timeout 300 go build -o "$OUT/stripesign" ./bench/cmd/stripesign) 2>"$OUT/build.log"; then
    break
  fi
  cat "$OUT/build.log" >&2
  ((attempt < 3)) || die "build failed (see $OUT/build.log)"
  log "build failed (attempt $attempt); others may be mid-edit, retrying in 30 s"
  sleep 30
done

# --- redis ------------------------------------------------------------------
REDIS_PORT=$(free_port)
redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --protected-mode yes \
  --appendonly no --save '' --dir "$OUT/redis" --logfile "$OUT/redis.log" --daemonize no &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
wait_tcp "$REDIS_PORT" 10 redis-server
rcli() { timeout 30 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" "$@"; }
for _ in $(seq 50); do [[ $(rcli PING 2>/dev/null) == PONG ]] && break; sleep 0.1; done
[[ $(rcli PING) == PONG ]] || die "redis-server does not answer PING"

# --- caddy ------------------------------------------------------------------
HTTP_PORT=$(free_port)
ADMIN_PORT=$(free_port)
while [[ $ADMIN_PORT == "$HTTP_PORT" ]]; do ADMIN_PORT=$(free_port); done
cat >"$OUT/Caddyfile" <<EOF
{
	admin 127.0.0.1:$ADMIN_PORT
	http_port $HTTP_PORT
	auto_https off
	persist_config off
	hookgate {
		redis redis://127.0.0.1:$REDIS_PORT/0
		$HOOKGATE_OPTS
	}
}

http://127.0.0.1:$HTTP_PORT {
	bind 127.0.0.1
	respond /plain "ok" 200
	webhook /stripe stripe {
		secret $SECRET
	}
}
EOF
HOME="$OUT/caddy-home" XDG_DATA_HOME="$OUT/caddy-home" XDG_CONFIG_HOME="$OUT/caddy-home" \
  "$OUT/caddy" run --config "$OUT/Caddyfile" --adapter caddyfile >"$OUT/caddy.log" 2>&1 &
CADDY_PID=$!
PIDS+=("$CADDY_PID")
wait_tcp "$HTTP_PORT" 30 caddy
BASE=http://127.0.0.1:$HTTP_PORT

# --- 2. signed events + a smoke test ------------------------------------------
sign() { # name tag n
  timeout 300 "$OUT/stripesign" -dir "$OUT" -name "$1" -tag "$2" -n "$3" -secret "$SECRET" -size "$BODY_SIZE"
}
sign check chek 1
read -r cid ct csig <"$OUT/check.sigs"
reply=$(timeout 10 curl -sS -o - -w ' %{http_code}' -X POST "$BASE/stripe" \
  -H 'Content-Type: application/json' -H "Stripe-Signature: t=$ct,v1=$csig" \
  --data-binary "$(cat "$OUT/check.prefix")$cid$(cat "$OUT/check.suffix")")
[[ $reply == *'"status":"accepted"'*' 202' ]] || die "smoke test POST /stripe: $reply (caddy log: $OUT/caddy.log)"
reply=$(timeout 10 curl -sS -o - -w ' %{http_code}' -X POST "$BASE/plain" --data-binary x)
[[ $reply == 'ok 200' ]] || die "smoke test POST /plain: $reply"
log "caddy on $BASE (admin 127.0.0.1:$ADMIN_PORT), redis on 127.0.0.1:$REDIS_PORT; smoke tests passed"

# --- 3. runs ----------------------------------------------------------------
# CPU seconds (user+system) a process has used so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
total_ticks() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat; }
idle_ticks() { awk '/^cpu /{print $5+$6; exit}' /proc/stat; }
irq_ticks() { awk '/^cpu /{print $7+$8+$9; exit}' /proc/stat; } # irq, softirq, steal

# run_wrk mode base seconds label -> prints the HOOKGATE line; wrk output in $OUT/wrk-<label>.txt
run_wrk() {
  local mode=$1 base=$2 secs=$3 label=$4 line
  local cmd=(wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s --latency
    -s "$BENCH/stripe.lua" "$BASE" -- "$mode" "$base" "$THREADS")
  echo "${cmd[*]}" >"$OUT/wrk-$label.cmd"
  timeout $((secs + 120)) "${cmd[@]}" >"$OUT/wrk-$label.txt" 2>&1 ||
    die "wrk $label failed: $(tail -5 "$OUT/wrk-$label.txt")"
  line=$(grep '^HOOKGATE ' "$OUT/wrk-$label.txt") || die "wrk $label printed no HOOKGATE line: $(tail -5 "$OUT/wrk-$label.txt")"
  # This subshell's waited-for children are timeout and wrk: their CPU ticks.
  local me=$BASHPID
  echo "$line wrk_ticks=$(awk '{print $16 + $17}' "/proc/$me/stat")"
}
# field LINE key
field() { local kv; for kv in $1; do [[ $kv == "$2="* ]] && { echo "${kv#*=}"; return; }; done; die "no $2 in: $1"; }

# sample_top label: two top frames 1 s apart while a run is half way.
sample_top() {
  local label=$1 wait=$2
  sleep "$wait"
  local wrkpids="" p
  for p in $(pgrep -x wrk || true); do
    grep -qF "$OUT" "/proc/$p/cmdline" 2>/dev/null && wrkpids+="$p "
  done
  {
    echo "# top during the $label run (2nd frame, 1 s interval); caddy=$CADDY_PID redis=$REDIS_PID wrk=$wrkpids"
    top -b -n2 -d1 -w 200 | awk '/^top -/{f++} f==2' | head -25
    echo
    echo "# caddy threads"
    top -H -b -n2 -d1 -w 200 -p "$CADDY_PID" | awk '/^top -/{f++} f==2' | head -20
  } >"$OUT/top-$label.txt" 2>&1 || true
}

# wait_quiet: wait (at most QUIET_WAIT s) until processes other than ours
# use under QUIET_MAX % of one core, so that colleagues' builds and tests do
# not share the CPUs with the measured run. Proceeds anyway after the wait.
QUIET_WAIT=${QUIET_WAIT:-90}
QUIET_MAX=${QUIET_MAX:-15}
wait_quiet() {
  local deadline=$((SECONDS + QUIET_WAIT)) t0 i0 t1 i1 busy
  while :; do
    t0=$(total_ticks); i0=$(idle_ticks); sleep 1; t1=$(total_ticks); i1=$(idle_ticks)
    busy=$(awk -v t0="$t0" -v t1="$t1" -v i0="$i0" -v i1="$i1" -v n="$(nproc)" 'BEGIN{printf "%.0f", (1-(i1-i0)/(t1-t0))*100*n}')
    ((busy <= QUIET_MAX)) && return 0
    if ((SECONDS >= deadline)); then
      log "WARNING: the machine is still busy (${busy} % of a core used by other processes); measuring anyway"
      return 0
    fi
    log "waiting for the machine to be quiet (other processes use ${busy} % of a core)"
    sleep 4
  done
}

# measure label mode base: a measured run with CPU accounting; sets RUN_LINE
# and CPU_<label> variables.
measure() {
  local label=$1 mode=$2 base=$3
  local c0 r0 t0 i0 q0 c1 r1 t1 i1 q1 sampler
  wait_quiet
  c0=$(cpu_ticks "$CADDY_PID"); r0=$(cpu_ticks "$REDIS_PID"); t0=$(total_ticks); i0=$(idle_ticks); q0=$(irq_ticks)
  sample_top "$label" $((DURATION / 2 > 1 ? DURATION / 2 - 1 : 0)) &
  sampler=$!
  PIDS+=("$sampler")
  RUN_LINE=$(run_wrk "$mode" "$base" "$DURATION" "$label")
  c1=$(cpu_ticks "$CADDY_PID"); r1=$(cpu_ticks "$REDIS_PID"); t1=$(total_ticks); i1=$(idle_ticks); q1=$(irq_ticks)
  wait "$sampler" 2>/dev/null || true
  # Percent of one core over the run; "machine" is busy share of all cores.
  local secs
  secs=$(awk -v l="$RUN_LINE" 'BEGIN{n=split(l,a," "); for(i=1;i<=n;i++) if (a[i] ~ /^duration_us=/) {sub(/.*=/,"",a[i]); print a[i]/1e6}}')
  CPU_CADDY=$(awk -v a="$c0" -v b="$c1" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", (b-a)/t/s*100}')
  CPU_REDIS=$(awk -v a="$r0" -v b="$r1" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", (b-a)/t/s*100}')
  CPU_BUSY=$(awk -v t0="$t0" -v t1="$t1" -v i0="$i0" -v i1="$i1" 'BEGIN{printf "%.0f", (1-(i1-i0)/(t1-t0))*100}')
  CPU_WRK=$(awk -v w="$(field "$RUN_LINE" wrk_ticks)" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", w/t/s*100}')
  # Everything else on the machine (colleagues' builds and tests, the kernel's
  # softirq time not charged to a process), in % of one core.
  CPU_IRQ=$(awk -v a="$q0" -v b="$q1" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", (b-a)/t/s*100}')
  CPU_OTHER=$(awk -v b="$CPU_BUSY" -v n="$(nproc)" -v c="$CPU_CADDY" -v r="$CPU_REDIS" -v w="$CPU_WRK" -v q="$CPU_IRQ" \
    'BEGIN{o=b*n-c-r-w-q; printf "%.0f", (o<0?0:o)}')
  CPU_IDLE=$(awk -v b="$CPU_BUSY" -v n="$(nproc)" 'BEGIN{printf "%.0f", (100-b)*n}')
  CPU_CADDY_US=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v l="$RUN_LINE" 'BEGIN{n=split(l,x," "); for(i=1;i<=n;i++) if (x[i] ~ /^requests=/) {sub(/.*=/,"",x[i]); r=x[i]}; printf "%.1f", (b-a)/t*1e6/r}')
}

log "signing $((40000 * WARMUP)) warm-up events"
sign warm warm $((40000 * WARMUP))
log "warm-up: ${WARMUP}s on /plain, ${WARMUP}s on /stripe"
W_PLAIN=$(run_wrk plain "$OUT/warm" "$WARMUP" warmup-plain)
W_STRIPE=$(run_wrk stripe "$OUT/warm" "$WARMUP" warmup-stripe)
log "warm-up plain:  $W_PLAIN"
log "warm-up stripe: $W_STRIPE"

# Stripe dedupe keys are scoped by the secret (verifier.SecretScope):
# "s-" + the first 12 bytes, in hex, of HMAC-SHA256(secret, "hookgate dedupe scope v1").
SCOPE=$(python3 -c 'import hmac,hashlib,sys; print("s-"+hmac.new(sys.argv[1].encode(), b"hookgate dedupe scope v1", hashlib.sha256).hexdigest()[:24])' "$SECRET")

# cmdstat CALLS|USEC NAME FILE: one figure of `INFO commandstats`.
cmdstat() {
  awk -F'[:,=]' -v want="cmdstat_$2" -v what="$1" '$1 == want {print (what == "calls" ? $3 : $5); found=1} END{if (!found) print 0}' "$3" | tr -d '\r'
}

problems=()
# check_stripe round: does stripe run <round> count? Appends to problems.
check_stripe() {
  local r=$1 line=${S_LINE[$1]} e
  local entries=$((XLEN1_R[r] - XLEN0_R[r])) seen=$((KEYS1_R[r] - KEYS0_R[r]))
  local req s202 s200 inflight
  req=$(field "$line" requests); s202=$(field "$line" s202); s200=$(field "$line" s200)
  inflight=$((entries - s202))
  ENTRIES_R[r]=$entries SEEN_R[r]=$seen INFLIGHT_R[r]=$inflight
  [[ $(field "$line" wrapped) == 0 ]] ||
    problems+=("stripe run $r: wrk used $(field "$line" used) signatures but only $(field "$line" available) were signed: ids repeated (raise N)")
  ((s202 + s200 + $(field "$line" other2xx) + $(field "$line" non2xx) == req)) ||
    problems+=("stripe run $r: wrk counted $req requests but the script saw $((s202 + s200)) 2xx + $(field "$line" non2xx) others")
  (($(field "$line" non2xx) == 0)) || problems+=("stripe run $r: $(field "$line" non2xx) non-2xx replies")
  ((s200 == 0 && $(field "$line" other2xx) == 0)) ||
    problems+=("stripe run $r: $s200 duplicate (200) and $(field "$line" other2xx) other 2xx replies for ids sent once")
  for e in connect read write timeout; do
    (($(field "$line" "$e") == 0)) || problems+=("stripe run $r: $(field "$line" "$e") socket $e errors")
  done
  # Every 202 must be one stream entry. wrk stops at the deadline with up to
  # CONNS requests sent but unanswered; Caddy may still store those, so the
  # stream may hold up to CONNS entries more than wrk saw 202s — never fewer.
  ((entries >= s202)) || problems+=("stripe run $r: $s202 replies said 202 but only $entries entries were appended: accepted events are missing")
  ((inflight <= CONNS)) || problems+=("stripe run $r: $entries entries appended for $s202 accepted replies: $inflight extra, more than the $CONNS requests that can be in flight")
  ((seen == entries)) || problems+=("stripe run $r: $seen new dedupe keys but $entries new stream entries")
  local p=${P_LINE[$1]} perrs
  perrs=$(($(field "$p" non2xx) + $(field "$p" connect) + $(field "$p" read) + $(field "$p" write) + $(field "$p" timeout)))
  ((perrs == 0)) || problems+=("baseline run $r had $perrs non-2xx replies or socket errors (see $OUT/wrk-plain*.txt)")
}

# ROUNDS > 1: respond and webhook runs alternate (plain 1, stripe 1,
# plain 2, ...), so a colleague's job or a slow minute hits both routes
# alike; the ratio is best stripe / best plain.
LOGLINES0=$(wc -l <"$OUT/caddy.log")
declare -a P_LINE S_LINE P_CPUS S_CPUS XLEN0_R XLEN1_R KEYS0_R KEYS1_R ENTRIES_R SEEN_R INFLIGHT_R REDIS_R
for ((round = 1; round <= ROUNDS; round++)); do
  sfx=""
  ((ROUNDS == 1)) || sfx="-$round"
  log "measured run $round/$ROUNDS on /plain: -t$THREADS -c$CONNS -d${DURATION}s"
  measure "plain$sfx" plain "$OUT/warm"
  P_LINE[round]=$RUN_LINE
  P_CPUS[round]="$CPU_CADDY $CPU_REDIS $CPU_BUSY $CPU_CADDY_US $CPU_WRK $CPU_OTHER $CPU_IRQ $CPU_IDLE"
  log "plain $round: $RUN_LINE (other procs ${CPU_OTHER} % of a core)"

  # Fresh signatures (t = now) for each stripe run; ids tagged per run so
  # none was used in the warm-up, the smoke test or another run.
  log "signing $N events for stripe run $round"
  sign "meas$round" "mea$round" "$N"
  XLEN0_R[round]=$(rcli XLEN "$STREAM")
  KEYS0_R[round]=$(rcli DBSIZE)
  rcli CONFIG RESETSTAT >/dev/null
  log "measured run $round/$ROUNDS on /stripe: -t$THREADS -c$CONNS -d${DURATION}s (stream holds ${XLEN0_R[round]} entries before)"
  measure "stripe$sfx" stripe "$OUT/meas$round"
  S_LINE[round]=$RUN_LINE
  S_CPUS[round]="$CPU_CADDY $CPU_REDIS $CPU_BUSY $CPU_CADDY_US $CPU_WRK $CPU_OTHER $CPU_IRQ $CPU_IDLE"
  log "stripe $round: $RUN_LINE (other procs ${CPU_OTHER} % of a core)"
  # Let handlers whose client went away at the deadline finish their append.
  sleep 2
  XLEN1_R[round]=$(rcli XLEN "$STREAM")
  KEYS1_R[round]=$(rcli DBSIZE)
  rcli INFO commandstats >"$OUT/redis-commandstats-stripe$sfx.txt"
  check_stripe "$round"
  # Where Redis's time goes in this run: script calls, events per call, µs.
  cs=$OUT/redis-commandstats-stripe$sfx.txt
  ev=$(cmdstat calls evalsha "$cs"); evu=$(cmdstat usec evalsha "$cs")
  xa=$(cmdstat calls xadd "$cs"); xau=$(cmdstat usec xadd "$cs")
  se=$(cmdstat calls set "$cs"); seu=$(cmdstat usec set "$cs")
  ex=$(cmdstat calls exists "$cs"); exu=$(cmdstat usec exists "$cs")
  REDIS_R[round]=$(awk -v ev="$ev" -v evu="$evu" -v xa="$xa" -v xau="$xau" -v se="$se" -v seu="$seu" -v ex="$ex" -v exu="$exu" \
    -v cpu="$(awk '{print $2}' <<<"${S_CPUS[round]}")" -v rps="$(field "$RUN_LINE" rps)" 'BEGIN{
      if (ev == 0) { print "no EVALSHA calls counted"; exit }
      printf "%d EVALSHA, %.1f events each, %.0f µs per call = %.2f µs per event in the script (XADD %.2f, SET %.2f, EXISTS %.2f µs per event); redis CPU %.1f µs per event", \
        ev, xa / ev, evu / ev, evu / xa, xau / xa, seu / xa, exu / xa, cpu / 100 * 1e6 / rps }')
  log "redis: ${REDIS_R[round]}"
done
FIELDS_PER_ENTRY=$(($(rcli XREVRANGE "$STREAM" + - COUNT 1 | wc -l) / 2))
rcli SLOWLOG GET 10 >"$OUT/redis-slowlog.txt" || true

# Errors in the Caddy log during the stripe runs (the handler logs accepted
# events only at debug, so anything here is worth reading).
tail -n +"$((LOGLINES0 + 1))" "$OUT/caddy.log" | grep -E '"level":"(warn|error|fatal|panic)"|panic:' >"$OUT/caddy-stripe-errors.log" || true
LOG_ERRORS=$(wc -l <"$OUT/caddy-stripe-errors.log")
LOG_ERRORS_ALL=$(grep -cE '"level":"(error|fatal|panic)"|panic:' "$OUT/caddy.log" || true)
# Distinct messages at warn or above over the whole log (ids and times removed).
grep -E '"level":"(warn|error|fatal|panic)"|panic:' "$OUT/caddy.log" |
  sed -E 's/"ts":[0-9.e+]+,//; s/"event_id":"[^"]*"/"event_id":…/' | sort | uniq -c | sort -rn >"$OUT/caddy-log-summary.txt" || true
# Events the handler logged as not stored (a 503 to a client that had already
# gone at wrk's deadline): are they in Redis after all?
NOT_STORED=0
NOT_STORED_BUT_STORED=0
while read -r id; do
  NOT_STORED=$((NOT_STORED + 1))
  [[ $(rcli EXISTS "$STREAM:seen:stripe:$SCOPE:$id") == 1 ]] && NOT_STORED_BUT_STORED=$((NOT_STORED_BUT_STORED + 1))
done < <(grep -E '"msg":"(event not stored|event may not be stored|sender hung up)' "$OUT/caddy.log" | grep -o '"event_id":"[^"]*"' | cut -d'"' -f4 | head -1000 || true)

kill -0 "$CADDY_PID" 2>/dev/null || problems+=("caddy exited during the run")
kill -0 "$REDIS_PID" 2>/dev/null || problems+=("redis-server exited during the run")

# --- where Caddy's time goes: CPU and allocation profiles of an extra,
# unmeasured stripe run (same wrk settings) ---
PROFILE=${PROFILE:-1}
PPROF_TOP=""
ALLOC_TOP=""
if [[ $PROFILE == 1 ]]; then
  log "profiling: 6 s stripe run (not counted) with 4 s CPU and allocation profiles from the admin endpoint"
  sign prof prof $((40000 * 6))
  (run_wrk stripe "$OUT/prof" 6 profile >/dev/null) &
  prof_pid=$!
  PIDS+=("$prof_pid")
  sleep 1
  timeout 20 curl -sfS -o "$OUT/caddy-stripe-allocs.pprof" "http://127.0.0.1:$ADMIN_PORT/debug/pprof/allocs?seconds=4" &
  allocs_pid=$!
  if timeout 20 curl -sfS -o "$OUT/caddy-stripe.pprof" "http://127.0.0.1:$ADMIN_PORT/debug/pprof/profile?seconds=4" &&
    timeout 120 go tool pprof -top -nodecount=40 "$OUT/caddy" "$OUT/caddy-stripe.pprof" >"$OUT/pprof-stripe.txt" 2>/dev/null &&
    timeout 120 go tool pprof -top -cum -nodecount=60 "$OUT/caddy" "$OUT/caddy-stripe.pprof" >"$OUT/pprof-stripe-cum.txt" 2>/dev/null; then
    PPROF_TOP=$(awk '/^ *flat/{f=1; print; next} f && n++ < 15' "$OUT/pprof-stripe.txt")
  else
    log "WARNING: no CPU profile (admin endpoint or go tool pprof failed)"
  fi
  if wait "$allocs_pid" &&
    timeout 120 go tool pprof -sample_index=alloc_space -top -nodecount=40 "$OUT/caddy" "$OUT/caddy-stripe-allocs.pprof" >"$OUT/pprof-stripe-allocs.txt" 2>/dev/null &&
    timeout 120 go tool pprof -sample_index=alloc_objects -top -nodecount=40 "$OUT/caddy" "$OUT/caddy-stripe-allocs.pprof" >"$OUT/pprof-stripe-allocobjs.txt" 2>/dev/null; then
    ALLOC_TOP=$(awk '/^ *flat/{f=1; print; next} f && n++ < 10' "$OUT/pprof-stripe-allocobjs.txt")
  else
    log "WARNING: no allocation profile"
  fi
  wait "$prof_pid" 2>/dev/null || log "WARNING: the profiling wrk run failed (see $OUT/wrk-profile.txt)"
fi

# --- 5. RESULTS.md -------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN{printf "%.2f ms", u/1000}'; }
cpu() { awk -v i="$2" '{print $(i + 1)}' <<<"$1"; } # cpu "<fields>" index (0-based, as P_CPU was)
BEST_P=0 BEST_S=0 BUSY_RUNS=0
for ((round = 1; round <= ROUNDS; round++)); do
  BEST_P=$(awk -v a="$BEST_P" -v b="$(field "${P_LINE[round]}" rps)" 'BEGIN{print (b > a ? b : a)}')
  BEST_S=$(awk -v a="$BEST_S" -v b="$(field "${S_LINE[round]}" rps)" 'BEGIN{print (b > a ? b : a)}')
  (($(cpu "${P_CPUS[round]}" 5) > QUIET_MAX || $(cpu "${S_CPUS[round]}" 5) > QUIET_MAX)) && BUSY_RUNS=$((BUSY_RUNS + 1))
done
RATIO=$(awk -v a="$BEST_S" -v b="$BEST_P" 'BEGIN{printf "%.3f", a/b}')
VERDICT=$( ((${#problems[@]} == 0)) && echo "valid" || echo "INVALID: $(IFS=';'; echo "${problems[*]}")")
CPU_MODEL=$(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo || true)
GO_VERSION=$(go version | awk '{print $3, $4}')
REDIS_VERSION=$(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2)
WRK_VERSION=$( (wrk --version 2>&1 || true) | awk 'NR==1{print $2}')
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain 2>/dev/null || true)
DIRTY=$(grep -v ' bench/' <<<"$DIRTY" | grep -q . && echo " + uncommitted changes outside bench/" || true)

row() { # route line cpus
  local l=$2 c=$3
  echo "| $1 | $(printf '%.0f' "$(field "$l" rps)") | $(ms "$(field "$l" p50_us)") | $(ms "$(field "$l" p99_us)") | $(cpu "$c" 0) % | $(cpu "$c" 1) % | $(cpu "$c" 4) % | $(cpu "$c" 6) % | $(cpu "$c" 5) % | $(cpu "$c" 7) % | $(cpu "$c" 3) |"
}

SECTION=$(mktemp "$OUT/section.XXXXXX")
{
  echo "<!-- $MARK:begin -->"
  echo "## Ingest: \`respond\` vs \`webhook stripe\`, wrk -t$THREADS -c$CONNS"
  echo
  echo "Written by \`bench/ingest.sh\` — do not edit between the markers."
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "- code: $REV$DIRTY"
  echo "- machine: $(nproc) CPUs, $CPU_MODEL; $GO_VERSION; redis-server $REDIS_VERSION; wrk $WRK_VERSION"
  echo "- command: \`${COMMAND:-MARK=$MARK THREADS=$THREADS CONNS=$CONNS DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS N=$N BODY_SIZE=$BODY_SIZE bench/ingest.sh}\`"
  [[ -z $HOOKGATE_OPTS ]] || echo "- hookgate block adds: \`$HOOKGATE_OPTS\`"
  echo "- wrk per run: \`wrk -t$THREADS -c$CONNS -d${DURATION}s --timeout 10s --latency -s bench/stripe.lua http://127.0.0.1:PORT -- {plain|stripe} EVENTS $THREADS\`"
  echo "  after a ${WARMUP} s warm-up on each route; $ROUNDS measured run(s) per route$( ((ROUNDS > 1)) && echo ", respond and webhook interleaved")."
  echo "  Both routes get the same POST: a $BODY_SIZE-byte Stripe \`invoice.paid\` event with a valid"
  echo "  \`Stripe-Signature\`, a distinct event id per request. Caddy, redis-server and wrk share the machine; one Caddy, one Redis, default logging."
  echo
  echo "| run | route | req/s | p50 | p99 | Caddy CPU | redis CPU | wrk CPU | irq+softirq+steal | other procs | idle | Caddy CPU µs/req |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for ((round = 1; round <= ROUNDS; round++)); do
    row "$round | \`respond /plain\`" "${P_LINE[round]}" "${P_CPUS[round]}"
    row "$round | \`webhook /stripe stripe\`" "${S_LINE[round]}" "${S_CPUS[round]}"
  done
  echo
  if ((ROUNDS > 1)); then
    echo "- **webhook / respond throughput, best of $ROUNDS each: ${RATIO}×** (target ≥ 0.5×); per round:" \
      "$(for ((round = 1; round <= ROUNDS; round++)); do
        awk -v a="$(field "${S_LINE[round]}" rps)" -v b="$(field "${P_LINE[round]}" rps)" -v r="$round" 'BEGIN{printf "%s%d: %.3f×", (r > 1 ? ", " : ""), r, a/b}'
      done)"
  else
    echo "- **webhook / respond throughput: ${RATIO}×** (target ≥ 0.5×)"
  fi
  for ((round = 1; round <= ROUNDS; round++)); do
    l=${S_LINE[round]}
    echo "- stripe run $round: $(field "$l" requests) replies seen by wrk ($(field "$l" s202) × 202, $(field "$l" s200) × 200, $(field "$l" non2xx) non-2xx;" \
      "socket errors connect/read/write/timeout $(field "$l" connect)/$(field "$l" read)/$(field "$l" write)/$(field "$l" timeout));" \
      "stream entries appended: ${ENTRIES_R[round]} (XLEN ${XLEN0_R[round]} → ${XLEN1_R[round]}), new dedupe keys: ${SEEN_R[round]};" \
      "${INFLIGHT_R[round]} stored for requests still in flight when wrk stopped (allowed: ≤ $CONNS);" \
      "signatures: $(field "$l" used) of $N used, wrapped: $( [[ $(field "$l" wrapped) == 0 ]] && echo no || echo YES)."
    echo "  Redis (\`INFO commandstats\`, reset before the run): ${REDIS_R[round]}."
  done
  echo "- stream entries hold $FIELDS_PER_ENTRY fields each (the last one written); SLOWLOG: \`bench/out/redis-slowlog.txt\`."
  echo "- Caddy log lines at warn or above during the stripe runs: $LOG_ERRORS; errors in the whole log: $LOG_ERRORS_ALL"
  echo "  (distinct messages: \`bench/out/caddy-log-summary.txt\`). \"event not stored\" logged for $NOT_STORED events"
  echo "  (requests cut by wrk's deadline, client gone); $NOT_STORED_BUT_STORED of them are in Redis all the same."
  echo "- CPU columns: % of one core over the run (the machine has $(nproc) cores = $(($(nproc) * 100)) %), from /proc/<pid>/stat;"
  echo "  \"other procs\" = all busy CPU minus Caddy, redis, wrk and irq/softirq/steal time (other users' jobs on the machine)."
  if ((BUSY_RUNS > 0)); then
    echo "  **Other processes used more than $QUIET_MAX % of a core in $BUSY_RUNS round(s): those figures are disturbed.**"
  fi
  echo "  top snapshots: \`bench/out/top-plain*.txt\`, \`bench/out/top-stripe*.txt\`."
  if [[ -n $PPROF_TOP ]]; then
    echo "- Caddy CPU profile of a separate 6 s stripe run (4 s sample; full: \`bench/out/pprof-stripe.txt\`, \`pprof-stripe-cum.txt\`):"
    echo
    echo '```'
    echo "$PPROF_TOP"
    echo '```'
    echo
  fi
  if [[ -n $ALLOC_TOP ]]; then
    echo "- allocations in the same 4 s, objects (full: \`bench/out/pprof-stripe-allocobjs.txt\`, bytes: \`pprof-stripe-allocs.txt\`):"
    echo
    echo '```'
    echo "$ALLOC_TOP"
    echo '```'
    echo
  fi
  echo "- verdict: **$VERDICT**"
  echo "<!-- $MARK:end -->"
} >"$SECTION"

if [[ -f $RESULTS ]] && grep -q "^<!-- $MARK:begin -->\$" "$RESULTS" && grep -q "^<!-- $MARK:end -->\$" "$RESULTS"; then
  NEW=$(mktemp "$OUT/results.XXXXXX")
  awk -v sec="$SECTION" -v b="<!-- $MARK:begin -->" -v e="<!-- $MARK:end -->" '
    $0 == b { while ((getline l < sec) > 0) print l; skip = 1; next }
    $0 == e { skip = 0; next }
    !skip' "$RESULTS" >"$NEW"
  cat "$NEW" >"$RESULTS"
  rm -f "$NEW"
else
  if [[ ! -f $RESULTS ]]; then printf '# Benchmark results\n\n' >"$RESULTS"; else echo >>"$RESULTS"; fi
  cat "$SECTION" >>"$RESULTS"
fi

echo
cat "$SECTION" | sed '1d;$d'
cp "$SECTION" "$OUT/section-$MARK.md"
rm -f "$SECTION"
if ((${#problems[@]})); then
  log "the stripe run does not count:"
  for p in "${problems[@]}"; do log "  - $p"; done
  exit 1
fi
log "the stripe runs count; results in $RESULTS"
