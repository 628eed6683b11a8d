#!/usr/bin/env bash
# Ingest on one redis-server vs a 3-master Redis Cluster, through a real
# built Caddy: wrk POSTs signed ~2 KB Stripe events to `webhook /stripe
# stripe` of one Caddy whose hookgate block says `redis <url>` and of
# another whose block says `redis_cluster <addr> <addr> <addr>`. Both
# Caddys and all four redis-servers run for the whole script; the measured
# runs alternate (single, cluster, then cluster, single, ...), so a busy
# minute on this shared machine hits both alike. On a 2-core machine the
# figure that matters is Redis CPU per ingested event (INFO cpu:
# used_cpu_sys + used_cpu_user, summed over the nodes), not a speed-up.
#
#   bench/ingest-cluster.sh                 # -t2 -c32 -d4s, 2 rounds
#   ROUNDS=3 DURATION=6 bench/ingest-cluster.sh
#
# Environment: THREADS (2), CONNS (32), DURATION seconds (4), WARMUP seconds
# (2), ROUNDS (2), N signed events per run (40000 × DURATION), BODY_SIZE
# (2048), MARK (ingest-cluster), RESULTS_FILE (bench/RESULTS.md),
# QUIET_WAIT / QUIET_MAX (as bench/ingest.sh: wait up to QUIET_WAIT s for
# other processes to use under QUIET_MAX % of a core before each run).
#
# Like bench/ingest.sh it installs nothing: go, wrk, redis-server,
# redis-cli, python3, timeout and curl must be there. Writes bench/out/cluster/
# (git-ignored) and the section between <!-- $MARK:begin --> and
# <!-- $MARK:end --> of bench/RESULTS.md. Exits non-zero when a run does
# not count (a 202 without its stream entry, errors, repeated ids).
set -euo pipefail

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out/cluster
RESULTS=${RESULTS_FILE:-$BENCH/RESULTS.md}

THREADS=${THREADS:-2}
CONNS=${CONNS:-32}
DURATION=${DURATION:-4}
WARMUP=${WARMUP:-2}
N=${N:-$((40000 * DURATION))}
BODY_SIZE=${BODY_SIZE:-2048}
ROUNDS=${ROUNDS:-2}
MARK=${MARK:-ingest-cluster}
QUIET_WAIT=${QUIET_WAIT:-20}
QUIET_MAX=${QUIET_MAX:-15}
SECRET=whsec_bench_secret
STREAM='hookgate:{events}'

for v in THREADS CONNS DURATION WARMUP N BODY_SIZE ROUNDS; do
  [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "ingest-cluster.sh: $v must be a positive integer, got '${!v}'" >&2; exit 2; }
done
((ROUNDS <= 9)) || { echo "ingest-cluster.sh: ROUNDS must be at most 9" >&2; exit 2; }
[[ $MARK =~ ^[a-z0-9-]+$ ]] || { echo "ingest-cluster.sh: MARK must be lowercase letters, digits and '-'" >&2; exit 2; }
((DURATION <= 240)) || { echo "ingest-cluster.sh: DURATION must be at most 240 s (signature tolerance 5 min)" >&2; exit 2; }
((CONNS >= THREADS)) || { echo "ingest-cluster.sh: CONNS must be >= THREADS" >&2; exit 2; }
for bin in go wrk redis-server redis-cli python3 timeout curl; do
  command -v "$bin" >/dev/null || { echo "ingest-cluster.sh: $bin not found" >&2; exit 2; }
done

log() { printf '[ingest-cluster %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
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
  rm -f "$OUT"/*.sigs
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

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
rm -rf "$OUT"
mkdir -p "$OUT"

# --- build ---------------------------------------------------------------------
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

# --- redis: one server, and three cluster masters --------------------------------
# start_redis name port [args...]: no persistence, as bench/ingest.sh's.
start_redis() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$OUT/$name"
  redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --appendonly no --save '' --dir "$OUT/$name" --logfile "$OUT/$name.log" --daemonize no "$@" &
  PIDS+=("$!")
  wait_tcp "$port" 10 "redis-server $name"
}
rcli() { local port=$1; shift; timeout 30 redis-cli -h 127.0.0.1 -p "$port" "$@"; }

SINGLE_PORT=$(free_port)
start_redis single "$SINGLE_PORT"
SINGLE_PID=${PIDS[-1]}
NODE_PORTS=() NODE_PIDS=()
for i in 1 2 3; do
  p=$(free_port)
  while [[ $p == "$SINGLE_PORT" || " ${NODE_PORTS[*]} " == *" $p "* ]]; do p=$(free_port); done
  start_redis "node$i" "$p" --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000
  NODE_PORTS+=("$p") NODE_PIDS+=("${PIDS[-1]}")
done
for p in "$SINGLE_PORT" "${NODE_PORTS[@]}"; do
  for _ in $(seq 50); do [[ $(rcli "$p" PING 2>/dev/null) == PONG ]] && break; sleep 0.1; done
  [[ $(rcli "$p" PING) == PONG ]] || die "redis-server on $p does not answer PING"
done
# As internal/redistest.StartCluster: create, then every node must say ok.
timeout 60 redis-cli --cluster create $(printf '127.0.0.1:%s ' "${NODE_PORTS[@]}") --cluster-replicas 0 --cluster-yes \
  >"$OUT/cluster-create.log" 2>&1 || die "redis-cli --cluster create failed: $(tail -5 "$OUT/cluster-create.log")"
for p in "${NODE_PORTS[@]}"; do
  deadline=$((SECONDS + 30))
  until rcli "$p" CLUSTER INFO | tr -d '\r' | grep -q '^cluster_state:ok$' &&
    rcli "$p" CLUSTER INFO | tr -d '\r' | grep -q '^cluster_known_nodes:3$'; do
    ((SECONDS < deadline)) || die "cluster node $p is not ok"
    sleep 0.1
  done
done

# --- two Caddys ----------------------------------------------------------------
# start_caddy name "connection line": sets PORT_<name>, ADMIN_<name>, PID_<name>.
start_caddy() {
  local name=$1 conn=$2 http admin
  http=$(free_port)
  admin=$(free_port)
  while [[ $admin == "$http" ]]; do admin=$(free_port); done
  mkdir -p "$OUT/home-$name"
  cat >"$OUT/Caddyfile-$name" <<EOF
{
	admin 127.0.0.1:$admin
	http_port $http
	auto_https off
	persist_config off
	hookgate {
		$conn
	}
}

http://127.0.0.1:$http {
	bind 127.0.0.1
	webhook /stripe stripe {
		secret $SECRET
	}
}
EOF
  HOME="$OUT/home-$name" XDG_DATA_HOME="$OUT/home-$name" XDG_CONFIG_HOME="$OUT/home-$name" \
    "$OUT/caddy" run --config "$OUT/Caddyfile-$name" --adapter caddyfile >"$OUT/caddy-$name.log" 2>&1 &
  PIDS+=("$!")
  printf -v "PID_$name" %s "$!"
  printf -v "PORT_$name" %s "$http"
  printf -v "ADMIN_$name" %s "$admin"
  wait_tcp "$http" 30 "caddy ($name)"
}
start_caddy single "redis redis://127.0.0.1:$SINGLE_PORT/0"
ADDRS=$(printf '127.0.0.1:%s ' "${NODE_PORTS[@]}")
start_caddy cluster "redis_cluster ${ADDRS% }"

sign() { # name tag n
  timeout 300 "$OUT/stripesign" -dir "$OUT" -name "$1" -tag "$2" -n "$3" -secret "$SECRET" -size "$BODY_SIZE"
}
for mode in single cluster; do
  port_var=PORT_$mode
  sign "check-$mode" "chk${mode:0:1}" 1
  read -r cid ct csig <"$OUT/check-$mode.sigs"
  reply=$(timeout 10 curl -sS -o - -w ' %{http_code}' -X POST "http://127.0.0.1:${!port_var}/stripe" \
    -H 'Content-Type: application/json' -H "Stripe-Signature: t=$ct,v1=$csig" \
    --data-binary "$(cat "$OUT/check-$mode.prefix")$cid$(cat "$OUT/check-$mode.suffix")")
  [[ $reply == *'"status":"accepted"'*' 202' ]] || die "smoke test POST /stripe ($mode): $reply (log: $OUT/caddy-$mode.log)"
done
# The master that owns the stream's slot (every key of the stream shares its hash tag).
OWNER=""
for i in 0 1 2; do
  [[ $(rcli "${NODE_PORTS[i]}" EXISTS "$STREAM") == 1 ]] && OWNER=$i
done
[[ -n $OWNER ]] || die "no cluster master holds $STREAM after the smoke test"
log "caddy single on :$PORT_single, cluster on :$PORT_cluster; redis single :$SINGLE_PORT, cluster ${NODE_PORTS[*]} (stream on master $((OWNER + 1))); smoke tests passed"

# --- runs ----------------------------------------------------------------------
TCK=$(getconf CLK_TCK)
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
total_ticks() { awk '/^cpu /{print $2+$3+$4+$5+$6+$7+$8+$9; exit}' /proc/stat; }
idle_ticks() { awk '/^cpu /{print $5+$6; exit}' /proc/stat; }
# used_cpu_sys + used_cpu_user of the server on port, in seconds (INFO cpu).
info_cpu() { rcli "$1" INFO cpu | tr -d '\r' | awk -F: '$1 == "used_cpu_sys" || $1 == "used_cpu_user" {s += $2} END{printf "%.6f", s}'; }
ports_of() { if [[ $1 == single ]]; then echo "$SINGLE_PORT"; else echo "${NODE_PORTS[*]}"; fi; }
pids_of() { if [[ $1 == single ]]; then echo "$SINGLE_PID"; else echo "${NODE_PIDS[*]}"; fi; }
stream_port() { if [[ $1 == single ]]; then echo "$SINGLE_PORT"; else echo "${NODE_PORTS[OWNER]}"; fi; }

# run_wrk port base seconds label -> the HOOKGATE line plus wrk_ticks
run_wrk() {
  local port=$1 base=$2 secs=$3 label=$4 line
  local cmd=(wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s --latency
    -s "$BENCH/stripe.lua" "http://127.0.0.1:$port" -- stripe "$base" "$THREADS")
  timeout $((secs + 120)) "${cmd[@]}" >"$OUT/wrk-$label.txt" 2>&1 ||
    die "wrk $label failed: $(tail -5 "$OUT/wrk-$label.txt")"
  line=$(grep '^HOOKGATE ' "$OUT/wrk-$label.txt") || die "wrk $label printed no HOOKGATE line: $(tail -5 "$OUT/wrk-$label.txt")"
  local me=$BASHPID
  echo "$line wrk_ticks=$(awk '{print $16 + $17}' "/proc/$me/stat")"
}
field() { local kv; for kv in $1; do [[ $kv == "$2="* ]] && { echo "${kv#*=}"; return; }; done; die "no $2 in: $1"; }

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
    sleep 3
  done
}

log "warm-up: ${WARMUP} s on each Caddy"
for mode in single cluster; do
  port_var=PORT_$mode
  sign "warm-$mode" "wrm${mode:0:1}" $((40000 * WARMUP))
  run_wrk "${!port_var}" "$OUT/warm-$mode" "$WARMUP" "warmup-$mode" >/dev/null
done

# Log lines so far (start-up warnings: a literal secret, no HTTP/2 without TLS).
declare -A LOGLINES0
for mode in single cluster; do LOGLINES0[$mode]=$(wc -l <"$OUT/caddy-$mode.log"); done
problems=()
declare -A LINE CPUS REDIS NODES ENTRIES INFLIGHT
# measure mode round
measure() {
  local mode=$1 r=$2 label="$1-$2" port_var=PORT_$1 pid_var=PID_$1
  local ports pids p x0 x1 k0 k1 c0 c1 t0 t1 i0 i1 line secs
  read -ra ports <<<"$(ports_of "$mode")"
  read -ra pids <<<"$(pids_of "$mode")"
  log "signing $N events for $label"
  sign "$label" "me$r${mode:0:1}" "$N"
  wait_quiet
  x0=$(rcli "$(stream_port "$mode")" XLEN "$STREAM")
  k0=0; for p in "${ports[@]}"; do k0=$((k0 + $(rcli "$p" DBSIZE))); done
  for p in "${ports[@]}"; do rcli "$p" CONFIG RESETSTAT >/dev/null; done
  local -a rc0 rc1 rt0 rt1
  for i in "${!ports[@]}"; do rc0[i]=$(info_cpu "${ports[i]}"); rt0[i]=$(cpu_ticks "${pids[i]}"); done
  c0=$(cpu_ticks "${!pid_var}"); t0=$(total_ticks); i0=$(idle_ticks)
  log "measured run $label: -t$THREADS -c$CONNS -d${DURATION}s on :${!port_var} (stream holds $x0 entries before)"
  line=$(run_wrk "${!port_var}" "$OUT/$label" "$DURATION" "$label")
  c1=$(cpu_ticks "${!pid_var}"); t1=$(total_ticks); i1=$(idle_ticks)
  for i in "${!ports[@]}"; do rc1[i]=$(info_cpu "${ports[i]}"); rt1[i]=$(cpu_ticks "${pids[i]}"); done
  # Let handlers whose client went away at wrk's deadline finish their append.
  sleep 2
  x1=$(rcli "$(stream_port "$mode")" XLEN "$STREAM")
  k1=0; for p in "${ports[@]}"; do k1=$((k1 + $(rcli "$p" DBSIZE))); done
  : >"$OUT/commandstats-$label.txt"
  for p in "${ports[@]}"; do rcli "$p" INFO commandstats | tr -d '\r' >>"$OUT/commandstats-$label.txt"; done
  secs=$(awk -v u="$(field "$line" duration_us)" 'BEGIN{print u/1e6}')
  local s202 entries seen redis_s redis_ticks wrk_pct caddy_pct busy other idle
  s202=$(field "$line" s202)
  entries=$((x1 - x0)) seen=$((k1 - k0))
  ENTRIES[$label]=$entries INFLIGHT[$label]=$((entries - s202))
  redis_s=0 redis_ticks=0 NODES[$label]=""
  for i in "${!ports[@]}"; do
    redis_s=$(awk -v a="$redis_s" -v b="${rc1[i]}" -v c="${rc0[i]}" 'BEGIN{printf "%.6f", a + b - c}')
    redis_ticks=$((redis_ticks + rt1[i] - rt0[i]))
    NODES[$label]+="$(awk -v b="${rc1[i]}" -v c="${rc0[i]}" -v n="$s202" 'BEGIN{printf "%.1f", (b - c) * 1e6 / n}') "
  done
  caddy_pct=$(awk -v a="$c0" -v b="$c1" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", (b-a)/t/s*100}')
  wrk_pct=$(awk -v w="$(field "$line" wrk_ticks)" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", w/t/s*100}')
  local redis_pct
  redis_pct=$(awk -v r="$redis_ticks" -v s="$secs" -v t="$TCK" 'BEGIN{printf "%.0f", r/t/s*100}')
  busy=$(awk -v t0="$t0" -v t1="$t1" -v i0="$i0" -v i1="$i1" -v n="$(nproc)" 'BEGIN{printf "%.0f", (1-(i1-i0)/(t1-t0))*100*n}')
  other=$((busy - caddy_pct - redis_pct - wrk_pct)); ((other >= 0)) || other=0
  idle=$(($(nproc) * 100 - busy))
  LINE[$label]=$line
  # caddy% redis% wrk% other% idle% caddy-µs/req redis-µs/event(INFO)
  CPUS[$label]="$caddy_pct $redis_pct $wrk_pct $other $idle $(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v n="$(field "$line" requests)" 'BEGIN{printf "%.1f", (b-a)/t*1e6/n}') $(awk -v s="$redis_s" -v n="$s202" 'BEGIN{printf "%.1f", s*1e6/n}')"
  local cs=$OUT/commandstats-$label.txt
  REDIS[$label]=$(awk -F'[:,=]' -v n="$s202" '
    $1 == "cmdstat_evalsha" {ec += $3; eu += $5} $1 == "cmdstat_xadd" {xc += $3; xu += $5}
    END { if (ec == 0) { print "no EVALSHA calls counted"; exit }
      printf "%d EVALSHA, %.1f events each, %.2f µs per event in the script (XADD %.2f µs per event)", ec, xc / ec, eu / xc, xu / xc }' "$cs")
  log "$label: $(field "$line" rps) req/s, redis ${CPUS[$label]##* } µs CPU per event (INFO), other procs ${other} % of a core"
  # Does it count?
  [[ $(field "$line" wrapped) == 0 ]] || problems+=("$label: ids repeated (raise N)")
  (($(field "$line" non2xx) == 0 && $(field "$line" s200) == 0 && $(field "$line" other2xx) == 0)) ||
    problems+=("$label: $(field "$line" non2xx) non-2xx, $(field "$line" s200) duplicate replies")
  for e in connect read write timeout; do
    (($(field "$line" "$e") == 0)) || problems+=("$label: $(field "$line" "$e") socket $e errors")
  done
  ((entries >= s202)) || problems+=("$label: $s202 replies said 202 but only $entries entries were appended")
  ((entries - s202 <= CONNS)) || problems+=("$label: $entries entries for $s202 accepted replies, more than $CONNS in flight")
  ((seen == entries)) || problems+=("$label: $seen new keys but $entries new stream entries")
}

for ((round = 1; round <= ROUNDS; round++)); do
  order=(single cluster)
  ((round % 2 == 1)) || order=(cluster single)
  for mode in "${order[@]}"; do measure "$mode" "$round"; done
done
for mode in single cluster; do
  pid_var=PID_$mode
  kill -0 "${!pid_var}" 2>/dev/null || problems+=("caddy ($mode) exited during the run")
done
for pid in "$SINGLE_PID" "${NODE_PIDS[@]}"; do
  kill -0 "$pid" 2>/dev/null || problems+=("a redis-server exited during the run")
done
# Warnings and errors Caddy logged during the runs (accepted events are logged only at debug).
for mode in single cluster; do
  tail -n +"$((LOGLINES0[$mode] + 1))" "$OUT/caddy-$mode.log" | grep -E '"level":"(warn|error|fatal|panic)"|panic:' || true
done >"$OUT/caddy-run-errors.log"
LOG_ERRORS=$(wc -l <"$OUT/caddy-run-errors.log")
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# --- RESULTS.md ----------------------------------------------------------------
ms() { awk -v u="$1" 'BEGIN{printf "%.2f ms", u/1000}'; }
cpu() { awk -v i="$2" '{print $(i + 1)}' <<<"$1"; }
BUSY_RUNS=0 MAX_OTHER=0
for label in "${!CPUS[@]}"; do
  o=$(cpu "${CPUS[$label]}" 3)
  ((o > QUIET_MAX)) && BUSY_RUNS=$((BUSY_RUNS + 1))
  ((o > MAX_OTHER)) && MAX_OTHER=$o
done
((LOG_ERRORS == 0)) || problems+=("Caddy logged $LOG_ERRORS lines at warn or above during the runs")
VERDICT=$( ((${#problems[@]} == 0)) && echo "valid" || echo "INVALID: $(IFS=';'; echo "${problems[*]}")")
REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=$(cd "$ROOT" && git status --porcelain 2>/dev/null || true)
DIRTY=$(grep -v ' bench/' <<<"$DIRTY" | grep -q . && echo " + uncommitted changes outside bench/" || true)
best() { # mode -> best req/s
  local b=0 r
  for ((r = 1; r <= ROUNDS; r++)); do b=$(awk -v a="$b" -v x="$(field "${LINE[$1-$r]}" rps)" 'BEGIN{print (x > a ? x : a)}'); done
  echo "$b"
}

SECTION=$(mktemp "$OUT/section.XXXXXX")
{
  echo "<!-- $MARK:begin -->"
  echo "## Ingest: one redis-server vs a 3-master Cluster, \`webhook stripe\`, wrk -t$THREADS -c$CONNS"
  echo
  echo "Written by \`bench/ingest-cluster.sh\` — do not edit between the markers."
  echo
  if ((BUSY_RUNS > 0)); then
    echo "**Provisional:** other processes (other sessions' builds and tests) used more than $QUIET_MAX % of a core in $BUSY_RUNS of $((2 * ROUNDS)) runs"
    echo "(up to $MAX_OTHER %); req/s are disturbed by them. Redis CPU per event is steadier: it counts only Redis's own time."
    echo
  fi
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'); code: $REV$DIRTY"
  echo "- machine: $(nproc) CPUs, $(awk -F': ' '/^model name/{print $2; exit}' /proc/cpuinfo); $(go version | awk '{print $3, $4}'); redis-server $(redis-server --version | grep -o 'v=[^ ]*' | cut -d= -f2); wrk $( (wrk --version 2>&1 || true) | awk 'NR==1{print $2}')"
  echo "- load average (1/5/15 min) before: $LOAD0; after: $LOAD1"
  echo "- command: \`${COMMAND:-MARK=$MARK THREADS=$THREADS CONNS=$CONNS DURATION=$DURATION WARMUP=$WARMUP ROUNDS=$ROUNDS N=$N BODY_SIZE=$BODY_SIZE bench/ingest-cluster.sh}\`"
  echo "- two Caddys built from this tree, each with one \`webhook /stripe stripe\` route; one's hookgate block says \`redis redis://…\`"
  echo "  (one redis-server), the other's \`redis_cluster <3 addresses>\` (3 masters, no replicas, \`redis-cli --cluster create\`)."
  echo "  All redis-servers without persistence; Caddys, redis-servers and wrk share the machine. Per run: \`wrk -t$THREADS -c$CONNS -d${DURATION}s"
  echo "  --timeout 10s --latency -s bench/stripe.lua\` with freshly signed $BODY_SIZE-byte Stripe \`invoice.paid\` events, a distinct id"
  echo "  per request, after a ${WARMUP} s warm-up of each Caddy; runs alternate single, cluster, then cluster, single."
  echo "- cluster: \`$STREAM\` and its dedupe keys (one hash tag) live on master $((OWNER + 1)) of 3 (partitions are not built yet); the other"
  echo "  two masters idle, and their CPU (cron, cluster bus) is counted too."
  echo "- Redis CPU per event = \`used_cpu_sys\` + \`used_cpu_user\` (INFO cpu) over the wrk run, summed over the nodes, / 202 replies."
  echo "  Other CPU columns in % of one core ($(nproc) cores = $(($(nproc) * 100)) %), from /proc; \"other procs\" = busy minus Caddy, redis and wrk."
  echo
  echo "| round | Redis | req/s | p50 | p99 | Caddy CPU | redis CPU | wrk CPU | other procs | idle | Caddy CPU µs/req | **Redis CPU µs per event** |"
  echo "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for ((round = 1; round <= ROUNDS; round++)); do
    order=(single cluster)
    ((round % 2 == 1)) || order=(cluster single)
    for mode in "${order[@]}"; do
      l=${LINE[$mode-$round]} c=${CPUS[$mode-$round]}
      name=$([[ $mode == single ]] && echo "one redis-server" || echo "3-master Cluster")
      echo "| $round | $name | $(printf '%.0f' "$(field "$l" rps)") | $(ms "$(field "$l" p50_us)") | $(ms "$(field "$l" p99_us)") | $(cpu "$c" 0) % | $(cpu "$c" 1) % | $(cpu "$c" 2) % | $(cpu "$c" 3) % | $(cpu "$c" 4) % | $(cpu "$c" 5) | **$(cpu "$c" 6)** |"
    done
  done
  echo
  echo "- Redis CPU per event, Cluster / one server:" "$(for ((round = 1; round <= ROUNDS; round++)); do
    awk -v a="$(cpu "${CPUS[cluster-$round]}" 6)" -v b="$(cpu "${CPUS[single-$round]}" 6)" -v r="$round" 'BEGIN{printf "%sround %d: %.1f / %.1f µs = %.2f×", (r > 1 ? "; " : ""), r, a, b, a/b}'
  done)"
  echo "- req/s, Cluster / one server, best of $ROUNDS each: $(awk -v a="$(best cluster)" -v b="$(best single)" 'BEGIN{printf "%.0f / %.0f = %.2f×", a, b, a/b}')"
  for ((round = 1; round <= ROUNDS; round++)); do
    for mode in single cluster; do
      l=${LINE[$mode-$round]} label=$mode-$round
      echo "- $label: $(field "$l" requests) replies ($(field "$l" s202) × 202, $(field "$l" non2xx) non-2xx, socket errors $(($(field "$l" connect) + $(field "$l" read) + $(field "$l" write) + $(field "$l" timeout))));" \
        "${ENTRIES[$label]} stream entries appended (${INFLIGHT[$label]} for requests in flight at wrk's stop); ${REDIS[$label]};" \
        "Redis CPU µs per event by node: ${NODES[$label]% }."
    done
  done
  echo "- Caddy log lines at warn or above during the runs: $LOG_ERRORS (\`bench/out/cluster/caddy-run-errors.log\`; whole logs: \`caddy-*.log\`)"
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
sed '1d;$d' "$SECTION"
cp "$SECTION" "$OUT/section-$MARK.md"
rm -f "$SECTION"
if ((${#problems[@]})); then
  log "the runs do not count:"
  for p in "${problems[@]}"; do log "  - $p"; done
  exit 1
fi
log "results in $RESULTS"
