package caddymodule

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

// connection is the Redis the app connects to, resolved from the hookgate
// block: one server (a URL), a Cluster (seed addresses) or a master that
// Sentinel names.
type connection struct {
	mode     string // "standalone", "cluster" or "sentinel"
	url      string
	addrs    []string
	master   string
	username string
	password string
	// the sentinels' own credentials
	sentinelUsername string
	sentinelPassword string
	tls              bool
	tlsCA            string
	poolSize         int
	timeout          time.Duration
}

// connectionOf resolves the placeholders of the app's connection options
// and checks that they name exactly one form.
func (a *App) connectionOf() (connection, error) {
	repl := caddy.NewReplacer()
	c := connection{
		url:              repl.ReplaceAll(a.Redis, ""),
		master:           repl.ReplaceAll(a.SentinelMaster, ""),
		username:         repl.ReplaceAll(a.Username, ""),
		password:         repl.ReplaceAll(a.Password, ""),
		sentinelUsername: repl.ReplaceAll(a.SentinelUsername, ""),
		sentinelPassword: repl.ReplaceAll(a.SentinelPassword, ""),
		tls:              a.TLS,
		tlsCA:            repl.ReplaceAll(a.TLSCA, ""),
		poolSize:         a.PoolSize,
		timeout:          time.Duration(a.Timeout),
	}
	forms := 0
	if a.Redis != "" {
		forms++
		c.mode = "standalone"
	}
	if len(a.RedisCluster) > 0 {
		forms++
		c.mode = "cluster"
		c.addrs = replaceAll(repl, a.RedisCluster)
	}
	if len(a.Sentinels) > 0 || a.SentinelMaster != "" {
		forms++
		c.mode = "sentinel"
		c.addrs = replaceAll(repl, a.Sentinels)
		if c.master == "" || len(c.addrs) == 0 {
			return c, fmt.Errorf("hookgate redis_sentinel needs a master name and at least one sentinel address")
		}
	}
	switch {
	case forms > 1:
		return c, fmt.Errorf("hookgate: use one of redis, redis_cluster and redis_sentinel")
	case forms == 0 || c.mode == "standalone" && c.url == "":
		c.mode, c.url = "standalone", DefaultRedis
	}
	for _, addr := range c.addrs {
		if host, port, err := net.SplitHostPort(addr); err != nil || host == "" || port == "" {
			return c, fmt.Errorf("hookgate %s: %q is not a host:port address", c.form(), addr)
		}
	}
	if c.mode != "sentinel" && (a.SentinelUsername != "" || a.SentinelPassword != "") {
		return c, fmt.Errorf("hookgate sentinel_username and sentinel_password are for redis_sentinel, not %s", c.form())
	}
	if c.poolSize < 0 {
		return c, fmt.Errorf("hookgate pool_size must be positive")
	}
	if c.mode == "standalone" && c.tls {
		return c, fmt.Errorf("hookgate tls: for a single server, use a rediss:// URL")
	}
	if c.tlsCA != "" {
		c.tls = true
	}
	return c, nil
}

func replaceAll(repl *caddy.Replacer, in []string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = repl.ReplaceAll(s, "")
	}
	return out
}

// key names the store in the UsagePool: every option that changes the
// connection, hashed, so the key holds no password.
func (c connection) key() string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%q|%q|%q|%q|%q|%q|%q|%q|%t|%q|%d|%s",
		c.mode, c.url, c.addrs, c.master, c.username, c.password, c.sentinelUsername, c.sentinelPassword,
		c.tls, c.tlsCA, c.poolSize, c.timeout))
	return hex.EncodeToString(sum[:])
}

// clients opens the ingest client and the relays' client. Connections
// open on first use, so this does no I/O beyond reading the CA file.
func (c connection) clients() (ingest, relays redis.UniversalClient, err error) {
	const name = "hookgate"
	// Each relay holds one connection in a blocked read and one per worker
	// finishing a delivery; they open only when needed.
	relayPool := max(10*runtime.GOMAXPROCS(0), 100)
	if c.poolSize > 0 {
		relayPool = c.poolSize
	}
	var tlsConfig *tls.Config
	if c.tls && c.mode != "standalone" {
		if tlsConfig, err = c.tlsConfig(); err != nil {
			return nil, nil, err
		}
	}
	switch c.mode {
	case "cluster":
		opt := &redis.ClusterOptions{
			Addrs: c.addrs, ClientName: name, Username: c.username, Password: c.password,
			TLSConfig: tlsConfig, PoolSize: c.poolSize,
			DialTimeout: c.timeout, ReadTimeout: c.timeout, WriteTimeout: c.timeout,
			ContextTimeoutEnabled: true,
			// No retry on a node (see standalone); MOVED and ASK are still
			// followed, as a resharding or failover needs.
			MaxRetries: -1,
		}
		relayOpt := *opt
		relayOpt.ClientName, relayOpt.PoolSize = name+"-relay", relayPool
		return redis.NewClusterClient(opt), redis.NewClusterClient(&relayOpt), nil
	case "sentinel":
		opt := &redis.FailoverOptions{
			MasterName: c.master, SentinelAddrs: c.addrs, ClientName: name,
			Username: c.username, Password: c.password,
			SentinelUsername: c.sentinelUsername, SentinelPassword: c.sentinelPassword,
			TLSConfig: tlsConfig, PoolSize: c.poolSize,
			DialTimeout: c.timeout, ReadTimeout: c.timeout, WriteTimeout: c.timeout,
			ContextTimeoutEnabled: true, MaxRetries: -1,
		}
		relayOpt := *opt
		relayOpt.ClientName, relayOpt.PoolSize = name+"-relay", relayPool
		return redis.NewFailoverClient(opt), redis.NewFailoverClient(&relayOpt), nil
	}
	opt, err := redis.ParseURL(c.url)
	if err != nil {
		// url.Parse errors quote the URL, which may hold a password.
		return nil, nil, fmt.Errorf("hookgate redis: invalid URL (check scheme, host and database number)")
	}
	if c.tlsCA != "" {
		if opt.TLSConfig == nil {
			return nil, nil, fmt.Errorf("hookgate tls_ca: for a single server, use a rediss:// URL")
		}
		if opt.TLSConfig.RootCAs, err = c.roots(); err != nil {
			return nil, nil, err
		}
	}
	if c.username != "" {
		opt.Username = c.username
	}
	if c.password != "" {
		opt.Password = c.password
	}
	if c.poolSize > 0 {
		opt.PoolSize = c.poolSize
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = c.timeout, c.timeout, c.timeout
	opt.ContextTimeoutEnabled = true
	// A failed append is answered with 503 and retried by the provider;
	// retrying inside the client would only hold the request longer.
	opt.MaxRetries = -1
	if opt.ClientName == "" {
		opt.ClientName = name
	}
	relayOpt := *opt
	relayOpt.ClientName = opt.ClientName + "-relay"
	if relayOpt.PoolSize == 0 {
		relayOpt.PoolSize = relayPool
	}
	return redis.NewClient(opt), redis.NewClient(&relayOpt), nil
}

func (c connection) tlsConfig() (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if c.tlsCA != "" {
		roots, err := c.roots()
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = roots
	}
	return cfg, nil
}

func (c connection) roots() (*x509.CertPool, error) {
	pem, err := os.ReadFile(c.tlsCA)
	if err != nil {
		return nil, fmt.Errorf("hookgate tls_ca: %w", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("hookgate tls_ca: no PEM certificate in %s", c.tlsCA)
	}
	return roots, nil
}

// form is the Caddyfile option of the connection's form.
func (c connection) form() string {
	if c.mode == "standalone" {
		return "redis"
	}
	return "redis_" + c.mode
}

// describe names the connection form for the start-up log.
func (c connection) describe() string {
	switch c.mode {
	case "cluster":
		return "cluster"
	case "sentinel":
		return "sentinel master " + c.master
	}
	return "standalone"
}

// serverFacts is what the start-up log says about the Redis behind a
// store; in a Cluster, values that differ between masters are listed
// comma-separated.
type serverFacts struct {
	version, appendonly, appendfsync []string
	masters, replicas                int
}

// readServer asks every master (one, unless a Cluster) what it is.
func readServer(ctx context.Context, rdb redis.UniversalClient) (serverFacts, error) {
	var facts serverFacts
	one := func(ctx context.Context, c redis.Cmdable) error {
		info, err := c.Info(ctx, "server", "replication").Result()
		if err != nil {
			return err
		}
		f := infoFields(info)
		facts.masters++
		facts.version = appendNew(facts.version, f["redis_version"])
		var n int
		_, _ = fmt.Sscan(f["connected_slaves"], &n)
		facts.replicas += n
		for _, p := range []struct {
			name string
			dst  *[]string
		}{{"appendonly", &facts.appendonly}, {"appendfsync", &facts.appendfsync}} {
			v := "unknown" // CONFIG may be refused or renamed (managed Redis)
			if m, err := c.ConfigGet(ctx, p.name).Result(); err == nil && m[p.name] != "" {
				v = m[p.name]
			}
			*p.dst = appendNew(*p.dst, v)
		}
		return nil
	}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		// One master at a time: facts is not guarded.
		var (
			mu      sync.Mutex
			masters []*redis.Client
		)
		err := cc.ForEachMaster(ctx, func(_ context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			masters = append(masters, c)
			return nil
		})
		if err == nil && len(masters) == 0 {
			err = fmt.Errorf("no master known")
		}
		for _, m := range masters {
			if err != nil {
				break
			}
			err = one(ctx, m)
		}
		return facts, err
	}
	return facts, one(ctx, rdb)
}

func infoFields(info string) map[string]string {
	f := make(map[string]string)
	for _, line := range strings.Split(info, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), ":"); ok {
			f[k] = v
		}
	}
	return f
}

func appendNew(list []string, v string) []string {
	for _, have := range list {
		if have == v {
			return list
		}
	}
	return append(list, v)
}

// announce logs once what the Redis behind a new store is. Redis may be
// down at start-up: Caddy starts anyway (ingest answers 503), a warning
// says so once, and the facts are logged when Redis first answers, with what
// a 202 means under d. Under durability fsync, appends held until then are
// let through if the server supports it, and kept failing (503) with an
// error logged if it does not.
func announce(ctx context.Context, rdb redis.UniversalClient, c connection, d relay.Durability, appender *relay.Appender, logger *zap.Logger) {
	warned := false
	for {
		read, cancel := context.WithTimeout(ctx, max(c.timeout, 5*time.Second))
		facts, err := readServer(read, rdb)
		cancel()
		if err == nil {
			if d.Fsync {
				if err := fsyncRefusal(facts); err != nil {
					appender.Hold(err)
					logger.Error("ingest answers 503 until the config changes", zap.Error(err))
				} else {
					appender.Release()
				}
			}
			logger.Info("redis server",
				zap.String("mode", c.describe()),
				zap.String("version", strings.Join(facts.version, ",")),
				zap.Int("masters", facts.masters),
				zap.String("appendonly", strings.Join(facts.appendonly, ",")),
				zap.String("appendfsync", strings.Join(facts.appendfsync, ",")),
				zap.Int("replicas", facts.replicas),
				zap.String("durability", d.String()),
				zap.String("a_202_means", meaning(d, facts)))
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !warned {
			warned = true
			logger.Warn("redis does not answer at start-up; ingest answers 503 until it does",
				zap.String("mode", c.describe()), zap.Error(err))
		}
		wait := time.NewTimer(2 * time.Second)
		select {
		case <-ctx.Done():
			wait.Stop()
			return
		case <-wait.C:
		}
	}
}
