package tests

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// startCaddyConn runs site behind a hookgate block whose connection lines
// are connection (redis_cluster, redis_sentinel and their options).
func startCaddyConn(t *testing.T, connection, hookgateOpts, site string) *caddy {
	t.Helper()
	port := redistest.FreePort(t)
	return startCaddyWith(t, port, func(c *caddy) string {
		return caddytest.ConfigWith(c.AdminAddr, port, connection, fmt.Sprintf("http://127.0.0.1:%d", port), hookgateOpts, site)
	})
}

// secondStreamSecret signs what /stripe2 stores: routes with one signer
// must share a stream.
const secondStreamSecret = "whsec_second_stream_secret"

// twoStreams is a site storing /stripe in stream "events" and /stripe2 in
// other, with a relay per stream delivering to to.
func twoStreams(to, other string) (opts, site string) {
	opts = relayOpts(to, "") + "\n\t\t" + fmt.Sprintf(`relay wp2 {
			stream %s
			to %s
			secret %s
			backoff 50ms 1s
		}`, other, to, relaySecret)
	site = stripeRoute + "\n\t" + fmt.Sprintf(`webhook /stripe2 stripe {
		secret %s
		stream %s
	}`, secondStreamSecret, other)
	return opts, site
}

// ingestBoth posts n events to each of /stripe and /stripe2 and waits
// until the sink has each once.
func ingestBoth(t *testing.T, c *caddy, s *sink, n int) {
	t.Helper()
	for i := range n {
		for _, route := range []string{"stripe", "stripe2"} {
			body := stripeEvent(fmt.Sprintf("evt_%s_%02d", route, i))
			header := stripeSigned(body, time.Now())
			if route == "stripe2" {
				header = caddytest.StripeSigned(secondStreamSecret, body, time.Now())
			}
			if status, _, reply := c.post(t, "/"+route, header, []byte(body)); status != 202 {
				t.Fatalf("ingest %s %d: %d %s", route, i, status, reply)
			}
		}
	}
	waitFor(t, 30*time.Second, "every event at the target", func() bool {
		got, _ := s.got()
		return len(got) == 2*n
	})
	got, bad := s.got()
	if len(bad) > 0 {
		t.Fatalf("deliveries the official library rejects: %v", bad)
	}
	for k, v := range got {
		if v != 1 {
			t.Fatalf("%s delivered %d times", k, v)
		}
	}
}

// loggedServer returns the start-up line that describes the Redis server.
func loggedServer(t *testing.T, c *caddy) string {
	t.Helper()
	var line string
	waitFor(t, 10*time.Second, "the start-up description of the Redis server", func() bool {
		for _, l := range strings.Split(c.Log.String(), "\n") {
			if strings.Contains(l, `"msg":"redis server"`) {
				line = l
				return true
			}
		}
		return false
	})
	return line
}

func TestIngestAndRelayThroughACluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	masterOf := func(key string) string {
		c, err := rdb.MasterForKey(context.Background(), key)
		if err != nil {
			t.Fatal(err)
		}
		return c.Options().Addr
	}
	// A second stream whose hash tag lands on another master than
	// "events", so ingest and the relays use two shards.
	other := ""
	for _, name := range []string{"orders", "billing", "audit", "crm", "shop", "mail", "ops"} {
		if masterOf("hookgate:{"+name+"}") != masterOf("hookgate:{events}") {
			other = name
			break
		}
	}
	if other == "" {
		t.Fatal("no stream name of the list lands on another master than events")
	}
	s := newSink(t)
	opts, site := twoStreams(s.URL, other)
	c := startCaddyConn(t, "redis_cluster "+strings.Join(cluster.Addrs(), " ")+"\n\t\tpool_size 16", opts, site)
	ingestBoth(t, c, s, 20)
	for _, key := range []string{"hookgate:{events}", "hookgate:{" + other + "}"} {
		if n, err := rdb.XLen(context.Background(), key).Result(); err != nil || n != 20 {
			t.Fatalf("%s holds %d entries (%v), want 20", key, n, err)
		}
	}
	line := loggedServer(t, c)
	for _, want := range []string{`"mode":"cluster"`, `"masters":3`, `"appendonly":"yes"`, `"appendfsync":"no"`, `"replicas":0`} {
		if !strings.Contains(line, want) {
			t.Errorf("start-up line %s\nlacks %s", line, want)
		}
	}
}

func TestIngestAndRelayThroughSentinel(t *testing.T) {
	const password = "sentinel-test-password-1"
	t.Setenv("HOOKGATE_TEST_REDIS_PASSWORD", password)
	sentinel := redistest.StartSentinel(t, password)
	s := newSink(t)
	opts, site := twoStreams(s.URL, "orders")
	conn := "redis_sentinel " + sentinel.MasterName + " " + sentinel.Addr + "\n\t\tpassword {env.HOOKGATE_TEST_REDIS_PASSWORD}"
	c := startCaddyConn(t, conn, opts, site)
	ingestBoth(t, c, s, 10)
	line := loggedServer(t, c)
	if !strings.Contains(line, `"mode":"sentinel master mymaster"`) || !strings.Contains(line, `"masters":1`) {
		t.Errorf("start-up line %s does not name the sentinel master", line)
	}
	if strings.Contains(c.Log.String(), password) {
		t.Fatal("the Redis password is in Caddy's log")
	}
}

// Sentinels that ask for a user and password of their own are asked with
// sentinel_username and sentinel_password, apart from the master's
// password; neither password reaches Caddy's log, and a wrong sentinel
// password leaves ingest answering 503.
func TestIngestAndRelayThroughSentinelThatAsksForCredentials(t *testing.T) {
	const (
		password         = "master-test-password-2"
		sentinelPassword = "sentinel-test-password-3"
	)
	t.Setenv("HOOKGATE_TEST_REDIS_PASSWORD", password)
	t.Setenv("HOOKGATE_TEST_SENTINEL_PASSWORD", sentinelPassword)
	t.Setenv("HOOKGATE_TEST_SENTINEL_WRONG", "sentinel-wrong-password-4")
	sentinel := redistest.StartSentinelWith(t, redistest.SentinelOptions{
		Password: password, SentinelUsername: "hookgate-sentinel", SentinelPassword: sentinelPassword,
	})
	conn := "redis_sentinel " + sentinel.MasterName + " " + sentinel.Addr +
		"\n\t\tpassword {env.HOOKGATE_TEST_REDIS_PASSWORD}\n\t\tsentinel_username hookgate-sentinel"

	wrong := startCaddyConn(t, conn+"\n\t\tsentinel_password {env.HOOKGATE_TEST_SENTINEL_WRONG}\n\t\ttimeout 500ms", "", stripeRoute)
	body := stripeEvent("evt_wrong_sentinel_password")
	if status, h, reply := wrong.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("with a wrong sentinel password: %d %s, want 503 with Retry-After", status, reply)
	}

	s := newSink(t)
	opts, site := twoStreams(s.URL, "orders")
	c := startCaddyConn(t, conn+"\n\t\tsentinel_password {env.HOOKGATE_TEST_SENTINEL_PASSWORD}", opts, site)
	ingestBoth(t, c, s, 5)
	if line := loggedServer(t, c); !strings.Contains(line, `"mode":"sentinel master mymaster"`) {
		t.Errorf("start-up line %s does not name the sentinel master", line)
	}
	for _, log := range []string{c.Log.String(), wrong.Log.String()} {
		for _, secret := range []string{password, sentinelPassword, "sentinel-wrong-password-4"} {
			if strings.Contains(log, secret) {
				t.Fatalf("a password (%s…) is in Caddy's log", secret[:8])
			}
		}
	}
}

// Caddy starts while its Cluster does not answer; ingest answers 503 so
// the provider retries, and a warning says why.
func TestCaddyStartsWhileTheClusterIsDown(t *testing.T) {
	seed := fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t))
	c := startCaddyConn(t, "redis_cluster "+seed+"\n\t\ttimeout 300ms", "", stripeRoute)
	body := stripeEvent("evt_down")
	if status, h, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 503 || h.Get("Retry-After") == "" {
		t.Fatalf("ingest with the Cluster down: %d %s, want 503 with Retry-After", status, reply)
	}
	waitFor(t, 10*time.Second, "the start-up warning", func() bool {
		return strings.Contains(c.Log.String(), "redis does not answer at start-up")
	})
}
