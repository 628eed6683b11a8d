#!/usr/bin/env bash
# End-to-end test against a real WordPress: installs Debian's WordPress
# stack when it is missing, lints the plugin, then runs the tests tagged
# `wordpress` (MariaDB, php-fpm and redis-server are started by the test
# itself, on loopback, with their files in a temporary folder).
#   tests/wordpress.sh [go test flags]   install if needed, lint, test
#   tests/wordpress.sh install           only install the packages
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(wordpress wordpress-theme-twentytwentythree mariadb-server php-fpm php-mysql php-curl php-xml php-mbstring redis-server redis-sentinel zip unzip)
# promtool, from Debian's prometheus package, for ./xcaddy.sh test's check
# of deploy/prometheus/alerts.yml: installed by `install` (CI), not needed
# by the WordPress test itself. Its service is kept stopped like the others.
if [ "${1:-}" = install ]; then
	packages+=(prometheus)
fi
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || { echo "missing packages, install them as root: apt-get install -y ${missing[*]}" >&2; exit 1; }
	# Debian starts a service a package installs; the test runs its own
	# servers, so keep the packaged ones stopped while installing.
	# HOOKGATE_POLICY_RC_D moves the file, for the test of this block only.
	policy=${HOOKGATE_POLICY_RC_D:-/usr/sbin/policy-rc.d}
	own_policy=
	if [ ! -e "$policy" ]; then
		# Removed however the script ends: a failed apt-get exits through
		# set -e, and a policy left behind would keep every service on the
		# machine from starting after later installs.
		trap 'rm -f "$policy"' EXIT
		own_policy=1
		printf '#!/bin/sh\nexit 101\n' >"$policy"
		chmod +x "$policy"
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	if [ -n "$own_policy" ]; then
		rm -f "$policy"
		trap - EXIT
	fi
fi

[ "${1:-}" = install ] && exit 0

for f in $(find wordpress -name '*.php') tests/testdata/wordpress/*.php; do
	php -l "$f" >/dev/null || { php -l "$f"; exit 1; }
	# Text before the tag is sent as output and breaks every header after.
	[ "$(head -c 5 "$f")" = '<?php' ] || { echo "$f: does not start with <?php" >&2; exit 1; }
done
php wordpress/tests/signature-test.php

go test -count=1 -tags wordpress -run '^TestWordPress' -timeout 15m ./tests/ "$@"
