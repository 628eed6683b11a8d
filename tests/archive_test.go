package tests

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/archive"
	"github.com/hookgate/caddy-hookgate/internal/caddytest"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

// archiveCaughtUp is whether the archive group has read and acked every
// entry of the stream.
func archiveCaughtUp(rdb *redis.Client, stream string) bool {
	ctx := context.Background()
	groups, err := rdb.XInfoGroups(ctx, stream).Result()
	if err != nil {
		return false
	}
	last, err := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil || len(last) != 1 {
		return false
	}
	for _, g := range groups {
		if g.Name == archive.Group {
			return g.Pending == 0 && g.LastDeliveredID == last[0].ID
		}
	}
	return false
}

// postOnce sends one signed Stripe event; a connection error (Caddy
// killed) is a status of 0, as a provider would see no answer.
func postOnce(base, id string) int {
	body := stripeEvent(id)
	req, err := http.NewRequest(http.MethodPost, base+"/stripe", strings.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header = stripeSigned(body, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestArchiveHoldsEveryStoredEventOnceAcrossAKill(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	keys, _ := relay.NewKeys("hookgate", "events")
	dir := filepath.Join(t.TempDir(), "archive")
	c := startCaddy(t, srv.URL(), fmt.Sprintf("archive %s {\n\t\t\trotate 4KiB\n\t\t\tkeep 0\n\t\t}", dir), stripeRoute)

	// A provider sending 400 events, 4 at a time, while Caddy is killed
	// with SIGKILL; what got no 2xx is sent again after the restart, as
	// the provider's retry.
	const n = 400
	status := make([]int, n)
	var mu sync.Mutex
	answered := 0
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < n; i += 4 {
				s := postOnce(c.Base, fmt.Sprintf("evt_arch_%04d", i))
				mu.Lock()
				status[i] = s
				answered++
				mu.Unlock()
			}
		})
	}
	waitFor(t, 30*time.Second, "half of the events answered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return answered >= n/2
	})
	c.Kill()
	wg.Wait()
	c.Restart(t)
	for i, s := range status {
		if s != 202 {
			if got := postOnce(c.Base, fmt.Sprintf("evt_arch_%04d", i)); got != 202 && got != 200 {
				t.Fatalf("event %d sent again after the restart: %d", i, got)
			}
		}
	}
	waitFor(t, 30*time.Second, "the archive to hold every stored entry", func() bool {
		return archiveCaughtUp(rdb, keys.Stream())
	})

	stored, err := rdb.XRange(context.Background(), keys.Stream(), "-", "+").Result()
	if err != nil || len(stored) != n {
		t.Fatalf("the stream holds %d entries (%v), want %d", len(stored), err, n)
	}
	files, err := archive.Files(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("%d archive files at rotate 4KiB, want several: %v", len(files), files)
	}
	seen := map[string]int{}
	for _, path := range files {
		lines, err := archive.ReadFile(path)
		if err != nil {
			t.Fatalf("not gzip JSON lines: %v", err)
		}
		for _, l := range lines {
			seen[l.Entry]++
			if l.Body != stripeEvent(l.ID) {
				t.Errorf("entry %s: body %q is not the event's", l.Entry, l.Body)
			}
		}
		raw := gunzip(t, path)
		for _, secret := range []string{stripeSecret, "Stripe-Signature", relaySecret} {
			if bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s holds %q", path, secret)
			}
		}
	}
	for _, m := range stored {
		if seen[m.ID] != 1 {
			t.Errorf("entry %s (%v) archived %d times", m.ID, m.Values["id"], seen[m.ID])
		}
	}
	if len(seen) != n {
		t.Errorf("%d entries archived, %d stored", len(seen), n)
	}
}

// gunzip is a file's content decompressed, every member.
func gunzip(t *testing.T, path string) []byte {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err == io.EOF {
		return nil
	} else if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

func TestWrongArchiveOptionsFailNamingTheirLine(t *testing.T) {
	cases := []struct{ name, block, want string }{
		{"unknown option", "archive /tmp/a {\n\t\t\tcolour red\n\t\t}", `unknown archive option "colour"`},
		{"negative keep", "archive /tmp/a {\n\t\t\tkeep -1\n\t\t}", `keep: "-1" is neither a count >= 0 nor a duration`},
		{"keep all and an age", "archive /tmp/a {\n\t\t\tkeep 0 30d\n\t\t}", "keep 0 keeps every file"},
		{"bad rotate size", "archive /tmp/a {\n\t\t\trotate big\n\t\t}", "rotate: invalid size"},
		{"daily neither on nor off", "archive /tmp/a {\n\t\t\tdaily maybe\n\t\t}", "daily takes on or off"},
		{"no path", "archive", "wrong argument count"},
		{"one stream archived twice", "archive /tmp/a\n\t\tarchive /tmp/b {\n\t\t\tstream events\n\t\t}", `stream "events" is archived already`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "{\n\thookgate {\n\t\t" + c.block + "\n\t}\n}\nhttp://localhost:8080 {\n\trespond ok\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := caddyCmd(t, nil, "validate", "--config", path, "--adapter", "caddyfile")
			if err == nil {
				t.Fatalf("validate accepted:\n%s", cfg)
			}
			out = strings.ReplaceAll(out, `\"`, `"`)
			if !strings.Contains(out, c.want) || !strings.Contains(out, "Caddyfile:") {
				t.Fatalf("error does not say %q at a Caddyfile line:\n%s", c.want, out)
			}
		})
	}
}

func TestArchiveAdaptsToCleanJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "Caddyfile")
	cfg := "{\n\thookgate {\n\t\tarchive /var/lib/hookgate/archive {\n\t\t\trotate 100MiB\n\t\t\tkeep 30 90d\n\t\t\tdaily off\n\t\t}\n\t}\n}\nhttp://localhost:8080 {\n\trespond ok\n}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := caddyCmd(t, nil, "adapt", "--config", path, "--adapter", "caddyfile")
	if err != nil {
		t.Fatalf("adapt: %v\n%s", err, out)
	}
	if want := `"archives":[{"path":"/var/lib/hookgate/archive","rotate":104857600,"daily_off":true,"keep":30,"keep_for":7776000000000000}]`; !strings.Contains(out, want) {
		t.Fatalf("adapted JSON lacks %s:\n%s", want, out)
	}
}

// A reload that changes the archive block hands the files over from the
// old config's writer to the new one: nothing is missed or written twice.
func TestArchiveCarriesOnAcrossReloads(t *testing.T) {
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	keys, _ := relay.NewKeys("hookgate", "events")
	dir := filepath.Join(t.TempDir(), "archive")
	block := func(rotate string) string {
		return fmt.Sprintf("archive %s {\n\t\t\trotate %s\n\t\t}", dir, rotate)
	}
	// caddytest.Start keeps the Redis URL for Reload.
	c := caddytest.Start(t, caddyBin, srv.URL(), block("4KiB"), stripeRoute)
	sent := 0
	send := func(n int) {
		for range n {
			if s := postOnce(c.Base, fmt.Sprintf("evt_reload_%03d", sent)); s != 202 {
				t.Fatalf("event %d: %d", sent, s)
			}
			sent++
		}
	}
	send(20)
	c.Reload(t, block("4KiB"), stripeRoute, "/same") // the same block: the writer runs on
	send(20)
	c.Reload(t, block("8KiB"), stripeRoute, "/changed") // another block: a new writer takes the files over
	send(20)
	waitFor(t, 30*time.Second, "the archive to hold every stored entry", func() bool {
		return archiveCaughtUp(rdb, keys.Stream())
	})
	files, err := archive.Files(dir, keys)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, path := range files {
		lines, err := archive.ReadFile(path)
		if err != nil {
			t.Fatalf("not gzip JSON lines: %v", err)
		}
		for _, l := range lines {
			seen[l.ID]++
		}
	}
	for i := range sent {
		if id := fmt.Sprintf("evt_reload_%03d", i); seen[id] != 1 {
			t.Errorf("%s archived %d times", id, seen[id])
		}
	}
}

func TestAnArchiveWritesThePartitionsOfAWiderLayoutToo(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	// Events ingested with 4 partitions, then the count lowered to 1: the
	// archive of the new config archives the old partitions too.
	four := startCaddy(t, srv.URL(), partitioned(4), stripeRoute)
	const n = 40
	for i := range n {
		if status := postEvent(t, four, fmt.Sprintf("evt_%02d", i)); status != 202 {
			t.Fatalf("event %d: %d", i, status)
		}
	}
	four.Stop()
	startCaddy(t, srv.URL(), fmt.Sprintf("archive %s {\n\t\t\tkeep 0\n\t\t}", dir), stripeRoute)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	base, _ := relay.NewKeys("hookgate", "events")
	waitFor(t, 30*time.Second, "every partition archived", func() bool {
		for p := range 4 {
			if k := base.Partition(p); rdb.XLen(context.Background(), k.Stream()).Val() > 0 && !archiveCaughtUp(rdb, k.Stream()) {
				return false
			}
		}
		return true
	})
	seen := map[string]int{}
	for p := range 4 {
		pdir := dir
		if p > 0 {
			pdir = filepath.Join(dir, fmt.Sprintf("p%d", p))
		}
		files, err := archive.Files(pdir, base.Partition(p))
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range files {
			lines, err := archive.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range lines {
				seen[l.ID]++
			}
		}
	}
	if len(seen) != n {
		t.Fatalf("%d of %d events archived", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("%s archived %d times", id, c)
		}
	}
}
