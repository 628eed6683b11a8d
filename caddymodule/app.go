// Package caddymodule is the Caddy glue of Hookgate: module registration,
// Caddyfile parsing, the webhook handler and the app that owns the Redis
// client. It only translates between Caddy and the verifier, event and relay
// packages.
package caddymodule

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

func init() {
	caddy.RegisterModule(App{})
}

// Defaults of the global hookgate options.
const (
	DefaultRedis   = "redis://127.0.0.1:6379/0"
	DefaultPrefix  = "hookgate"
	DefaultTimeout = 2 * time.Second
)

// App is the hookgate app: the Redis connection shared by every webhook
// route, and the relays that deliver what they store. It exists with
// defaults even when the Caddyfile has no hookgate block.
type App struct {
	// Redis URL (redis://, rediss://, unix://) of a single server;
	// placeholders such as {env.REDIS_URL} are replaced at provisioning.
	// Default redis://127.0.0.1:6379/0 when no other form is given.
	Redis string `json:"redis,omitempty"`
	// RedisCluster are seed addresses (host:port) of a Redis Cluster,
	// instead of Redis.
	RedisCluster []string `json:"redis_cluster,omitempty"`
	// SentinelMaster is the master name Sentinel monitors, and Sentinels
	// the sentinels' addresses (host:port), instead of Redis.
	SentinelMaster string   `json:"sentinel_master,omitempty"`
	Sentinels      []string `json:"sentinels,omitempty"`
	// Username and Password authenticate to Redis (ACL user, or the
	// requirepass password with no username); placeholders allowed. They
	// override those of a URL. Sentinels themselves are asked without them.
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	// SentinelUsername and SentinelPassword authenticate to the sentinels
	// of redis_sentinel (an ACL user, or the sentinels' requirepass with
	// no username); placeholders allowed, never logged. Default: none.
	SentinelUsername string `json:"sentinel_username,omitempty"`
	SentinelPassword string `json:"sentinel_password,omitempty"`
	// TLS connects to a Cluster's nodes or a Sentinel's master over TLS
	// (a single server: a rediss:// URL). TLSCA is a PEM file of the
	// certificate authorities to trust instead of the system's; it turns
	// TLS on.
	TLS   bool   `json:"tls,omitempty"`
	TLSCA string `json:"tls_ca,omitempty"`
	// PoolSize is the most connections each client (ingest, relays) keeps
	// to one Redis node. Default: go-redis's 10 per CPU for ingest, and
	// at least 100 for the relays.
	PoolSize int `json:"pool_size,omitempty"`
	// Prefix of every key Hookgate writes. Default "hookgate".
	Prefix string `json:"prefix,omitempty"`
	// Timeout bounds one append in Redis; past it ingest answers 503 so the
	// provider retries. Default 2s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// MaxBuffered bounds the bytes that bodies being received hold in
	// memory, on every route together, before their signature is checked;
	// past it new requests get 503 with Retry-After before their body is
	// read. Default 64 MiB.
	MaxBuffered int64 `json:"max_buffered,omitempty"`
	// Durability is what a 202 waits for beyond Redis executing the
	// append. Default acked; see Durability.
	Durability *Durability `json:"durability,omitempty"`
	// Streams lay out the streams that need more than the defaults: their
	// partitions and retention, by stream name.
	Streams map[string]*StreamConfig `json:"streams,omitempty"`
	// Relays deliver stored events to their targets, keyed by name; the
	// name is the consumer group, so it must stay the same across reloads
	// for a relay to resume where it stopped.
	Relays map[string]*RelayConfig `json:"relays,omitempty"`
	// Archives write every event stored in a stream to rotated,
	// compressed JSON lines on disk, one archive per stream.
	Archives []*ArchiveConfig `json:"archives,omitempty"`
	// MetricsOff leaves Hookgate's metrics out of Caddy's registry and
	// its hot path, for measuring what they cost.
	MetricsOff bool `json:"metrics_off,omitempty"`
	// MetricsTenantLabel adds the tenant as a label of the ingest
	// metrics. Off by default: tenants may be many, and every one is a
	// series of its own.
	MetricsTenantLabel bool `json:"metrics_tenant_label,omitempty"`

	store    *store
	places   *placements
	budget   budget
	relays   []runningRelay
	archives []runningArchive
	// watch adds archive writers for partitions found after start
	// (archive.go); nil without an archive.
	watch   *archiveWatch
	key     string
	logger  *zap.Logger
	signers *signerStreams // which stream each signer stores into
	gauges  *gauges        // nil with metrics off
	tracing *tracing       // the provider of Caddy's tracing, once a route saw it
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{
		ID:  "hookgate",
		New: func() caddy.Module { return new(App) },
	}
}

// stores holds one Redis client and appender per URL and bound, shared by
// every config that names them, so a reload keeps its connections.
var stores = caddy.NewUsagePool()

type store struct {
	rdb      redis.UniversalClient
	appender *relay.Appender
	// relays is the relays' own client: their blocking reads and bursts of
	// moves wait for its connections, never for the ones ingest appends on.
	relays redis.UniversalClient
	// cancel stops the start-up description of the server; announced is
	// closed once it has stopped.
	cancel    context.CancelFunc
	announced chan struct{}
}

func (s *store) Destruct() error {
	s.cancel()
	<-s.announced
	s.appender.Close()
	return errors.Join(s.relays.Close(), s.rdb.Close())
}

// Provision resolves placeholders and takes the shared store.
func (a *App) Provision(ctx caddy.Context) error {
	a.logger = ctx.Logger()
	a.signers = new(signerStreams)
	a.tracing = new(tracing)
	if a.Prefix == "" {
		a.Prefix = DefaultPrefix
	}
	if a.Timeout == 0 {
		a.Timeout = caddy.Duration(DefaultTimeout)
	}
	if a.MaxBuffered == 0 {
		a.MaxBuffered = DefaultMaxBuffered
	}
	if a.MaxBuffered < 0 {
		return fmt.Errorf("hookgate max_buffered must be positive")
	}
	a.budget = budget{limit: a.MaxBuffered, held: &bufferedBytes}
	if _, err := relay.NewKeys(a.Prefix, "probe"); err != nil {
		return fmt.Errorf("hookgate prefix: %w", err)
	}
	conn, err := a.connectionOf()
	if err != nil {
		return err
	}
	durability, err := a.durabilityOf(conn)
	if err != nil {
		return err
	}
	// The appender waits for the durability: a store of its own.
	a.key = conn.key() + "|" + durability.String()
	val, _, err := stores.LoadOrNew(a.key, func() (caddy.Destructor, error) {
		rdb, relays, err := conn.clients()
		if err != nil {
			return nil, err
		}
		bound := time.Duration(a.Timeout)
		ctx, cancel := context.WithCancel(context.Background())
		s := &store{rdb: rdb, relays: relays, cancel: cancel, announced: make(chan struct{})}
		// Two flushers: batches grow with load, and fewer round trips cost
		// Caddy and Redis fewer syscalls (4 measured ~7% more CPU per
		// event); the second overlaps encoding with a Redis round trip.
		s.appender = relay.NewDurableAppender(rdb, bound, 2, 128, durability)
		if durability.Fsync {
			if err := checkFsync(relays, conn, s.appender); err != nil {
				cancel()
				close(s.announced)
				s.appender.Close()
				_ = relays.Close()
				_ = rdb.Close()
				return nil, err
			}
		}
		go func() {
			defer close(s.announced)
			announce(ctx, relays, conn, durability, s.appender, a.logger)
		}()
		return s, nil
	})
	if err != nil {
		return err // each names its option
	}
	a.store = val.(*store)
	if err := a.provisionArchives(); err != nil {
		return err
	}
	if err := a.checkOrdering(); err != nil {
		return err
	}
	if err := a.provisionRelays(ctx); err != nil {
		return err
	}
	if a.MetricsOff {
		return nil
	}
	a.gauges = &gauges{rdb: a.store.relays}
	for _, r := range a.relays {
		a.gauges.relays = append(a.gauges.relays, r.relay)
		a.gauges.stream(r.stream, r.relay.Partitions())
	}
	reg := ctx.GetMetricsRegistry()
	if err := registerMetrics(reg, a.MetricsTenantLabel); err != nil {
		return fmt.Errorf("hookgate metrics: %w", err)
	}
	return reg.Register(a.gauges)
}

// Start starts the relays and the archives. Connections open on first use, so Caddy starts
// even while Redis is down and ingest answers 503 until it is back.
func (a *App) Start() error {
	a.startPlacements()
	if err := a.startRelays(); err != nil {
		a.stopPlacements()
		return err
	}
	a.startArchives()
	running.Store(a)
	return nil
}

// Stop stops the relays, letting deliveries in flight finish within a
// bound; Cleanup releases the shared store.
func (a *App) Stop() error {
	running.CompareAndSwap(a, nil)
	a.stopArchiveWatch()
	defer a.stopPlacements()
	return stopRelays(a.relays)
}

// running is the app of the config Caddy runs, for the admin API, which
// lives outside any config. A reload starts the new config's app before it
// stops the old one: Stop clears it only while it is still its own.
var running atomic.Pointer[App]

// Cleanup releases this config's hold on the shared store.
func (a *App) Cleanup() error {
	if a.store == nil {
		return nil
	}
	// The writers use the store's client: released first.
	errArchives := a.cleanupArchives()
	_, err := stores.Delete(a.key)
	return errors.Join(errArchives, err)
}

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
