package archive

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/relay"
)

type fixture struct {
	rdb  *redis.Client
	app  *relay.Appender
	keys relay.Keys
	dir  string
	// ids are the stored events' ids, by entry id.
	ids map[string]string
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, MaxRetries: -1})
	app := relay.NewAppender(rdb, 5*time.Second, 2, 64)
	t.Cleanup(func() { app.Close(); rdb.Close() })
	keys, _ := relay.NewKeys("hookgate", "events")
	return &fixture{rdb: rdb, app: app, keys: keys, dir: t.TempDir(), ids: map[string]string{}}
}

func storedEvent(id string) *event.Stored {
	return &event.Stored{
		ID: id, Source: "stripe", Tenant: "default", Type: "invoice.paid",
		ReceivedAt: time.UnixMilli(1700000000123).UTC(),
		Header:     http.Header{"User-Agent": {"Stripe/1.0"}},
		Body:       []byte(`{"id":"` + id + `","type":"invoice.paid","data":{"object":{"amount":1200}}}`),
	}
}

// store appends n events named from first on and remembers their entries.
func (f *fixture) store(t *testing.T, first, n int) {
	t.Helper()
	for i := first; i < first+n; i++ {
		id := fmt.Sprintf("evt_%05d", i)
		if out, err := f.app.Append(context.Background(), f.keys, time.Hour, storedEvent(id)); err != nil || out != relay.Accepted {
			t.Fatalf("append %s: %v %v", id, out, err)
		}
	}
	msgs, err := f.rdb.XRange(context.Background(), f.keys.Stream(), "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		f.ids[m.ID], _ = m.Values["id"].(string)
	}
}

func (f *fixture) writer(t *testing.T, cfg Config) *Writer {
	t.Helper()
	cfg.Dir, cfg.Keys = f.dir, f.keys
	w, err := New(f.rdb, cfg)
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	t.Cleanup(w.Stop)
	return w
}

// caughtUp is whether the archive group has read every entry and acked it.
func (f *fixture) caughtUp(t *testing.T) bool {
	t.Helper()
	groups, err := f.rdb.XInfoGroups(context.Background(), f.keys.Stream()).Result()
	if err != nil {
		return false
	}
	last, _ := f.rdb.XRevRangeN(context.Background(), f.keys.Stream(), "+", "-", 1).Result()
	for _, g := range groups {
		if g.Name == Group {
			return g.Pending == 0 && len(last) == 1 && g.LastDeliveredID == last[0].ID
		}
	}
	return false
}

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", limit, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// archived reads every archive file and fails the test on one that is not
// whole gzip JSON lines; it returns how often each entry appears.
func (f *fixture) archived(t *testing.T) (map[string]int, []Line) {
	t.Helper()
	files, err := Files(f.dir, f.keys)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	var all []Line
	for _, p := range files {
		lines, err := ReadFile(p)
		if err != nil {
			t.Fatalf("not gzip JSON lines: %v", err)
		}
		for _, l := range lines {
			seen[l.Entry]++
		}
		all = append(all, lines...)
	}
	return seen, all
}

// onceEach fails unless every stored entry is archived exactly once, as
// the event it is, and nothing else is.
func (f *fixture) onceEach(t *testing.T) {
	t.Helper()
	seen, lines := f.archived(t)
	for entry := range f.ids {
		if seen[entry] != 1 {
			t.Errorf("entry %s (%s) archived %d times", entry, f.ids[entry], seen[entry])
		}
	}
	for _, l := range lines {
		id, ok := f.ids[l.Entry]
		want := storedEvent(id)
		switch {
		case !ok:
			t.Errorf("line for an entry never stored: %+v", l)
		case l.ID != id || l.Source != "stripe" || l.Tenant != "default" || l.Type != "invoice.paid" ||
			l.ReceivedAt != "2023-11-14T22:13:20.123Z" || l.Headers["User-Agent"] != "Stripe/1.0" ||
			!bytes.Equal(l.BodyBytes(), want.Body) || l.Stream != f.keys.Stream():
			t.Errorf("line %+v is not the stored event %+v", l, want)
		}
	}
}

func TestEveryStoredEntryIsArchivedOnceAndAcked(t *testing.T) {
	f := newFixture(t)
	f.store(t, 0, 1200) // more than two batches of 500
	f.writer(t, Config{})
	waitUntil(t, 20*time.Second, "the archive to catch up", func() bool { return f.caughtUp(t) })
	f.store(t, 1200, 30) // and what comes after
	waitUntil(t, 20*time.Second, "the archive to catch up again", func() bool { return f.caughtUp(t) })
	f.onceEach(t)
}

// A writer killed after its fsync but before its ack, and in the middle of
// the next member, leaves the file and the group as a crash would.
func TestAWriterKilledBetweenFsyncAndAckWritesNothingTwice(t *testing.T) {
	f := newFixture(t)
	f.store(t, 0, 300)
	ctx := context.Background()
	consumer := ConsumerName(f.dir)
	if err := f.rdb.XGroupCreateMkStream(ctx, f.keys.Stream(), Group, "0").Err(); err != nil {
		t.Fatal(err)
	}
	read := func(n int64) []redis.XMessage {
		res, err := f.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: Group, Consumer: consumer,
			Streams: []string{f.keys.Stream(), ">"}, Count: n, Block: -1}).Result()
		if err != nil {
			t.Fatal(err)
		}
		return res[0].Messages
	}
	cfg := Config{Dir: f.dir, Keys: f.keys, RotateBytes: DefaultRotateBytes, Batch: DefaultBatch, Now: time.Now}
	a, _, err := openFile(cfg, f.keys.Stream(), nil)
	if err != nil {
		t.Fatal(err)
	}
	// 100 acked, 100 written and fsynced but not acked, 100 read and torn.
	acked := read(100)
	if _, err := a.write(f.keys.Stream(), acked, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	for _, m := range acked {
		f.rdb.XAck(ctx, f.keys.Stream(), Group, m.ID)
	}
	if _, err := a.write(f.keys.Stream(), read(100), nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	var torn bytes.Buffer
	z := gzip.NewWriter(&torn)
	// Torn past where the lines written again end, so a tail left in
	// place would show.
	noise := make([]byte, 32<<10)
	rand.Read(noise)
	for _, m := range read(100) {
		fmt.Fprintf(z, `{"entry":%q,"stream":%q,"body":"%x"}`+"\n", m.ID, f.keys.Stream(), noise[:1024])
		noise = append(noise[1024:], noise[:1024]...)
	}
	z.Close()
	if _, err := a.f.Write(torn.Bytes()[:torn.Len()/2]); err != nil {
		t.Fatal(err)
	}
	a.close()

	f.writer(t, Config{})
	waitUntil(t, 20*time.Second, "the archive to catch up", func() bool { return f.caughtUp(t) })
	f.onceEach(t)
}

func TestFilesRotateBySizeAndTheOldestArePruned(t *testing.T) {
	f := newFixture(t)
	f.writer(t, Config{RotateBytes: 2048, Keep: 3, Batch: 20})
	for i := range 10 {
		f.store(t, i*40, 40)
		waitUntil(t, 20*time.Second, "the archive to catch up", func() bool { return f.caughtUp(t) })
	}
	rotated, err := Rotated(f.dir, fileBase(f.keys.Stream())+"-")
	if err != nil {
		t.Fatal(err)
	}
	if len(rotated) != 3 {
		t.Fatalf("%d rotated files kept, want 3: %v", len(rotated), rotated)
	}
	for _, p := range rotated {
		if st, err := os.Stat(p); err != nil || st.Size() < 2048 {
			t.Errorf("%s rotated before it reached 2048 bytes (%v)", p, err)
		}
	}
	seen, lines := f.archived(t)
	for entry, n := range seen {
		if n != 1 {
			t.Errorf("entry %s archived %d times", entry, n)
		}
	}
	// What is kept is the newest, without a gap.
	if last := lines[len(lines)-1].ID; last != "evt_00399" {
		t.Errorf("the newest line is %s, want evt_00399", last)
	}
}

func TestANewUTCDayStartsANewFile(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 23, 59, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f.writer(t, Config{Daily: true, Now: clock})
	f.store(t, 0, 10)
	waitUntil(t, 20*time.Second, "the first day archived", func() bool { return f.caughtUp(t) })
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	f.store(t, 10, 10)
	waitUntil(t, 20*time.Second, "the second day archived", func() bool { return f.caughtUp(t) })
	rotated, err := Rotated(f.dir, fileBase(f.keys.Stream())+"-")
	if err != nil || len(rotated) != 1 {
		t.Fatalf("rotated files %v (%v), want one", rotated, err)
	}
	if want := filepath.Join(f.dir, "hookgate__events_-20260302T000100.000Z.jsonl.gz"); rotated[0] != want {
		t.Errorf("rotated file %s, want %s", rotated[0], want)
	}
	first, err := ReadFile(rotated[0])
	if err != nil || len(first) != 10 || first[9].ID != "evt_00009" {
		t.Fatalf("the first day's file holds %d lines (%v), want evt_00000 to evt_00009", len(first), err)
	}
	f.onceEach(t)
}

func TestASecondWriterOnTheSameFilesWaits(t *testing.T) {
	f := newFixture(t)
	f.writer(t, Config{})
	f.store(t, 0, 5)
	waitUntil(t, 20*time.Second, "the archive to catch up", func() bool { return f.caughtUp(t) })
	cfg := Config{Dir: f.dir, Keys: f.keys, RotateBytes: DefaultRotateBytes}
	if _, _, err := openFile(cfg, f.keys.Stream(), nil); err == nil {
		t.Fatal("a second writer opened files another one holds")
	}
}

func TestRotatedFilesOlderThanKeepForAreRemoved(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	f.writer(t, Config{Daily: true, KeepFor: 48 * time.Hour, Now: clock})
	for day := range 5 {
		mu.Lock()
		now = time.Date(2026, 3, 1+day, 12, 0, 0, 0, time.UTC)
		mu.Unlock()
		f.store(t, day*5, 5)
		waitUntil(t, 20*time.Second, "the day archived", func() bool { return f.caughtUp(t) })
	}
	rotated, err := Rotated(f.dir, fileBase(f.keys.Stream())+"-")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range rotated {
		names = append(names, filepath.Base(p))
	}
	want := []string{
		"hookgate__events_-20260303T120000.000Z.jsonl.gz", // 48 h old at the last rotation: kept
		"hookgate__events_-20260304T120000.000Z.jsonl.gz",
		"hookgate__events_-20260305T120000.000Z.jsonl.gz",
	}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("rotated files %v, want %v", names, want)
	}
}

func TestAFileBegunOnAnEarlierDayRotatesAfterARestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	yesterday := time.Now().UTC().AddDate(0, 0, -1)
	// Entries stored yesterday (their ids say so), archived yesterday.
	for i := range 3 {
		id := fmt.Sprintf("%d-%d", yesterday.UnixMilli(), i)
		if err := f.rdb.XAdd(ctx, &redis.XAddArgs{Stream: f.keys.Stream(), ID: id, Values: []any{
			"id", fmt.Sprintf("evt_y%d", i), "source", "stripe", "tenant", "default", "type", "invoice.paid",
			"received_at", yesterday.UnixMilli(), "body", "{}"}}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	w, err := New(f.rdb, Config{Dir: f.dir, Keys: f.keys, Daily: true, Now: func() time.Time { return yesterday }})
	if err != nil {
		t.Fatal(err)
	}
	w.Start()
	waitUntil(t, 20*time.Second, "yesterday archived", func() bool { return f.caughtUp(t) })
	w.Stop()

	// Restarted today; the file was last written just now.
	f.writer(t, Config{Daily: true})
	f.store(t, 0, 1)
	waitUntil(t, 20*time.Second, "today archived", func() bool { return f.caughtUp(t) })
	rotated, err := Rotated(f.dir, fileBase(f.keys.Stream())+"-")
	if err != nil || len(rotated) != 1 {
		t.Fatalf("rotated files %v (%v), want yesterday's", rotated, err)
	}
	if lines, err := ReadFile(rotated[0]); err != nil || len(lines) != 3 {
		t.Fatalf("yesterday's file holds %d lines (%v), want 3", len(lines), err)
	}
}
