#!/usr/bin/env bash
# WordPress delivery rate: RUNS runs of the burst subtest of the WordPress
# end-to-end test (Debian's WordPress, MariaDB and php-fpm behind one Caddy,
# started and stopped by the test). Each run measures, on the same stack,
# 300 signed deliveries posted straight to the plugin by 8 senders (the
# baseline: WordPress's own cost per request) and 300 Stripe events from
# ingest through the relay to the plugin; it replaces the section between
# <!-- wordpress:begin --> and <!-- wordpress:end --> of bench/RESULTS.md.
#
#   RUNS=3 bench/wordpress.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
runs="${RUNS:-3}"
mkdir -p bench/out
: >bench/out/wordpress-figures.txt
for _ in $(seq "$runs"); do
	tests/wordpress.sh -v -run 'TestWordPress/burst' >bench/out/wordpress-run.txt 2>&1 ||
		{ tail -50 bench/out/wordpress-run.txt >&2; exit 1; }
	grep -o 'FIGURE .*' bench/out/wordpress-run.txt | sed 's/^FIGURE //' >>bench/out/wordpress-figures.txt
done

section="$(mktemp)"
{
	echo '<!-- wordpress:begin -->'
	echo '## WordPress: deliveries/s into the plugin'
	echo
	echo 'Written by `bench/wordpress.sh` — do not edit between the markers.'
	echo
	echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "- code: $(git rev-parse --short HEAD)"
	echo "- machine: $(nproc) CPUs; $(go version | cut -d' ' -f3-); $(php -r 'echo "PHP ", PHP_VERSION;'); WordPress $(sed -n "s/^\$wp_version = '\(.*\)';/\1/p" /usr/share/wordpress/wp-includes/version.php); $(mariadbd --version | grep -o 'Ver [^ ]*' | head -1 | sed 's/Ver/MariaDB/')"
	echo "- command: \`RUNS=$runs bench/wordpress.sh\` (the subtest \`TestWordPress/burst\`: php-fpm with 6 static workers, WP_DEBUG on, relay with its default 8 workers; Caddy, MariaDB, php-fpm, Redis and the test share the machine; the test polls MariaDB every 20 ms while it waits)"
	echo
	echo '| run | straight to the plugin (deliveries/s) | ingest → relay → plugin (events/s) | relayed / straight |'
	echo '|---:|---:|---:|---:|'
	n=0
	while read -r line; do
		n=$((n + 1))
		direct="$(sed -n 's/^direct-to-plugin \([0-9]*\) .*/\1/p' <<<"$line")"
		relayed="$(sed -n 's/.*ingest+relay+plugin \([0-9]*\) .*/\1/p' <<<"$line")"
		ratio="$(sed -n 's/.*ratio \([0-9.]*x\).*/\1/p' <<<"$line")"
		echo "| $n | $direct | $relayed | $ratio |"
	done <bench/out/wordpress-figures.txt
	echo
	echo 'WordPress boots for every request, so the plugin, not the relay, sets the rate;'
	echo 'the ratio is what ingest and the relay cost on top of it on a shared 2-core machine.'
	echo '<!-- wordpress:end -->'
} >"$section"

if grep -q '<!-- wordpress:begin -->' bench/RESULTS.md; then
	awk -v f="$section" '
		/<!-- wordpress:begin -->/ { while ((getline l < f) > 0) print l; skip = 1; next }
		/<!-- wordpress:end -->/ { skip = 0; next }
		!skip' bench/RESULTS.md >bench/out/RESULTS.md.new
	mv bench/out/RESULTS.md.new bench/RESULTS.md
else
	{ echo; cat "$section"; } >>bench/RESULTS.md
fi
rm -f "$section"
sed -n '/<!-- wordpress:begin -->/,/<!-- wordpress:end -->/p' bench/RESULTS.md
