package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

func TestReplicasDurabilityAnswers202OnlyForWhatAReplicaHas(t *testing.T) {
	master := redistest.Start(t)
	replica := redistest.StartReplica(t, master)
	c := startCaddy(t, master.URL(), "durability replicas 1 500ms", stripeRoute)
	onReplica := redis.NewClient(&redis.Options{Addr: replica.Addr})
	t.Cleanup(func() { onReplica.Close() })
	ctx := context.Background()

	body := stripeEvent("evt_replicated")
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("with the replica up: %d %s, want 202", status, reply)
	}
	if n := onReplica.XLen(ctx, "hookgate:{events}").Val(); n != 1 {
		t.Fatalf("right after the 202 the replica holds %d entries, want 1", n)
	}
	waitFor(t, 10*time.Second, "the start-up line to state what a 202 means", func() bool {
		return strings.Contains(c.Log.String(), `"durability":"replicas 1 500ms"`) &&
			strings.Contains(c.Log.String(), "acknowledged by at least 1 replica(s)")
	})

	replica.Stop()
	body = stripeEvent("evt_unreplicated")
	status, hdr, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body))
	if status != 503 || hdr.Get("Retry-After") == "" {
		t.Fatalf("with the replica down: %d, Retry-After %q, %s; want 503 with Retry-After", status, hdr.Get("Retry-After"), reply)
	}

	replica.Restart()
	replica.WaitLinked()
	master.WaitReplicaOnline()
	// The refused event was stored on the master: the retry is a duplicate.
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 200 {
		t.Fatalf("the provider's retry: %d %s, want 200 (a duplicate)", status, reply)
	}
	if n := onReplica.XLen(ctx, "hookgate:{events}").Val(); n != 2 {
		t.Fatalf("the replica holds %d entries, want 2", n)
	}
}

func TestFsyncDurabilityRefusesToStartOnARedisWithoutWaitAOF(t *testing.T) {
	srv := redistest.Start(t)
	version, err := srv.Bulk("INFO", "server")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(version, "redis_version:7.2") || strings.Contains(version, "redis_version:7.4") || strings.Contains(version, "redis_version:8") {
		t.Skip("this redis-server has WAITAOF") // Debian's is 7.0
	}
	port := redistest.FreePort(t)
	cfg := caddytest.Config(fmt.Sprintf("127.0.0.1:%d", redistest.FreePort(t)), port, srv.URL(),
		fmt.Sprintf("http://127.0.0.1:%d", port), "durability fsync", stripeRoute)
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, caddyBin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if err == nil || ctx.Err() != nil {
		t.Fatalf("caddy run: %v (context %v), want it to refuse to start\n%s", err, ctx.Err(), out)
	}
	for _, want := range []string{"durability fsync needs WAITAOF, Redis 7.2 or later", "appendfsync always"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("caddy's refusal does not say %q:\n%s", want, out)
		}
	}
}
