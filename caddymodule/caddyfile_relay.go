package caddymodule

import (
	"errors"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/caddy-hookgate/alert"
	"github.com/hookgate/caddy-hookgate/relay"
)

// parseRelay reads one "relay <name> { ... }" block of the hookgate option.
// Values without placeholders are checked here, so a mistake names its line;
// the rest are checked at provisioning.
func parseRelay(d *caddyfile.Dispenser, relays map[string]*RelayConfig) error {
	if !d.NextArg() {
		return d.Errf("relay needs a name, e.g. 'relay wordpress { ... }'")
	}
	name := d.Val()
	if !relayName.MatchString(name) {
		return d.Errf("relay name %q: use letters, digits, '.', '_' or '-'", name)
	}
	if _, dup := relays[name]; dup {
		return d.Errf("relay %q is defined twice", name)
	}
	if d.NextArg() {
		return d.Errf("relay %s takes one name, got extra argument %q", name, d.Val())
	}
	rc := new(RelayConfig)
	seen := make(map[string]bool)
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] && opt != "route" && opt != "filter" && opt != "header" {
			return d.Errf("relay %s: %s is set twice", name, opt)
		}
		seen[opt] = true
		if err := parseRelayOption(d, rc); err != nil {
			return err
		}
	}
	if rc.To == "" {
		return d.Errf("relay %s needs a target: to <url>", name)
	}
	if rc.Secret == "" {
		return d.Errf("relay %s needs a secret to sign deliveries: secret <whsec_...>", name)
	}
	relays[name] = rc
	return nil
}

// parseRelayOption reads the option under the cursor into rc.
func parseRelayOption(d *caddyfile.Dispenser, rc *RelayConfig) error {
	opt := d.Val()
	switch opt {
	case "stream":
		if err := singleArg(d, &rc.Stream); err != nil {
			return err
		}
		if strings.ContainsAny(rc.Stream, "{}") {
			return d.Errf("stream name %q must not contain braces", rc.Stream)
		}
	case "to":
		if err := singleArg(d, &rc.To); err != nil {
			return err
		}
		if !hasPlaceholder(rc.To) && !isHTTPURL(rc.To) {
			return d.Errf("to: %q must be an absolute http(s) URL", rc.To)
		}
	case "route":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return d.Errf("route needs a type glob and a URL or path, e.g. 'route customer.* /wp-json/hookgate/v1/user-sync'")
		}
		if _, err := path.Match(args[0], ""); err != nil {
			return d.Errf("route: invalid type glob %q", args[0])
		}
		if !hasPlaceholder(args[1]) && !strings.HasPrefix(args[1], "/") && !isHTTPURL(args[1]) {
			return d.Errf("route: %q must be an absolute http(s) URL or a path starting with /", args[1])
		}
		rc.Routes = append(rc.Routes, RelayRoute{Glob: args[0], URL: args[1]})
	case "filter":
		args := d.RemainingArgs()
		if len(args) == 0 {
			return d.Errf("filter needs at least one event type glob, e.g. 'filter customer.* invoice.paid'")
		}
		for _, g := range args {
			if _, err := path.Match(g, ""); err != nil {
				return d.Errf("filter: invalid type glob %q", g)
			}
		}
		rc.Filter = append(rc.Filter, args...)
	case "secret":
		if err := singleArg(d, &rc.Secret); err != nil {
			return err
		}
		if !hasPlaceholder(rc.Secret) {
			if _, err := relaySecret(rc.Secret); err != nil {
				return d.WrapErr(err)
			}
		}
	case "auth":
		auth, err := parseRelayAuth(d.RemainingArgs())
		if err != nil {
			return d.WrapErr(err)
		}
		rc.Auth = auth
	case "header":
		args := d.RemainingArgs()
		if len(args) != 2 {
			return d.Errf("header needs a name and a value")
		}
		if err := checkRelayHeader(args[0]); err != nil {
			return d.WrapErr(err)
		}
		if rc.Headers == nil {
			rc.Headers = make(http.Header)
		}
		rc.Headers.Add(args[0], args[1])
	case "workers":
		return countArg(d, &rc.Workers)
	case "max_attempts":
		return countArg(d, &rc.MaxAttempts)
	case "timeout":
		return durationArg(d, &rc.Timeout)
	case "claim_after":
		return durationArg(d, &rc.ClaimAfter)
	case "retention":
		return durationArg(d, &rc.Retention)
	case "start":
		if err := singleArg(d, &rc.Start); err != nil {
			return err
		}
		if _, err := parseStart(rc.Start); err != nil {
			return d.WrapErr(err)
		}
	case "backoff":
		args := d.RemainingArgs()
		const usage = "backoff needs two durations, base <= cap, e.g. 'backoff 1s 10m'"
		if len(args) != 2 {
			return d.Errf(usage)
		}
		base, err1 := caddy.ParseDuration(args[0])
		limit, err2 := caddy.ParseDuration(args[1])
		if err1 != nil || err2 != nil || base <= 0 || base > limit {
			return d.Errf(usage)
		}
		rc.BackoffBase, rc.BackoffCap = caddy.Duration(base), caddy.Duration(limit)
	case "breaker":
		args := d.RemainingArgs()
		const usage = "breaker needs an integer >= 1 and a duration, e.g. 'breaker 10 30s'"
		if len(args) != 2 {
			return d.Errf(usage)
		}
		n, err1 := strconv.Atoi(args[0])
		cooldown, err2 := caddy.ParseDuration(args[1])
		if err1 != nil || err2 != nil || n < 1 || cooldown <= 0 {
			return d.Errf(usage)
		}
		rc.BreakerFailures, rc.BreakerCooldown = n, caddy.Duration(cooldown)
	case "alert":
		return parseRelayAlert(d, rc)
	case "order_by":
		if err := singleArg(d, &rc.OrderBy); err != nil {
			return err
		}
		if _, err := relay.ParseOrderBy(rc.OrderBy); err != nil {
			return d.WrapErr(err)
		}
	case "on_dead":
		if err := singleArg(d, &rc.OnDead); err != nil {
			return err
		}
		if rc.OnDead != "skip" && rc.OnDead != "block" {
			return d.Errf("on_dead %q: want skip or block", rc.OnDead)
		}
	case "rate":
		var s string
		if err := singleArg(d, &s); err != nil {
			return err
		}
		perSecond, ok := parseRate(s)
		if !ok {
			return d.Errf("rate must look like 50/s or 600/m, got %q", s)
		}
		rc.RatePerSecond = perSecond
	default:
		return d.Errf("unknown relay option %q", opt)
	}
	return nil
}

// parseRelayAlert reads "alert <url> { format slack|json; alert_every <d> }".
func parseRelayAlert(d *caddyfile.Dispenser, rc *RelayConfig) error {
	ra := new(RelayAlert)
	if err := singleArg(d, &ra.URL); err != nil {
		return err
	}
	if !hasPlaceholder(ra.URL) && !isHTTPURL(ra.URL) {
		return d.Errf("alert: the URL must be an absolute http(s) URL, e.g. {env.SLACK_WEBHOOK_URL}")
	}
	seen := make(map[string]bool)
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		opt := d.Val()
		if seen[opt] {
			return d.Errf("alert: %s is set twice", opt)
		}
		seen[opt] = true
		switch opt {
		case "format":
			if err := singleArg(d, &ra.Format); err != nil {
				return err
			}
			if ra.Format != alert.FormatSlack && ra.Format != alert.FormatJSON {
				return d.Errf("alert format must be slack or json, got %q", ra.Format)
			}
		case "alert_every":
			if err := durationArg(d, &ra.Every); err != nil {
				return err
			}
		default:
			return d.Errf("unknown alert option %q (format, alert_every)", opt)
		}
	}
	rc.Alert = ra
	return nil
}

// parseRelayAuth reads "basic <user> <password>" or "bearer <token>".
func parseRelayAuth(args []string) (*RelayAuth, error) {
	switch {
	case len(args) == 3 && args[0] == "basic":
		if !hasPlaceholder(args[1]) && strings.Contains(args[1], ":") {
			return nil, errors.New("auth basic user must not contain ':'")
		}
		return &RelayAuth{Type: "basic", Username: args[1], Password: args[2]}, nil
	case len(args) == 2 && args[0] == "bearer":
		return &RelayAuth{Type: "bearer", Token: args[1]}, nil
	}
	return nil, errors.New("auth must be 'basic <user> <password>' or 'bearer <token>'")
}

// parseRate reads "<n>/s" or "<n>/m" as requests per second.
func parseRate(s string) (float64, bool) {
	num, unit, ok := strings.Cut(s, "/")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return 0, false
	}
	switch unit {
	case "s":
		return float64(n), true
	case "m":
		return float64(n) / 60, true
	}
	return 0, false
}

// hasPlaceholder reports whether s is only known at provisioning.
func hasPlaceholder(s string) bool { return strings.Contains(s, "{") }

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}
