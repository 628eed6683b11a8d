package caddymodule

import (
	"net"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("webhook", parseWebhook)
	// Ahead of respond, reverse_proxy, php_fastcgi and file_server, so
	// users need no order line.
	httpcaddyfile.RegisterDirectiveOrder("webhook", httpcaddyfile.Before, "respond")
	httpcaddyfile.RegisterGlobalOption("hookgate", parseGlobal)
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens. Syntax:
//
//	webhook [<matcher>] <provider> {
//	    secret     <value> [<value>...]   # several = rotation; {env.NAME} placeholders
//	    tenant_secret <tenant> <value>... # instead of secret: each tenant its own (repeatable; needs a tenant placeholder)
//	    tenant_secrets <list>             # "tenant:secret,tenant:secret", usually {env.NAME}; a tenant twice = rotation
//	    tolerance  <duration>             # default 5m
//	    max_size   <size>                 # default 1MiB; 512KB, 2MiB, ...
//	    tenant     <value>                # default "default"; placeholders allowed
//	    stream     <name>                 # default "events"
//	    dedupe_ttl <duration>             # default 72h
//	    read_timeout <duration>           # the whole body must arrive within it, else 408; default 10s
//	    dedupe_scope <name>               # share one dedupe namespace between routes; default: one per secret
//	    max_depth  <n>                    # deepest JSON nesting, default 64
//	    log_payloads [<size>]             # debugging: log up to <size> (default 4KiB) of each body; off by default
//	    # provider options, e.g. for hmac:
//	    header           <name>
//	    algorithm        sha1|sha256|sha512
//	    encoding         hex|base64
//	    prefix           <string>
//	    timestamp_header <name>
//	    id_header | id_field | type_header | type_field  <name>
//	}
//
// Providers: stripe, github, standard, wordpress, hmac, token, or any module
// in the http.handlers.webhook.verifiers namespace.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if !d.NextArg() {
		return d.Errf("webhook needs a provider, e.g. 'webhook stripe'")
	}
	name := d.Val()
	mod, err := caddy.GetModule(providerNamespace + "." + name)
	if err != nil {
		return d.Errf("unknown webhook provider %q", name)
	}
	provider := mod.New()
	if d.NextArg() {
		return d.Errf("webhook takes one provider, got extra argument %q", d.Val())
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "secret":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.Secrets = append(h.Secrets, args...)
		case "tenant_secret":
			args := d.RemainingArgs()
			if len(args) < 2 {
				return d.Errf("tenant_secret needs a tenant and at least one secret, e.g. 'tenant_secret acme {env.ACME_STRIPE_SECRET}'")
			}
			// As a request's tenant is: lowercased, then checked.
			tenant, err := verifier.NormalizeTenant(args[0])
			if err != nil {
				return d.Errf("tenant_secret: tenant %q: use 1 to %d characters of A-Z a-z 0-9 . _ -", args[0], verifier.MaxTenantLen)
			}
			if h.TenantSecrets == nil {
				h.TenantSecrets = make(map[string][]string)
			}
			h.TenantSecrets[tenant] = append(h.TenantSecrets[tenant], args[1:]...)
		case "tenant_secrets":
			var list string
			if err := singleArg(d, &list); err != nil {
				return err
			}
			h.TenantSecretLists = append(h.TenantSecretLists, list)
		case "tolerance":
			if err := durationArg(d, &h.Tolerance); err != nil {
				return err
			}
		case "dedupe_ttl":
			if err := durationArg(d, &h.DedupeTTL); err != nil {
				return err
			}
		case "read_timeout":
			if err := durationArg(d, &h.ReadTimeout); err != nil {
				return err
			}
		case "max_size":
			if err := sizeArg(d, &h.MaxSize); err != nil {
				return err
			}
		case "tenant":
			if err := singleArg(d, &h.Tenant); err != nil {
				return err
			}
		case "dedupe_scope":
			if err := singleArg(d, &h.DedupeScope); err != nil {
				return err
			}
			if _, err := verifier.NamedScope(h.DedupeScope); err != nil {
				return d.Err(err.Error())
			}
		case "max_depth":
			if err := countArg(d, &h.MaxDepth); err != nil {
				return err
			}
			if h.MaxDepth > event.MaxDepthLimit {
				return d.Errf("max_depth must be at most %d", event.MaxDepthLimit)
			}
		case "log_payloads":
			h.LogPayloads = defaultLoggedPayload
			if d.CountRemainingArgs() > 0 {
				if err := sizeArg(d, &h.LogPayloads); err != nil {
					return err
				}
			}
		case "stream":
			if err := singleArg(d, &h.Stream); err != nil {
				return err
			}
			if strings.ContainsAny(h.Stream, "{}") {
				return d.Errf("stream name %q must not contain braces", h.Stream)
			}
		default:
			opts, ok := provider.(ProviderOptions)
			if !ok {
				return d.Errf("unknown webhook option %q for provider %s", d.Val(), name)
			}
			if err := opts.UnmarshalOption(d); err != nil {
				return err
			}
		}
	}
	perTenant := len(h.TenantSecrets) > 0 || len(h.TenantSecretLists) > 0
	switch {
	case len(h.Secrets) == 0 && !perTenant:
		return d.Errf("webhook %s needs at least one secret (or tenant_secret / tenant_secrets)", name)
	case len(h.Secrets) > 0 && perTenant:
		return d.Errf("webhook %s: secret and tenant_secret/tenant_secrets cannot be combined: a route-wide secret would verify a request for any tenant", name)
	case perTenant && !strings.Contains(h.Tenant, "{"):
		return d.Errf("webhook %s: tenant_secret needs the tenant taken from the request, e.g. tenant {http.request.uri.path.2}", name)
	}
	h.ProviderRaw = caddyconfig.JSONModuleObject(provider, "name", name, nil)
	return nil
}

func parseWebhook(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var w Handler
	err := w.UnmarshalCaddyfile(h.Dispenser)
	return &w, err
}

// parseGlobal sets up the hookgate app from the global options block:
//
//	{
//	    hookgate {
//	        # the connection: one of redis, redis_cluster, redis_sentinel
//	        redis   <url>        # one server, default redis://127.0.0.1:6379/0; {env.REDIS_URL}; rediss:// for TLS
//	        redis_cluster <host:port>...                  # seed nodes of a Redis Cluster
//	        redis_sentinel <master-name> <host:port>...   # the master Sentinel names
//	        username <name>      # ACL user; placeholders allowed
//	        password <secret>    # {env.REDIS_PASSWORD}; never logged
//	        sentinel_username <name>     # redis_sentinel: the sentinels' own ACL user; placeholders allowed
//	        sentinel_password <secret>   # redis_sentinel: the sentinels' own password; {env.SENTINEL_PASSWORD}; never logged
//	        tls                  # cluster/sentinel: connect over TLS
//	        tls_ca  <file>       # PEM CAs to trust instead of the system's (turns tls on)
//	        pool_size <n>        # connections per Redis node, for ingest and for the relays
//	        prefix  <string>     # key prefix, default "hookgate"
//	        timeout <duration>   # bound on one Redis append, default 2s
//	        max_buffered <size>  # bytes all bodies being received may hold before they are verified, default 64MiB; past it: 503
//	        durability acked|replicas <n> [<timeout>]|fsync [<timeout>]   # what a 202 waits for, default acked; wait default 1s
//	        metrics off          # leave Hookgate's metrics out (they are on by default)
//	        metrics_tenant_label # the tenant as a label of the ingest metrics
//
//	        stream <name> {      # repeatable, one per stream name: its layout
//	            partitions <n>   # streams of their own hash tag, spread over a Cluster; default 1; may change live
//	            retention  <duration>   # finished entries kept for redelivery and lookup; default the longest relay retention, else 24h
//	        }
//
//	        archive <dir> {      # repeatable, one per stream: every stored event as gzip JSON lines on disk
//	            stream <name>    # default "events"
//	            rotate <size>    # a new file past this compressed size, default 100MiB
//	            daily  on|off    # also a new file at the first write of each UTC day, default on
//	            keep   <n>|<duration>...   # rotated files kept, by count and/or age, default 30d; 0 keeps all
//	        }
//
//	        relay <name> {                          # repeatable; the name is the consumer group
//	            stream       <name>                 # default "events"; relays on one stream each get every event
//	            to           <url>                  # required, e.g. https://wp.example.com/wp-json/hookgate/v1/events
//	            route        <type-glob> <url|path> # repeatable, first match wins: customer.* /wp-json/hookgate/v1/user-sync
//	            filter       <type-glob>...         # only these event types; others are acked and skipped
//	            secret       <whsec_...>            # required, signs every delivery; {env.RELAY_SECRET}
//	            auth         basic <user> <password> | bearer <token>   # placeholders allowed
//	            header       <name> <value>         # repeatable
//	            workers      <n>                    # default 8
//	            timeout      <duration>             # per attempt, default 10s
//	            max_attempts <n>                    # default 8
//	            backoff      <base> <cap>           # default 1s 10m
//	            breaker      <failures> <cooldown>  # default 10 30s
//	            rate         <n>/s | <n>/m          # per-target limit, default none
//	            claim_after  <duration>             # default 1m
//	            start        new|all|<duration>     # where a new relay's group begins, default new
//	            retention    <duration>             # dead letters, default 7d; set, also the stream's unless its block sets one
//	            order_by     <json.path>|header:<Name>|tenant|source   # per-key FIFO, one in flight per key
//	            on_dead      skip|block             # a dead head lets its key go on (default) or holds it until replayed or purged
//	            alert        <url> {                # dead letters: the first at once, then one summary per window
//	                format      slack|json          # default slack ({"text": ...})
//	                alert_every <duration>          # default 5m
//	            }
//	        }
//	    }
//	}
func parseGlobal(d *caddyfile.Dispenser, _ any) (any, error) {
	var app App
	var form string // the connection option given, once
	// sentinelAuth refuses sentinel credentials, at their line, unless the
	// connection turns out to be redis_sentinel.
	var sentinelAuth error
	d.Next() // option name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for d.NextBlock(0) {
		switch d.Val() {
		case "redis", "redis_cluster", "redis_sentinel":
			if form != "" {
				return nil, d.Errf("%s: the connection is already set by %s; use one of redis, redis_cluster and redis_sentinel", d.Val(), form)
			}
			form = d.Val()
			if err := parseConnection(d, &app); err != nil {
				return nil, err
			}
			if form == "redis" && app.TLS {
				return nil, d.Err("redis: tls is set; for a single server, use a rediss:// URL instead")
			}
		case "username":
			if err := singleArg(d, &app.Username); err != nil {
				return nil, err
			}
		case "password":
			if err := singleArg(d, &app.Password); err != nil {
				return nil, err
			}
		case "sentinel_username", "sentinel_password":
			name, dst := d.Val(), &app.SentinelUsername
			if name == "sentinel_password" {
				dst = &app.SentinelPassword
			}
			if sentinelAuth == nil {
				sentinelAuth = d.Errf("%s is for redis_sentinel: the sentinels' own credentials", name)
			}
			if err := singleArg(d, dst); err != nil {
				return nil, err
			}
		case "tls":
			if d.NextArg() {
				return nil, d.Errf("tls takes no argument, got %q", d.Val())
			}
			if form == "redis" {
				return nil, d.Err("tls: for a single server, use a rediss:// URL")
			}
			app.TLS = true
		case "tls_ca":
			if err := singleArg(d, &app.TLSCA); err != nil {
				return nil, err
			}
		case "pool_size":
			if err := countArg(d, &app.PoolSize); err != nil {
				return nil, err
			}
		case "prefix":
			if err := singleArg(d, &app.Prefix); err != nil {
				return nil, err
			}
			if strings.ContainsAny(app.Prefix, "{}") {
				return nil, d.Errf("prefix %q must not contain braces", app.Prefix)
			}
		case "timeout":
			if err := durationArg(d, &app.Timeout); err != nil {
				return nil, err
			}
		case "max_buffered":
			if err := sizeArg(d, &app.MaxBuffered); err != nil {
				return nil, err
			}
		case "durability":
			dur, err := durabilityArgs(d)
			if err != nil {
				return nil, err
			}
			app.Durability = dur
		case "metrics":
			// Only "off": on is the default.
			if !d.NextArg() || d.Val() != "off" || d.NextArg() {
				return nil, d.Err("metrics takes one argument: off")
			}
			app.MetricsOff = true
		case "metrics_tenant_label":
			if d.NextArg() {
				return nil, d.ArgErr()
			}
			app.MetricsTenantLabel = true
		case "archive":
			if err := parseArchive(d, &app); err != nil {
				return nil, err
			}
		case "stream":
			if err := parseStream(d, &app); err != nil {
				return nil, err
			}
		case "relay":
			if app.Relays == nil {
				app.Relays = make(map[string]*RelayConfig)
			}
			if err := parseRelay(d, app.Relays); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("unknown hookgate option %q", d.Val())
		}
	}
	if sentinelAuth != nil && form != "redis_sentinel" {
		return nil, sentinelAuth
	}
	return httpcaddyfile.App{Name: "hookgate", Value: caddyconfig.JSON(app, nil)}, nil
}

// parseConnection reads the arguments of redis, redis_cluster or
// redis_sentinel.
func parseConnection(d *caddyfile.Dispenser, app *App) error {
	name := d.Val()
	args := d.RemainingArgs()
	switch name {
	case "redis":
		if len(args) != 1 {
			return d.Err("redis takes one URL, e.g. redis redis://127.0.0.1:6379/0")
		}
		app.Redis = args[0]
		return nil
	case "redis_cluster":
		if len(args) == 0 {
			return d.Err("redis_cluster needs at least one seed address, e.g. redis_cluster 10.0.0.1:6379 10.0.0.2:6379")
		}
		app.RedisCluster = args
	default:
		if len(args) < 2 {
			return d.Err("redis_sentinel needs a master name and at least one sentinel address, e.g. redis_sentinel mymaster 10.0.0.1:26379")
		}
		app.SentinelMaster, app.Sentinels = args[0], args[1:]
		args = args[1:]
	}
	for _, addr := range args {
		if strings.Contains(addr, "{") {
			continue // a placeholder, resolved at provisioning
		}
		host, port, err := net.SplitHostPort(addr)
		if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
			return d.Errf("%s: %q is not a host:port address", name, addr)
		}
	}
	return nil
}

func countArg(d *caddyfile.Dispenser, dst *int) error {
	name := d.Val()
	var s string
	if err := singleArg(d, &s); err != nil {
		return err
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return d.Errf("%s must be an integer >= 1, got %q", name, s)
	}
	*dst = n
	return nil
}

// sizeArg parses a size such as 512KB or 2MiB.
func sizeArg(d *caddyfile.Dispenser, dst *int64) error {
	name := d.Val()
	var s string
	if err := singleArg(d, &s); err != nil {
		return err
	}
	size, err := humanize.ParseBytes(s)
	if err != nil || size == 0 || size > 1<<40 {
		return d.Errf("%s: invalid size %q", name, s)
	}
	*dst = int64(size)
	return nil
}

func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	name := d.Val()
	var s string
	if err := singleArg(d, &s); err != nil {
		return err
	}
	v, err := caddy.ParseDuration(s)
	if err != nil || v <= 0 {
		return d.Errf("%s: invalid duration %q", name, s)
	}
	*dst = caddy.Duration(v)
	return nil
}

// Interface guards
var _ caddyfile.Unmarshaler = (*Handler)(nil)

// durabilityArgs parses 'durability acked|replicas <n> [<timeout>]|fsync [<timeout>]'.
func durabilityArgs(d *caddyfile.Dispenser) (*Durability, error) {
	const usage = "durability takes acked, replicas <n> [<timeout>] or fsync [<timeout>]"
	args := d.RemainingArgs()
	if len(args) == 0 {
		return nil, d.Err(usage)
	}
	out := &Durability{Mode: args[0]}
	rest := args[1:]
	switch out.Mode {
	case "acked":
		if len(rest) > 0 {
			return nil, d.Errf("durability acked takes no argument, got %q", rest[0])
		}
		return out, nil
	case "replicas":
		if len(rest) == 0 || len(rest) > 2 {
			return nil, d.Err("durability replicas takes a replica count and an optional timeout, e.g. durability replicas 1 1s")
		}
		n, err := strconv.Atoi(rest[0])
		if err != nil || n < 1 {
			return nil, d.Errf("durability replicas: the count must be an integer >= 1, got %q", rest[0])
		}
		out.Replicas, rest = n, rest[1:]
	case "fsync":
		if len(rest) > 1 {
			return nil, d.Err("durability fsync takes an optional timeout, e.g. durability fsync 1s")
		}
	default:
		return nil, d.Errf("%s, got %q", usage, out.Mode)
	}
	if len(rest) == 1 {
		v, err := caddy.ParseDuration(rest[0])
		if err != nil || v <= 0 {
			return nil, d.Errf("durability %s: invalid timeout %q", out.Mode, rest[0])
		}
		out.Timeout = caddy.Duration(v)
	}
	return out, nil
}
