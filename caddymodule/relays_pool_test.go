package caddymodule

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Relays block on XREADGROUP and move entries in bursts; on ingest's pool
// they could leave an append waiting for a connection.
func TestRelaysNeverTakeIngestsConnections(t *testing.T) {
	srv := redistest.Start(t)
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	app := &App{Redis: srv.URL(), Relays: map[string]*RelayConfig{"wp": {To: "https://wp.example.com/in", Secret: testSecret}}}
	if err := app.Provision(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Cleanup() })
	relays, ok := app.store.relays.(*redis.Client)
	if !ok || app.store.relays == app.store.rdb {
		t.Fatal("the relays share ingest's client")
	}
	// Every connection of the relays' pool held by a blocked read, as a
	// burst of relays and workers would.
	var wg sync.WaitGroup
	for range relays.Options().PoolSize {
		wg.Go(func() {
			relays.XRead(context.Background(), &redis.XReadArgs{Streams: []string{"nothing", "$"}, Block: 2 * time.Second})
		})
	}
	t.Cleanup(wg.Wait)
	waitFor := time.Now().Add(5 * time.Second)
	for relays.PoolStats().TotalConns < uint32(relays.Options().PoolSize) {
		if time.Now().After(waitFor) {
			t.Fatalf("relay pool holds %d connections, want %d", relays.PoolStats().TotalConns, relays.Options().PoolSize)
		}
		time.Sleep(10 * time.Millisecond)
	}
	pingCtx, cancelPing := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancelPing()
	if err := app.store.rdb.Ping(pingCtx).Err(); err != nil {
		t.Fatalf("ingest waited for a connection while the relays' pool was busy: %v", err)
	}
}

func TestAShortRelayTimeoutIsWarnedAbout(t *testing.T) {
	for _, c := range []struct {
		timeout time.Duration
		warned  bool
	}{{time.Second, true}, {4999 * time.Millisecond, true}, {5 * time.Second, false}, {10 * time.Second, false}} {
		core, logs := observer.New(zap.WarnLevel)
		warnShortTimeout(zap.New(core), c.timeout)
		if got := logs.Len() == 1; got != c.warned {
			t.Errorf("timeout %v: warned %v, want %v", c.timeout, got, c.warned)
		}
	}
}
