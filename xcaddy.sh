#!/usr/bin/env bash
# Build and run Caddy with Hookgate.
#   ./xcaddy.sh build   build ./caddy with the plugin from this working tree
#   ./xcaddy.sh run     build, start a local redis-server if none answers, run Caddyfile.example
#   ./xcaddy.sh test    vet, format and static checks, the whole test suite, the WordPress
#                       end-to-end test (tests/wordpress.sh), 100000 fuzz inputs per parser
#   ./xcaddy.sh stripe  send a Stripe-signed test event to the running example
#   ./xcaddy.sh plugin [out.zip]  zip the WordPress plugin (default dist/hookgate.zip)
set -euo pipefail
cd "$(dirname "$0")"

export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379/0}"
export SITE_ADDRESS="${SITE_ADDRESS:-http://localhost:8088}"

build() {
	# xcaddy runs `go get` on our module path even with the local
	# replacement; the proxy has never seen that path, so let Go fall
	# through on its error instead of failing the build.
	GOPROXY="$(go env GOPROXY | cut -d, -f1)|off" \
		go tool xcaddy build --output ./caddy --with github.com/hookgate/caddy-hookgate=.
}

redis_ping() {
	redis-cli -u "$REDIS_URL" ping 2>/dev/null | grep -q PONG
}

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
	echo "starting redis-server on 127.0.0.1:$port (data in .hookgate-data/)"
	redis-server --port "$port" --bind 127.0.0.1 --dir "$PWD/.hookgate-data" \
		--appendonly yes --daemonize yes --pidfile "$PWD/.hookgate-data/redis.pid" \
		--logfile "$PWD/.hookgate-data/redis.log"
	for _ in $(seq 50); do redis_ping && return; sleep 0.1; done
	echo "redis-server did not start; see .hookgate-data/redis.log" >&2
	exit 1
}

run() {
	command -v redis-server >/dev/null || { echo "redis-server is missing: apt-get install -y redis-server" >&2; exit 1; }
	build
	start_redis
	# Local defaults so the example answers out of the box; set real
	# secrets in the environment for anything but a laptop.
	: "${STRIPE_WEBHOOK_SECRET:=whsec_test_secret}" "${GITHUB_WEBHOOK_SECRET:=gh_secret}" \
		"${WORDPRESS_WEBHOOK_SECRET:=wp_shared_secret}" \
		"${RELAY_SECRET:=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw}"
	export STRIPE_WEBHOOK_SECRET GITHUB_WEBHOOK_SECRET WORDPRESS_WEBHOOK_SECRET RELAY_SECRET
	exec ./caddy run --config Caddyfile.example --adapter caddyfile
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
stripe) stripe ;;
plugin) plugin "${2:-}" ;;
test)
	checks
	go test -count=1 ./...
	tests/wordpress.sh
	fuzz
	;;
*) sed -n '2,9p' "$0"; exit 2 ;;
esac
