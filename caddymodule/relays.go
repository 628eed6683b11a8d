package caddymodule

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/alert"
	"github.com/hookgate/caddy-hookgate/relay"
)

// RelayConfig is one relay: it reads a stream through its own consumer
// group and delivers every event to a target.
type RelayConfig struct {
	// Stream is the name of the stream read. Default "events". Several
	// relays on one stream each get every event (fan-out).
	Stream string `json:"stream,omitempty"`
	// To is the absolute http(s) URL events are POSTed to, e.g.
	// https://wp.example.com/wp-json/hookgate/v1/events.
	To string `json:"to,omitempty"`
	// Routes send the event types a glob matches to another URL, or to a
	// path on the target; the first match wins, others go to To.
	Routes []RelayRoute `json:"routes,omitempty"`
	// Filter lists the event type globs delivered; other events are acked
	// and skipped. Empty delivers everything.
	Filter []string `json:"filter,omitempty"`
	// Secret (whsec_ followed by base64) signs every delivery with the
	// Standard Webhooks headers. Required; placeholders such as
	// {env.RELAY_SECRET} are replaced at provisioning.
	Secret string `json:"secret,omitempty"`
	// Auth sets the Authorization header of every delivery.
	Auth *RelayAuth `json:"auth,omitempty"`
	// Headers are extra request headers; placeholders are replaced at
	// provisioning.
	Headers http.Header `json:"headers,omitempty"`
	// Workers is the number of concurrent deliveries. Default 8.
	Workers int `json:"workers,omitempty"`
	// Timeout bounds one delivery attempt. Default 10s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// MaxAttempts is how many attempts an event gets before it is
	// dead-lettered. Default 8.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// BackoffBase is the first retry delay; each retry doubles it, with
	// full jitter. Default 1s.
	BackoffBase caddy.Duration `json:"backoff_base,omitempty"`
	// BackoffCap bounds the retry delay. Default 10m.
	BackoffCap caddy.Duration `json:"backoff_cap,omitempty"`
	// BreakerFailures is the number of consecutive retryable failures that
	// open the circuit breaker. Default 10.
	BreakerFailures int `json:"breaker_failures,omitempty"`
	// BreakerCooldown is how long the breaker stays open before one probe
	// decides. Default 30s.
	BreakerCooldown caddy.Duration `json:"breaker_cooldown,omitempty"`
	// RatePerSecond bounds delivery attempts to the target; 0 means no
	// limit. The Caddyfile's "rate 600/m" is 10.
	RatePerSecond float64 `json:"rate_per_second,omitempty"`
	// ClaimAfter is how long an entry stays pending with a dead consumer
	// before another takes it over. Default 1m.
	ClaimAfter caddy.Duration `json:"claim_after,omitempty"`
	// Retention is the age past which dead letters are trimmed. Default
	// 7d. Set, it also keeps the stream's finished entries as long, unless
	// the stream's own block sets its retention (default 24h). An entry
	// some relay has not finished is kept, however old.
	Retention caddy.Duration `json:"retention,omitempty"`
	// Start is where a relay whose consumer group does not exist yet (a new
	// or renamed relay) begins: "new" (default) delivers the events stored
	// since the relay started, "all" every event still retained, a
	// duration such as "24h" or "2d" the events younger than that. An
	// existing group is never moved, so changing it later does nothing.
	Start string `json:"start,omitempty"`
	// Alert POSTs a short summary when events are dead-lettered.
	Alert *RelayAlert `json:"alert,omitempty"`
	// OrderBy delivers the events of one key in ingest order, one at a
	// time, other keys not held up: a dotted JSON path into the stored
	// body (data.object.customer), header:<Name>, tenant or source. An
	// event without the key goes unordered. Empty orders nothing.
	OrderBy string `json:"order_by,omitempty"`
	// OnDead is what a dead-lettered head of a key does to the events
	// behind it: "skip" (default) lets them go, "block" holds the key
	// until its dead letter is replayed or purged.
	OnDead string `json:"on_dead,omitempty"`
}

// RelayAlert tells an operator about dead letters: the first at once, the
// rest of a window in one summary at its end. A summary names the relay,
// the count, the first event ids and the last status and error; never a
// payload or a secret.
type RelayAlert struct {
	// URL receives the summaries, e.g. a Slack incoming webhook;
	// placeholders such as {env.SLACK_WEBHOOK_URL} are replaced at
	// provisioning. It is never logged.
	URL string `json:"url,omitempty"`
	// Format is "slack" (default: {"text": ...}) or "json".
	Format string `json:"format,omitempty"`
	// Every is the shortest time between two summaries. Default 5m.
	Every caddy.Duration `json:"every,omitempty"`
}

// RelayRoute sends the event types Glob matches to URL.
type RelayRoute struct {
	// Glob matches event types, e.g. "customer.*".
	Glob string `json:"glob,omitempty"`
	// URL is absolute, or a path resolved against the relay's target.
	URL string `json:"url,omitempty"`
}

// RelayAuth is the Authorization of a relay's deliveries.
type RelayAuth struct {
	// Type is "basic" (WordPress Application Passwords) or "bearer".
	Type string `json:"type,omitempty"`
	// Username for basic; placeholders allowed.
	Username string `json:"username,omitempty"`
	// Password for basic; placeholders allowed.
	Password string `json:"password,omitempty"`
	// Token for bearer; placeholders allowed.
	Token string `json:"token,omitempty"`
}

// runningRelay is one provisioned relay of this config.
type runningRelay struct {
	name    string
	stream  string
	relay   *relay.Relay
	alert   *alert.Alerter // nil without an alert
	timeout time.Duration
}

// relayName keeps names usable in Redis keys and consumer group names: a
// brace would move the cluster hash tag.
var relayName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// reservedHeaders are set by the relay on every delivery; a configured value
// would break the signature or the idempotency contract, or be ignored.
var reservedHeaders = []string{
	"Content-Length", "Content-Type", "Host", "Idempotency-Key", "Traceparent",
	"Webhook-Id", "Webhook-Signature", "Webhook-Timestamp", "X-Request-Id",
}

// consumerName is this process's part of the consumer names; the relay
// adds a counter per instance, since a reload runs the new relay beside the
// old one for a moment. The random part keeps two processes apart even
// where hostname and pid repeat (containers), so no process mistakes
// another's pending entries for its own.
var consumerName = sync.OnceValue(func() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "caddy"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails on supported platforms
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
})

// provisionRelays builds every relay on the relays' shared Redis client. Nothing
// runs until Start.
func (a *App) provisionRelays(ctx caddy.Context) error {
	repl := caddy.NewReplacer()
	names := make([]string, 0, len(a.Relays))
	for name := range a.Relays {
		names = append(names, name)
	}
	slices.Sort(names)
	cfgs := make([]relay.Config, len(names))
	// A stream is trimmed by the longest retention of the relays reading
	// it, so a short one cannot drop what another has yet to deliver.
	keep := map[string]time.Duration{}
	for i, name := range names {
		rc := a.Relays[name]
		if rc == nil {
			return fmt.Errorf("relay %q: empty configuration", name)
		}
		cfg, err := rc.relayConfig(name, a.Prefix, repl)
		if err != nil {
			return fmt.Errorf("relay %q: %w", name, err)
		}
		keep[cfg.Keys.Name()] = max(keep[cfg.Keys.Name()], cfg.Retention)
		cfg.Retention = cmp.Or(cfg.Retention, relay.DefaultRetention)
		cfg.Partitions = a.partitionsOf(cfg.Keys.Name())
		cfgs[i] = cfg
	}
	for i, name := range names {
		cfg := cfgs[i]
		cfg.StreamRetention = a.streamRetention(cfg.Keys.Name(), keep)
		cfg.Consumer = consumerName()
		cfg.Tracing = a.tracing.provider
		logger := ctx.Logger().Named("relay." + name)
		alerter, err := a.Relays[name].alerter(name, repl, logger.Named("alert"))
		if err != nil {
			return fmt.Errorf("relay %q: %w", name, err)
		}
		if alerter != nil {
			cfg.Observer = alerter
		}
		if !a.MetricsOff {
			cfg.Observer = newRelayMeter(name, cfg.Observer)
		}
		r, err := relay.New(a.store.relays, cfg, logger)
		if err != nil {
			return fmt.Errorf("relay %q: %w", name, err)
		}
		// Zero means the relay's default applies; Stop waits on it.
		timeout := cfg.Timeout
		if timeout == 0 {
			timeout = relay.DefaultTimeout
		}
		warnShortTimeout(logger, timeout)
		a.relays = append(a.relays, runningRelay{name: name, stream: cmp.Or(a.Relays[name].Stream, DefaultStream), relay: r, alert: alerter, timeout: timeout})
	}
	return nil
}

// relayConfig checks rc and translates it, placeholders replaced, into the
// relay package's terms. Consumer is left to the caller.
func (rc *RelayConfig) relayConfig(name, prefix string, repl *caddy.Replacer) (relay.Config, error) {
	if !relayName.MatchString(name) {
		return relay.Config{}, fmt.Errorf("name must be letters, digits, '.', '_' or '-'")
	}
	stream := rc.Stream
	if stream == "" {
		stream = DefaultStream
	}
	keys, err := relay.NewKeys(prefix, stream)
	if err != nil {
		return relay.Config{}, err
	}
	to := repl.ReplaceAll(rc.To, "")
	if to == "" {
		return relay.Config{}, fmt.Errorf("needs a target: to <url>")
	}
	secret, err := relaySecret(repl.ReplaceAll(rc.Secret, ""))
	if err != nil {
		return relay.Config{}, err
	}
	header := make(http.Header, len(rc.Headers)+1)
	for k, vals := range rc.Headers {
		if err := checkRelayHeader(k); err != nil {
			return relay.Config{}, err
		}
		for _, v := range vals {
			header.Add(k, repl.ReplaceAll(v, ""))
		}
	}
	if rc.Auth != nil {
		if header.Get("Authorization") != "" {
			return relay.Config{}, fmt.Errorf("auth and an Authorization header are both set")
		}
		auth, err := rc.Auth.header(repl)
		if err != nil {
			return relay.Config{}, err
		}
		header.Set("Authorization", auth)
	}
	if rc.RatePerSecond < 0 {
		return relay.Config{}, fmt.Errorf("rate must be positive")
	}
	routes := make([]relay.Route, len(rc.Routes))
	for i, r := range rc.Routes {
		routes[i] = relay.Route{Glob: r.Glob, URL: repl.ReplaceAll(r.URL, "")}
	}
	start, err := parseStart(rc.Start)
	if err != nil {
		return relay.Config{}, err
	}
	orderBy, onDead, err := rc.order()
	if err != nil {
		return relay.Config{}, err
	}
	return relay.Config{
		OrderBy:     orderBy,
		OnDead:      onDead,
		Start:       start,
		Name:        name,
		Keys:        keys,
		To:          to,
		Routes:      routes,
		Filter:      rc.Filter,
		Secret:      secret,
		Header:      header,
		Workers:     rc.Workers,
		Timeout:     time.Duration(rc.Timeout),
		MaxAttempts: rc.MaxAttempts,
		BackoffBase: time.Duration(rc.BackoffBase),
		BackoffCap:  time.Duration(rc.BackoffCap),
		Failures:    rc.BreakerFailures,
		Cooldown:    time.Duration(rc.BreakerCooldown),
		ClaimAfter:  time.Duration(rc.ClaimAfter),
		Retention:   time.Duration(rc.Retention),
		Rate:        rc.RatePerSecond,
	}, nil
}

// streamRetention is how long stream keeps finished entries: its stream
// block's retention, else the longest a relay reading it sets, else
// DefaultStreamRetention. relayKeep holds the relays' own, by stream.
func (a *App) streamRetention(stream string, relayKeep map[string]time.Duration) time.Duration {
	if sc := a.Streams[stream]; sc != nil && sc.Retention > 0 {
		return time.Duration(sc.Retention)
	}
	return cmp.Or(relayKeep[stream], DefaultStreamRetention)
}

// orderedOn lists the relays with order_by that read stream, for ingest
// to queue each new entry for them; nil when there are none, so an
// unordered stream's ingest does no work for ordering.
func (a *App) orderedOn(stream string) ([]relay.Ordered, error) {
	var out []relay.Ordered
	for name, rc := range a.Relays {
		if cmp.Or(rc.Stream, DefaultStream) != stream || rc.OrderBy == "" {
			continue
		}
		by, _, err := rc.order()
		if err != nil {
			return nil, fmt.Errorf("relay %s: %w", name, err)
		}
		out = append(out, relay.Ordered{Relay: name, By: by})
	}
	slices.SortFunc(out, func(a, b relay.Ordered) int { return strings.Compare(a.Relay, b.Relay) })
	return out, nil
}

// order reads order_by and on_dead.
func (rc *RelayConfig) order() (relay.OrderBy, relay.OnDead, error) {
	by, err := relay.ParseOrderBy(rc.OrderBy)
	if err != nil {
		return by, 0, err
	}
	switch rc.OnDead {
	case "", "skip":
		return by, relay.DeadSkips, nil
	case "block":
		if !by.Ordered() {
			return by, 0, errors.New("on_dead block needs order_by")
		}
		return by, relay.DeadBlocks, nil
	}
	return by, 0, fmt.Errorf("on_dead %q: want skip or block", rc.OnDead)
}

// alerter builds the relay's alert; nil when it has none.
func (rc *RelayConfig) alerter(name string, repl *caddy.Replacer, logger *zap.Logger) (*alert.Alerter, error) {
	if rc.Alert == nil {
		return nil, nil
	}
	url := repl.ReplaceAll(rc.Alert.URL, "")
	if url != "" && !isHTTPURL(url) {
		return nil, errors.New("alert: the URL must be an absolute http(s) URL")
	}
	return alert.New(alert.Config{Relay: name, URL: url, Format: rc.Alert.Format, Every: time.Duration(rc.Alert.Every), Logger: logger})
}

// parseStart reads the start option: new, all or a duration.
func parseStart(s string) (relay.Start, error) {
	switch s {
	case "", "new":
		return relay.StartNew, nil
	case "all":
		return relay.StartAll, nil
	}
	d, err := caddy.ParseDuration(s)
	if err != nil || d <= 0 {
		return relay.Start{}, fmt.Errorf("start must be new, all or a positive duration such as 24h, got %q", s)
	}
	return relay.StartSince(d), nil
}

// shortTimeout is the attempt timeout below which a start-up warning is
// logged.
const shortTimeout = 5 * time.Second

// warnShortTimeout warns about an attempt timeout short enough to cut
// receivers off mid-work: the receiver has done the work by then, the
// relay counts a timeout and sends it again, and every attempt ends the
// same way until the event is dead-lettered.
func warnShortTimeout(logger *zap.Logger, timeout time.Duration) {
	if timeout < shortTimeout {
		logger.Warn("relay timeout is short: a receiver slower than this processes every attempt and the relay still "+
			"counts each as timed out, retries it and finally dead-letters it; allow the receiver's slowest processing time",
			zap.Duration("timeout", timeout), zap.Duration("suggested_at_least", shortTimeout))
	}
}

// relaySecret checks a signing secret the way the Standard Webhooks
// libraries will read it on the receiving side. Errors never quote it.
func relaySecret(s string) (string, error) {
	if s == "" {
		return "", errors.New("needs a secret to sign deliveries (empty after replacing placeholders: is its environment variable set?)")
	}
	enc, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return "", errors.New("secret must start with whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(key) == 0 {
		return "", errors.New("secret must be whsec_ followed by base64")
	}
	return s, nil
}

// header is the Authorization value, placeholders replaced.
func (ra *RelayAuth) header(repl *caddy.Replacer) (string, error) {
	switch ra.Type {
	case "basic":
		user := repl.ReplaceAll(ra.Username, "")
		pass := repl.ReplaceAll(ra.Password, "")
		if user == "" || pass == "" {
			return "", errors.New("auth basic needs a user and a password (empty after replacing placeholders?)")
		}
		// RFC 7617: a colon in the user would be read as the separator.
		if strings.Contains(user, ":") {
			return "", errors.New("auth basic user must not contain ':'")
		}
		return "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass)), nil
	case "bearer":
		token := repl.ReplaceAll(ra.Token, "")
		if token == "" {
			return "", errors.New("auth bearer needs a token (empty after replacing placeholders?)")
		}
		return "Bearer " + token, nil
	default:
		return "", fmt.Errorf("auth type must be basic or bearer, not %q", ra.Type)
	}
}

// checkRelayHeader refuses headers the relay sets itself.
func checkRelayHeader(name string) error {
	if name == "" || strings.ContainsAny(name, " \t:\r\n") {
		return fmt.Errorf("invalid header name %q", name)
	}
	canon := http.CanonicalHeaderKey(name)
	if slices.Contains(reservedHeaders, canon) {
		return fmt.Errorf("header %s is set by the relay itself", canon)
	}
	return nil
}

// startRelays starts every relay; if one fails, those already started are
// stopped so a failed config load leaves nothing running.
func (a *App) startRelays() error {
	for i, r := range a.relays {
		if err := r.relay.Start(); err != nil {
			err = fmt.Errorf("starting relay %q: %w", r.name, err)
			if err2 := stopRelays(a.relays[:i]); err2 != nil {
				err = fmt.Errorf("%w; additionally, %w", err, err2)
			}
			return err
		}
	}
	return nil
}

// stopRelays stops relays concurrently, so a reload waits for one bound,
// not one per relay. The bound lets an attempt in flight end on its own
// timeout; what is still unfinished stays pending in Redis and is taken up
// again after the reload.
func stopRelays(relays []runningRelay) error {
	if len(relays) == 0 {
		return nil
	}
	var longest time.Duration
	for _, r := range relays {
		longest = max(longest, r.timeout)
	}
	ctx, cancel := context.WithTimeout(context.Background(), longest+relayStopGrace)
	defer cancel()
	errs := make([]error, len(relays))
	var wg sync.WaitGroup
	for i, r := range relays {
		wg.Go(func() {
			if err := r.relay.Stop(ctx); err != nil {
				errs[i] = fmt.Errorf("stopping relay %q: %w", r.name, err)
			}
			// After the relay: its last attempts' dead letters are in the
			// summary Close sends.
			if r.alert != nil {
				actx, cancel := context.WithTimeout(context.Background(), alertStopGrace)
				r.alert.Close(actx)
				cancel()
			}
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

// alertStopGrace bounds how long a stop waits for the last dead-letter
// summary to reach its receiver.
const alertStopGrace = 3 * time.Second

// relayStopGrace is added to the attempt timeout for the acks and
// reschedules that follow the last attempts.
const relayStopGrace = 5 * time.Second
