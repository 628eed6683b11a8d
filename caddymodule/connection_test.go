package caddymodule

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

func TestConnectionOptionsAdaptToJSON(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		want  string
	}{
		{"one server", []string{"redis rediss://r.example:6380/1"}, `{"redis":"rediss://r.example:6380/1"}`},
		{"a cluster with credentials, tls and a pool", []string{
			"redis_cluster 10.0.0.1:6379 10.0.0.2:6379 {env.SEED}", "username hookgate", "password {env.REDIS_PASSWORD}",
			"tls", "tls_ca /etc/redis/ca.pem", "pool_size 20",
		}, `{"redis_cluster":["10.0.0.1:6379","10.0.0.2:6379","{env.SEED}"],"username":"hookgate","password":"{env.REDIS_PASSWORD}","tls":true,"tls_ca":"/etc/redis/ca.pem","pool_size":20}`},
		{"a sentinel master", []string{"redis_sentinel mymaster 10.0.0.1:26379 [::1]:26379"},
			`{"sentinel_master":"mymaster","sentinels":["10.0.0.1:26379","[::1]:26379"]}`},
		{"sentinels that ask for credentials", []string{
			"sentinel_username {env.SENTINEL_USER}", "redis_sentinel mymaster 10.0.0.1:26379", "sentinel_password {env.SENTINEL_PASSWORD}",
		}, `{"sentinel_master":"mymaster","sentinels":["10.0.0.1:26379"],"sentinel_username":"{env.SENTINEL_USER}","sentinel_password":"{env.SENTINEL_PASSWORD}"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := adaptHookgate(t, global(c.lines...))
			if err != nil {
				t.Fatal(err)
			}
			if compact(t, string(got)) != compact(t, c.want) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestConnectionCaddyfileErrorsNameTheOptionAndLine(t *testing.T) {
	// The block's first line is line 3 of the Caddyfile.
	cases := []struct {
		name  string
		lines []string
		want  string
		line  int
	}{
		{"redis takes one URL", []string{"redis a b"}, "redis takes one URL", 3},
		{"redis_cluster needs a seed", []string{"redis_cluster"}, "redis_cluster needs at least one seed address", 3},
		{"a cluster seed is host:port", []string{"redis_cluster 10.0.0.1"}, `redis_cluster: "10.0.0.1" is not a host:port address`, 3},
		{"a cluster seed port is a number", []string{"redis_cluster 10.0.0.1:6379 h:x"}, `redis_cluster: "h:x" is not a host:port address`, 3},
		{"redis_sentinel needs a master and an address", []string{"redis_sentinel mymaster"}, "redis_sentinel needs a master name and at least one sentinel address", 3},
		{"a sentinel is host:port", []string{"redis_sentinel mymaster :26379"}, `redis_sentinel: ":26379" is not a host:port address`, 3},
		{"one connection form only", []string{"redis redis://a:6379", "redis_cluster a:6379"}, "redis_cluster: the connection is already set by redis", 4},
		{"one connection line only", []string{"redis_cluster a:6379", "redis_cluster b:6379"}, "redis_cluster: the connection is already set by redis_cluster", 4},
		{"username takes one value", []string{"username a b"}, "username takes one value", 3},
		{"password takes one value", []string{"password"}, "wrong argument count", 3},
		{"tls takes no argument", []string{"redis_cluster a:6379", "tls yes"}, `tls takes no argument, got "yes"`, 4},
		{"tls is not for a single server", []string{"redis redis://a:6379", "tls"}, "tls: for a single server, use a rediss:// URL", 4},
		{"a single server after tls", []string{"tls", "redis redis://a:6379"}, "redis: tls is set; for a single server, use a rediss:// URL instead", 4},
		{"tls_ca takes a file", []string{"tls_ca"}, "wrong argument count", 3},
		{"pool_size is a positive integer", []string{"pool_size 0"}, `pool_size must be an integer >= 1, got "0"`, 3},
		{"sentinel_username takes one value", []string{"redis_sentinel m a:26379", "sentinel_username a b"}, "sentinel_username takes one value", 4},
		{"sentinel_password takes one value", []string{"redis_sentinel m a:26379", "sentinel_password"}, "wrong argument count", 4},
		{"sentinel credentials need redis_sentinel", []string{"redis_cluster a:6379", "sentinel_password literal-secret-1"}, "sentinel_password is for redis_sentinel", 4},
		{"sentinel credentials without a connection", []string{"prefix hg", "sentinel_username u"}, "sentinel_username is for redis_sentinel", 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			input := global(c.lines...)
			_, err := adaptHookgate(t, input)
			if err == nil {
				t.Fatalf("adapt succeeded, want error %q\n%s", c.want, input)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q\nwant it to contain %q", err, c.want)
			}
			if strings.Contains(err.Error(), "literal-secret-1") {
				t.Errorf("error %q holds the secret", err)
			}
			if want := "Caddyfile:" + strconv.Itoa(c.line); !regexp.MustCompile(regexp.QuoteMeta(want) + `\b`).MatchString(err.Error()) {
				t.Errorf("error %q does not point at %s", err, want)
			}
		})
	}
}

func TestTheStoreKeyCoversTheWholeConnection(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_REDIS_PASSWORD", "s3cret-pass")
	base := App{RedisCluster: []string{"a:6379", "b:6379"}, Password: "{env.HOOKGATE_TEST_REDIS_PASSWORD}", Timeout: caddy.Duration(time.Second)}
	keyOf := func(t *testing.T, a App) string {
		t.Helper()
		c, err := a.connectionOf()
		if err != nil {
			t.Fatal(err)
		}
		return c.key()
	}
	baseKey := keyOf(t, base)
	if strings.Contains(baseKey, "s3cret") {
		t.Fatalf("the key holds the password: %s", baseKey)
	}
	cases := []struct {
		name   string
		change func(a *App)
	}{
		{"another seed", func(a *App) { a.RedisCluster = []string{"a:6379", "c:6379"} }},
		{"another password", func(a *App) { a.Password = "other" }},
		{"a username", func(a *App) { a.Username = "hookgate" }},
		{"tls", func(a *App) { a.TLS = true }},
		{"a CA file", func(a *App) { a.TLSCA = "/ca.pem" }},
		{"a pool size", func(a *App) { a.PoolSize = 7 }},
		{"a timeout", func(a *App) { a.Timeout = caddy.Duration(2 * time.Second) }},
		{"sentinel instead", func(a *App) { a.RedisCluster, a.SentinelMaster, a.Sentinels = nil, "a", []string{"b:6379"} }},
		{"another sentinel master", func(a *App) { a.RedisCluster, a.SentinelMaster, a.Sentinels = nil, "b", []string{"b:6379"} }},
		{"a sentinel username", func(a *App) {
			a.RedisCluster, a.SentinelMaster, a.Sentinels, a.SentinelUsername = nil, "a", []string{"b:6379"}, "u"
		}},
		{"a sentinel password", func(a *App) {
			a.RedisCluster, a.SentinelMaster, a.Sentinels, a.SentinelPassword = nil, "a", []string{"b:6379"}, "{env.HOOKGATE_TEST_REDIS_PASSWORD}"
		}},
		{"one server instead", func(a *App) { a.RedisCluster, a.Redis = nil, "redis://a:6379" }},
	}
	seen := map[string]string{baseKey: "base"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := base
			c.change(&a)
			k := keyOf(t, a)
			if prev, ok := seen[k]; ok {
				t.Fatalf("same store key as %q", prev)
			}
			seen[k] = c.name
		})
	}
	if keyOf(t, base) != baseKey {
		t.Fatal("the same connection gave another key")
	}
}

func TestConnectionsThatCannotWorkAreRefused(t *testing.T) {
	cases := []struct {
		name string
		app  App
		want string
	}{
		{"two forms", App{Redis: "redis://a:6379", RedisCluster: []string{"b:6379"}}, "use one of redis, redis_cluster and redis_sentinel"},
		{"tls on a single server", App{Redis: "redis://a:6379", TLS: true}, "use a rediss:// URL"},
		{"a sentinel without master", App{Sentinels: []string{"a:26379"}}, "needs a master name"},
		{"a negative pool", App{PoolSize: -1}, "pool_size must be positive"},
		{"sentinel credentials for a cluster", App{RedisCluster: []string{"b:6379"}, SentinelPassword: "p"}, "sentinel_username and sentinel_password are for redis_sentinel, not redis_cluster"},
		{"sentinel credentials for one server", App{SentinelUsername: "u"}, "are for redis_sentinel, not redis"},
		{"a placeholder that is no address", App{RedisCluster: []string{"{env.HOOKGATE_TEST_UNSET_SEED}"}}, `hookgate redis_cluster: "" is not a host:port address`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := c.app.connectionOf()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
	t.Run("a CA file with a redis:// URL", func(t *testing.T) {
		c, err := (&App{Redis: "redis://a:6379", TLSCA: "/nonexistent.pem"}).connectionOf()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.clients(); err == nil || !strings.Contains(err.Error(), "use a rediss:// URL") {
			t.Fatalf("error %v, want a rediss:// hint", err)
		}
	})
	t.Run("a missing CA file", func(t *testing.T) {
		c, err := (&App{RedisCluster: []string{"a:6379"}, TLSCA: "/nonexistent.pem"}).connectionOf()
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := c.clients(); err == nil || !strings.Contains(err.Error(), "tls_ca") {
			t.Fatalf("error %v, want it to name tls_ca", err)
		}
	})
}

func TestStartUpLogsTheServerOnceRedisAnswers(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	c, _, relays := testClients(t, srv.URL(), time.Second)
	core, logs := observer.New(zap.InfoLevel)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); announce(ctx, relays, c, relay.Durability{}, nil, zap.New(core)) }()
	t.Cleanup(func() { cancel(); <-done })
	waitLogged := func(msg string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for logs.FilterMessage(msg).Len() == 0 {
			if time.Now().After(deadline) {
				t.Fatalf("no %q logged; got %v", msg, logs.All())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	waitLogged("redis does not answer at start-up; ingest answers 503 until it does")
	srv.Restart()
	waitLogged("redis server")
	<-done
	if n := logs.Len(); n != 2 {
		t.Fatalf("%d lines logged, want one warning and one description: %v", n, logs.All())
	}
	f := logs.FilterMessage("redis server").All()[0].ContextMap()
	if f["mode"] != "standalone" || f["appendonly"] != "yes" || f["appendfsync"] != "no" || f["replicas"] != int64(0) || f["version"] == "" ||
		f["durability"] != "acked" || !strings.Contains(f["a_202_means"].(string), "survives a Redis process crash") {
		t.Fatalf("logged %v", f)
	}
}

func TestServerFactsAreReadFromARealServer(t *testing.T) {
	srv := redistest.Start(t)
	_, rdb, _ := testClients(t, srv.URL(), 2*time.Second)
	facts, err := readServer(context.Background(), rdb)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal([]any{facts.masters, facts.appendonly, facts.appendfsync, facts.replicas})
	// redistest runs with appendonly yes, appendfsync no.
	if string(b) != `[1,["yes"],["no"],0]` || len(facts.version) != 1 || facts.version[0] == "" {
		t.Fatalf("facts %s, version %v", b, facts.version)
	}
}

// testClients are the single-server connection of url and its two
// clients, as Provision builds them, closed when the test ends.
func testClients(t *testing.T, url string, timeout time.Duration) (connection, redis.UniversalClient, redis.UniversalClient) {
	t.Helper()
	c, err := (&App{Redis: url, Timeout: caddy.Duration(timeout)}).connectionOf()
	if err != nil {
		t.Fatal(err)
	}
	rdb, relays, err := c.clients()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rdb.Close(); relays.Close() })
	return c, rdb, relays
}
