package caddymodule

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

func TestDurabilityAdaptsToJSON(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"acked", "durability acked", `{"durability":{"mode":"acked"}}`},
		{"replicas with the default wait", "durability replicas 1", `{"durability":{"mode":"replicas","replicas":1}}`},
		{"replicas with a wait", "durability replicas 2 500ms", `{"durability":{"mode":"replicas","replicas":2,"timeout":500000000}}`},
		{"fsync", "durability fsync", `{"durability":{"mode":"fsync"}}`},
		{"fsync with a wait", "durability fsync 1s", `{"durability":{"mode":"fsync","timeout":1000000000}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := adaptHookgate(t, global(c.line))
			if err != nil {
				t.Fatal(err)
			}
			if compact(t, string(got)) != compact(t, c.want) {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestDurabilityCaddyfileErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, line, want string
	}{
		{"a mode is needed", "durability", "durability takes acked, replicas <n> [<timeout>] or fsync [<timeout>]"},
		{"an unknown mode", "durability quorum", `durability takes acked, replicas <n> [<timeout>] or fsync [<timeout>], got "quorum"`},
		{"acked takes nothing", "durability acked 1s", `durability acked takes no argument, got "1s"`},
		{"replicas needs a count", "durability replicas", "durability replicas takes a replica count and an optional timeout"},
		{"the count is a number", "durability replicas one", `durability replicas: the count must be an integer >= 1, got "one"`},
		{"the count is at least 1", "durability replicas 0", `durability replicas: the count must be an integer >= 1, got "0"`},
		{"replicas takes one timeout", "durability replicas 1 1s 2s", "durability replicas takes a replica count and an optional timeout"},
		{"the replicas timeout is a duration", "durability replicas 1 soon", `durability replicas: invalid timeout "soon"`},
		{"fsync takes one timeout", "durability fsync 1s 2s", "durability fsync takes an optional timeout"},
		{"the fsync timeout is a duration", "durability fsync 0s", `durability fsync: invalid timeout "0s"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			input := global("prefix hg", c.line)
			_, err := adaptHookgate(t, input)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v\nwant it to contain %q", err, c.want)
			}
			// The block's first line is line 3; durability is its second.
			if want := "Caddyfile:" + strconv.Itoa(4); !regexp.MustCompile(regexp.QuoteMeta(want) + `\b`).MatchString(err.Error()) {
				t.Errorf("error %q does not point at %s", err, want)
			}
		})
	}
}

func TestDurabilityThatCannotWorkIsRefused(t *testing.T) {
	second := caddy.Duration(time.Second)
	cases := []struct {
		name string
		app  App
		want string
	}{
		{"a wait as long as the append's bound", App{Durability: &Durability{Mode: "replicas", Replicas: 1, Timeout: caddy.Duration(2 * time.Second)}},
			"below the hookgate timeout 2s"},
		{"a default wait past a short bound", App{Timeout: caddy.Duration(500 * time.Millisecond), Durability: &Durability{Mode: "fsync"}},
			"below the hookgate timeout 500ms"},
		{"no replica count", App{Durability: &Durability{Mode: "replicas"}}, "needs a count >= 1"},
		{"an unknown mode", App{Durability: &Durability{Mode: "quorum"}}, `unknown mode "quorum"`},
		{"acked with a wait", App{Durability: &Durability{Mode: "acked", Timeout: second}}, "acked takes no replicas or timeout"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.app.Timeout == 0 {
				c.app.Timeout = caddy.Duration(DefaultTimeout)
			}
			conn, err := c.app.connectionOf()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.app.durabilityOf(conn); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want %q", err, c.want)
			}
		})
	}
}

func TestEveryConnectionFormTakesEveryDurability(t *testing.T) {
	forms := []struct {
		name string
		app  App
	}{
		{"a single server", App{Redis: "redis://a:6379/0"}},
		{"sentinel", App{SentinelMaster: "m", Sentinels: []string{"a:26379"}}},
		{"a cluster", App{RedisCluster: []string{"a:6379", "b:6379"}}},
	}
	modes := []struct {
		d    Durability
		want relay.Durability
	}{
		{Durability{Mode: "replicas", Replicas: 1}, relay.Durability{Replicas: 1, Timeout: DefaultDurabilityTimeout}},
		{Durability{Mode: "fsync"}, relay.Durability{Fsync: true, Timeout: DefaultDurabilityTimeout}},
	}
	for _, f := range forms {
		for _, m := range modes {
			t.Run(m.d.Mode+" with "+f.name, func(t *testing.T) {
				app := f.app
				app.Timeout, app.Durability = caddy.Duration(DefaultTimeout), &m.d
				conn, err := app.connectionOf()
				if err != nil {
					t.Fatal(err)
				}
				d, err := app.durabilityOf(conn)
				if err != nil || d != m.want {
					t.Fatalf("got %+v, %v; want %+v", d, err, m.want)
				}
			})
		}
	}
}

func TestFsyncIsRefusedByARedisWithoutWaitAOF(t *testing.T) {
	srv := redistest.Start(t)
	c, rdb, relays := testClients(t, srv.URL(), 2*time.Second)
	facts, err := readServer(context.Background(), rdb)
	if err != nil {
		t.Fatal(err)
	}
	a := relay.NewDurableAppender(rdb, time.Second, 1, 8, relay.Durability{Fsync: true, Timeout: time.Second})
	t.Cleanup(a.Close)
	err = checkFsync(relays, c, a)
	if relay.WaitAOFSupported(facts.version[0]) {
		if err != nil {
			t.Fatalf("Redis %s has WAITAOF, yet: %v", facts.version[0], err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "Redis 7.2 or later") || !strings.Contains(err.Error(), "appendfsync always") {
		t.Fatalf("Redis %s: %v, want a refusal naming 7.2 and appendfsync always", facts.version[0], err)
	}
}

func TestFsyncHoldsIngestWhileRedisIsDown(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop()
	c, rdb, relays := testClients(t, srv.URL(), time.Second)
	a := relay.NewDurableAppender(rdb, time.Second, 1, 8, relay.Durability{Fsync: true, Timeout: 500 * time.Millisecond})
	t.Cleanup(a.Close)
	if err := checkFsync(relays, c, a); err != nil {
		t.Fatalf("with Redis down provisioning must go on: %v", err)
	}
	keys, _ := relay.NewKeys("hookgate", "events")
	srv.Restart()
	// Redis is back, but its version is not known until announce reads it.
	e := &event.Stored{ID: "evt_fsync", Source: "stripe", Tenant: "default", Type: "t", ReceivedAt: time.Now(), Body: []byte(`{}`)}
	if _, err := a.Append(context.Background(), keys, time.Hour, e); err == nil || !strings.Contains(err.Error(), "version is not known") {
		t.Fatalf("append before the version is known: %v", err)
	}
	// Once announce reads the version, a server without WAITAOF keeps
	// ingest failing, saying why.
	core, logs := observer.New(zap.InfoLevel)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		announce(ctx, relays, c, relay.Durability{Fsync: true, Timeout: 500 * time.Millisecond}, a, zap.New(core))
	}()
	t.Cleanup(func() { cancel(); <-done })
	<-done
	f := logs.FilterMessage("redis server").All()[0].ContextMap()
	_, err := a.Append(context.Background(), keys, time.Hour, e)
	if relay.WaitAOFSupported(f["version"].(string)) {
		if err != nil {
			t.Fatalf("Redis %s has WAITAOF, yet: %v", f["version"], err)
		}
		return
	}
	if err == nil || !strings.Contains(err.Error(), "Redis 7.2 or later") || logs.FilterMessage("ingest answers 503 until the config changes").Len() != 1 {
		t.Fatalf("Redis %s: append %v, logs %v", f["version"], err, logs.All())
	}
}
