#!/usr/bin/env bash
# Build and run Caddy with Hookgate.
#   ./xcaddy.sh build   build ./caddy with the plugin from this working tree
#   ./xcaddy.sh run     install redis-server if missing (as root), build ./caddy unless it is
#                       current with the tree, start a local redis-server if none answers,
#                       run Caddyfile.example; on exit, stop the redis-server it started
#   ./xcaddy.sh stop    stop a redis-server a run left behind (one killed with SIGKILL)
#   ./xcaddy.sh test    vet, format and static checks, the whole test suite, the WordPress
#                       end-to-end test (tests/wordpress.sh), 100000 fuzz inputs per parser
#   ./xcaddy.sh stripe  send a Stripe-signed test event to the running example
#   ./xcaddy.sh plugin [out.zip]  zip the WordPress plugin (default dist/hookgate.zip)
set -euo pipefail
cd "$(dirname "$0")"

# site_bind prints where Caddy should listen for the site address $1: the
# loopback address for localhost or a loopback IP, the IP itself for
# another IP, and every interface for a host name or a bare :port (Caddy
# needs those reachable, for its certificate too).
site_bind() {
	local a="$1" host
	case "$a" in *[,\ ]*) echo '[::]'; return ;; esac
	a="${a#*://}"
	a="${a%%/*}"
	case "$a" in
	\[*) host="${a%%]*}]" ;;
	*) host="${a%:*}" ;;
	esac
	case "$host" in
	localhost) echo 127.0.0.1 ;;
	\[*\] | [0-9]*.[0-9]*.[0-9]*.[0-9]*) echo "$host" ;;
	*) echo '[::]' ;;
	esac
}

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
# An address the user chose listens where it says; the default listens on
# loopback only, since run fills in demo secrets.
if [ -n "${SITE_ADDRESS:-}" ] && [ -z "${SITE_BIND+set}" ]; then
	SITE_BIND="$(site_bind "$SITE_ADDRESS")"
	export SITE_BIND
fi
export SITE_ADDRESS="${SITE_ADDRESS:-http://127.0.0.1:8088}"

build_stamp=.hookgate-data/caddy.stamp

build() {
	local tree
	tree="$(tree_stamp)"
	# xcaddy runs `go get` on our module path even with the local
	# replacement; the proxy has never seen that path, so let Go fall
	# through on its error instead of failing the build.
	GOPROXY="$(go env GOPROXY | cut -d, -f1)|off" \
		go tool xcaddy build --output ./caddy --with github.com/hookgate/caddy-hookgate=.
	if [ -n "$tree" ]; then
		mkdir -p "$(dirname "$build_stamp")"
		echo "$tree $(stat -c '%s %Y' caddy)" >"$build_stamp"
	fi
}

# tree_stamp prints a hash of what a build is made from: the files Go
# compiles (and embeds) from this module, go.mod, go.sum, the toolchain and
# the build line; nothing when Go cannot list them (the build then says why).
# Taken before building, so an edit made during the build is not recorded
# as built.
tree_stamp() {
	local files sums
	files="$(go list -deps -f '{{if .Module}}{{if .Module.Main}}{{range .GoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .CgoFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .SFiles}}{{$.Dir}}/{{.}}
{{end}}{{range .EmbedFiles}}{{$.Dir}}/{{.}}
{{end}}{{end}}{{end}}' . 2>/dev/null)" || return 0
	# Relative names: a moved checkout is the same tree.
	sums="$(printf '%s\n' "$files" | sed "s|^$PWD/||" | xargs -d '\n' sha256sum go.mod go.sum)" || return 0
	{
		go version
		go env GOOS GOARCH CGO_ENABLED GOFLAGS GOEXPERIMENT
		env | grep -E '^(CADDY_VERSION|XCADDY_[A-Z_]*)=' | sort || true
		declare -f build
		echo "$sums"
	} | sha256sum | cut -d' ' -f1
}

# build_if_stale reuses ./caddy when it is the build of this tree, so run
# needs neither the module proxy nor a minute of compiling each time.
build_if_stale() {
	local tree
	tree="$(tree_stamp)"
	if [ -n "$tree" ] && [ -x caddy ] && [ -f "$build_stamp" ] &&
		[ "$(cat "$build_stamp")" = "$tree $(stat -c '%s %Y' caddy)" ]; then
		echo "./caddy is built from this tree; not rebuilding"
		return
	fi
	echo "building ./caddy with xcaddy"
	build
}

# need_redis_server installs Debian's redis-server as root; anyone else is
# told the command.
need_redis_server() {
	command -v redis-server >/dev/null && command -v redis-cli >/dev/null && return
	if ! command -v apt-get >/dev/null; then
		echo "redis-server is missing: install Redis (redis-server and redis-cli) with the system's package manager," >&2
		echo "or set REDIS_URL to a Redis that answers, then run ./xcaddy.sh run again" >&2
		exit 1
	fi
	if [ "$(id -u)" != 0 ]; then
		local sudo=
		command -v sudo >/dev/null && sudo='sudo '
		echo "redis-server is missing; install it as root, then run ./xcaddy.sh run again:" >&2
		echo "    ${sudo}apt-get update && ${sudo}apt-get install -y redis-server" >&2
		exit 1
	fi
	echo "installing redis-server (apt-get install -y redis-server)"
	apt_install redis-server
}

# apt_install installs Debian packages with the services they ship kept
# stopped, as tests/wordpress.sh does: Debian would start redis-server on
# 6379 for good, while run starts its own Redis and stops it when it ends.
apt_install() {
	local policy=/usr/sbin/policy-rc.d own_policy= updated=
	if [ ! -e "$policy" ]; then
		# Removed however apt-get ends: a policy left behind would keep
		# every service on the machine from starting after later installs.
		trap 'rm -f /usr/sbin/policy-rc.d' EXIT
		own_policy=1
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
	fi
	export DEBIAN_FRONTEND=noninteractive
	if ! compgen -G '/var/lib/apt/lists/*_Packages*' >/dev/null; then
		apt-get update -qq
		updated=1
	fi
	if ! apt-get install -y -qq --no-install-recommends "$@" >/dev/null; then
		# Lists old enough to name removed versions fail the same way.
		[ -z "$updated" ] || exit 1
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "$@" >/dev/null
	fi
	if [ -n "$own_policy" ]; then
		rm -f "$policy"
		trap - EXIT
	fi
}

redis_ping() {
	redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG
}

# The redis-server this run started, if it started one: the only Redis
# it stops.
own_redis_pid=

start_redis() {
	redis_ping && return
	local hostport port
	hostport="${REDIS_URL#redis://}"
	hostport="${hostport%%/*}"
	case "$hostport" in
	127.0.0.1:* | localhost:*) port="${hostport##*:}" ;;
	*) echo "redis at $REDIS_URL does not answer and is not local; start it first" >&2; exit 1 ;;
	esac
	mkdir -p .hookgate-data
	rm -f .hookgate-data/redis.pid
	echo "starting redis-server on 127.0.0.1:$port (data in .hookgate-data/)"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.hookgate-data" \
		--appendonly yes --daemonize yes --pidfile "$PWD/.hookgate-data/redis.pid" \
		--logfile "$PWD/.hookgate-data/redis.log"
	for _ in $(seq 50); do
		if redis_ping && [ -s .hookgate-data/redis.pid ]; then
			own_redis_pid="$(cat .hookgate-data/redis.pid)"
			return
		fi
		sleep 0.1
	done
	echo "redis-server did not start; see .hookgate-data/redis.log" >&2
	exit 1
}

# is_redis_server says whether process $1 runs and is a redis-server, so
# a pid file left by a crash never stops another process that took its pid.
is_redis_server() {
	local state
	[ -r "/proc/$1/stat" ] || return 1
	read -r _ _ state _ <"/proc/$1/stat"
	[ "$state" != Z ] && [ "$(cat "/proc/$1/comm" 2>/dev/null)" = redis-server ]
}

stop_redis_pid() {
	local pid="$1"
	is_redis_server "$pid" || return 0
	echo "stopping redis-server (pid $pid, data in .hookgate-data/)"
	kill -TERM "$pid" 2>/dev/null || return 0
	for _ in $(seq 100); do
		is_redis_server "$pid" || return 0
		sleep 0.1
	done
	echo "redis-server (pid $pid) still runs after 10 s; see .hookgate-data/redis.log" >&2
	return 1
}

stop_own_redis() {
	[ -z "$own_redis_pid" ] || stop_redis_pid "$own_redis_pid"
}

stop() {
	local pidfile=.hookgate-data/redis.pid
	if [ -s "$pidfile" ] && is_redis_server "$(cat "$pidfile")"; then
		stop_redis_pid "$(cat "$pidfile")"
	else
		echo "no redis-server started by ./xcaddy.sh run is running"
	fi
}

caddy_pid=
stopping=

# on_signal passes Ctrl-C (or a TERM or HUP) on to Caddy as SIGTERM: a
# graceful stop, which Caddy also takes calmly after the SIGINT a
# terminal sends it itself (a second SIGINT would make it quit at once).
on_signal() {
	stopping=1
	[ -z "$caddy_pid" ] || kill -TERM "$caddy_pid" 2>/dev/null || true
}

run() {
	if ! { command -v redis-cli >/dev/null && redis_ping; }; then
		need_redis_server
	fi
	build_if_stale
	trap stop_own_redis EXIT
	trap on_signal INT TERM HUP
	start_redis
	[ -z "$stopping" ] || exit 130
	# Local defaults so the example answers out of the box; set real
	# secrets in the environment for anything but a laptop.
	local demo=
	[ -n "${STRIPE_WEBHOOK_SECRET:-}" ] && [ -n "${GITHUB_WEBHOOK_SECRET:-}" ] &&
		[ -n "${WORDPRESS_WEBHOOK_SECRET:-}" ] && [ -n "${RELAY_SECRET:-}" ] &&
		[ -n "${STRIPE_TENANT_SECRETS:-}" ] || demo=1
	: "${STRIPE_WEBHOOK_SECRET:=whsec_test_secret}" "${GITHUB_WEBHOOK_SECRET:=gh_secret}" \
		"${WORDPRESS_WEBHOOK_SECRET:=wp_shared_secret}" \
		"${RELAY_SECRET:=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}" \
		"${STRIPE_TENANT_SECRETS:=acme:whsec_acme_demo,globex:whsec_globex_demo}"
	export STRIPE_WEBHOOK_SECRET GITHUB_WEBHOOK_SECRET WORDPRESS_WEBHOOK_SECRET RELAY_SECRET STRIPE_TENANT_SECRETS
	echo "Caddyfile.example: $SITE_ADDRESS, listening on ${SITE_BIND:-127.0.0.1}; Redis at $REDIS_URL; Ctrl-C stops it"
	case "${SITE_BIND:-127.0.0.1}" in
	127.* | '[::1]') ;;
	*) [ -z "$demo" ] || echo "warning: demo secrets on $SITE_BIND; set STRIPE_WEBHOOK_SECRET, STRIPE_TENANT_SECRETS, GITHUB_WEBHOOK_SECRET, WORDPRESS_WEBHOOK_SECRET and RELAY_SECRET" >&2 ;;
	esac
	./caddy run --config Caddyfile.example --adapter caddyfile &
	caddy_pid=$!
	[ -z "$stopping" ] || on_signal
	local rc
	while :; do
		rc=0
		wait "$caddy_pid" || rc=$?
		# A signal ends wait early, while Caddy is still stopping.
		kill -0 "$caddy_pid" 2>/dev/null || break
	done
	return "$rc"
}

stripe() {
	# caddy hookgate send signs and posts: no openssl or curl needed.
	if declare -F build_if_stale >/dev/null; then build_if_stale; elif [ ! -x caddy ]; then build; fi
	: "${STRIPE_WEBHOOK_SECRET:=whsec_test_secret}"
	export STRIPE_WEBHOOK_SECRET
	local t
	t="$(date +%s)"
	printf '{"id":"evt_demo_%s%s","object":"event","type":"invoice.paid","created":%s,"data":{"object":{"id":"in_1","object":"invoice","customer":"cus_1"}}}' \
		"$t" "$RANDOM" "$t" |
		./caddy hookgate send --provider stripe --secret-env STRIPE_WEBHOOK_SECRET --url "$SITE_ADDRESS/hooks/stripe"
	echo "stream: redis-cli -u $REDIS_URL XRANGE 'hookgate:{events}' - +"
}

plugin() {
	local out="${1:-dist/hookgate.zip}"
	command -v zip >/dev/null || { echo "zip is missing: apt-get install -y zip" >&2; exit 1; }
	case "$out" in /*) ;; *) out="$PWD/$out" ;; esac
	mkdir -p "$(dirname "$out")"
	rm -f "$out"
	(cd wordpress && zip -q -r -X "$out" hookgate -x '*.DS_Store')
	echo "$out"
}

checks() {
	local unformatted
	unformatted="$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"
	[ -z "$unformatted" ] || { echo "gofmt would change: $unformatted" >&2; exit 1; }
	go vet -tags wordpress ./...
	go tool staticcheck -tags wordpress ./...
}

# check_alerts runs promtool over deploy/prometheus: the rules load, and
# their unit tests fire on synthetic series. In CI (CI=true) a missing
# promtool fails the run; elsewhere that one check is skipped, saying so.
check_alerts() {
	if ! command -v promtool >/dev/null; then
		if [ "${CI:-}" = true ]; then
			echo "promtool is missing: tests/wordpress.sh install installs it (Debian's prometheus package)" >&2
			exit 1
		fi
		echo "promtool is missing: skipping the check of deploy/prometheus/alerts.yml (apt-get install prometheus, or tests/wordpress.sh install as root)" >&2
		return
	fi
	promtool check rules deploy/prometheus/alerts.yml
	promtool test rules deploy/prometheus/alerts_test.yml
}

fuzz() {
	local pkg target
	for pkg in $(go list ./...); do
		for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
			go test -run '^$' -fuzz "^${target}\$" -fuzztime "${FUZZTIME:-100000x}" "$pkg"
		done
	done
}

case "${1:-run}" in
build) build ;;
run) run ;;
stop) stop ;;
stripe) stripe ;;
plugin) plugin "${2:-}" ;;
test)
	checks
	check_alerts
	go test -count=1 ./...
	tests/wordpress.sh
	fuzz
	;;
*) sed -n '2,12p' "$0"; exit 2 ;;
esac
