package relay

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// scriptsRun records, by SHA1, the scripts Redis ran without error, for
// a test to check that each file in lua/ ran.
type scriptsRun struct {
	mu     sync.Mutex
	ok     map[string]bool
	failed []string
}

func (s *scriptsRun) DialHook(next redis.DialHook) redis.DialHook { return next }

func (s *scriptsRun) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		s.record(cmd)
		return err
	}
}

func (s *scriptsRun) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			s.record(cmd)
		}
		return err
	}
}

func (s *scriptsRun) record(cmd redis.Cmder) {
	args := cmd.Args()
	name := strings.ToLower(cmd.Name())
	if len(args) < 2 || name != "evalsha" && name != "eval" {
		return
	}
	sha, _ := args[1].(string)
	if name == "eval" {
		sum := sha1.Sum([]byte(sha))
		sha = hex.EncodeToString(sum[:])
	}
	err := cmd.Err()
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case err == nil || errors.Is(err, redis.Nil):
		s.ok[sha] = true
	case !redis.HasErrorPrefix(err, "NOSCRIPT"): // NOSCRIPT: Run loads it with EVAL
		s.failed = append(s.failed, err.Error())
	}
}

// Every key of a stream shares its hash tag, so every script touches one
// slot: on a real Cluster, none may fail with CROSSSLOT, whichever master
// holds the stream.
func TestEveryScriptRunsOnACluster(t *testing.T) {
	cluster := redistest.StartCluster(t)
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: cluster.Addrs()})
	t.Cleanup(func() { rdb.Close() })
	run := &scriptsRun{ok: map[string]bool{}}
	rdb.AddHook(run)
	ctx := context.Background()

	// Two streams on different masters, so the scripts are routed by key
	// and not only to one node.
	first, _ := NewKeys("hookgate", "events")
	var second Keys
	firstNode := masterOf(t, rdb, first.Stream())
	for _, name := range []string{"orders", "billing", "audit", "crm", "shop", "mail", "ops"} {
		k, _ := NewKeys("hookgate", name)
		if masterOf(t, rdb, k.Stream()) != firstNode {
			second = k
			break
		}
	}
	if second == (Keys{}) {
		t.Fatal("no stream name of the list lands on another master")
	}
	for _, keys := range []Keys{first, second} {
		exerciseScripts(t, ctx, rdb, keys)
	}

	files, err := filepath.Glob("lua/*.lua")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scripts in lua/: %v", err)
	}
	run.mu.Lock()
	defer run.mu.Unlock()
	if len(run.ok) != len(files)-1 {
		t.Errorf("%d distinct scripts ran, want the %d of lua/ (release.lua is part of others)", len(run.ok), len(files)-1)
	}
	if len(run.failed) > 0 {
		t.Errorf("scripts failed on the Cluster: %v", run.failed)
	}
	release, err := os.ReadFile("lua/release.lua")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case f == "lua/release.lua":
			continue // not a script: the ordered moves start with it
		case bytes.Contains(src, []byte("release(")):
			src = append(append([]byte(nil), release...), src...)
		}
		sum := sha1.Sum(src)
		if !run.ok[hex.EncodeToString(sum[:])] {
			t.Errorf("%s never ran successfully on the Cluster", f)
		}
	}
}

func masterOf(t *testing.T, rdb *redis.ClusterClient, key string) string {
	t.Helper()
	c, err := rdb.MasterForKey(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return c.Options().Addr
}

// exerciseScripts runs each script through the function that uses it:
// ingest's append, a relay's moves, dead letters, redelivery, the admin
// views and retention.
func exerciseScripts(t *testing.T, ctx context.Context, rdb redis.UniversalClient, keys Keys) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s on stream %s: %v", what, keys.Name(), err)
		}
	}
	// append.lua, plain and with a replay key.
	a := NewAppender(rdb, 5*time.Second, 1, 16)
	defer a.Close()
	var ids []string
	for i := range 4 {
		e := stored("evt_" + keys.Name() + "_" + string(rune('a'+i)))
		d := Dedupe{Scopes: []string{"s1"}, ID: e.ID}
		if i == 0 {
			d.Replay = "jti-" + keys.Name()
		}
		out, err := a.AppendAs(ctx, keys, time.Hour, e, d)
		must("append", err)
		if out != Accepted {
			t.Fatalf("append %d: outcome %v", i, out)
		}
	}
	entries, err := rdb.XRange(ctx, keys.Stream(), "-", "+").Result()
	must("xrange", err)
	for _, e := range entries {
		ids = append(ids, e.ID)
	}

	const group = "wp"
	must("group", rdb.XGroupCreateMkStream(ctx, keys.Stream(), group, "0").Err())
	must("replay group", rdb.XGroupCreateMkStream(ctx, keys.Replay(group), group, "0").Err())
	_, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "c1", Streams: []string{keys.Stream(), ">"}, Count: 10}).Result()
	must("read", err)
	m := newMoves(rdb, keys, group, "c1")
	job := func(id string) *job { return &job{stream: keys.Stream(), id: id, values: map[string]any{"id": id}} }

	// own.lua, schedule.lua, take.lua, ack_batch.lua
	owned, err := m.own(ctx, job(ids[0]))
	must("own", err)
	if !owned {
		t.Fatal("own: the entry is not c1's")
	}
	now := time.Now()
	must("schedule", m.schedule(ctx, job(ids[0]), now.Add(-time.Second)))
	taken, err := m.take(ctx, now, 10)
	must("take", err)
	if len(taken) != 1 || taken[0].id != ids[0] {
		t.Fatalf("take: %d jobs", len(taken))
	}
	must("ack", m.ack(ctx, taken[0]))

	// dead.lua, then replay.lua
	must("dead", m.deadLetter(ctx, job(ids[1])))
	dead, err := rdb.XRange(ctx, keys.Dead(group), "-", "+").Result()
	must("dead range", err)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want 1", len(dead))
	}
	n, err := NewDeadLetters(rdb, keys, group).Replay(ctx, dead[0].ID)
	must("replay", err)
	if n != 1 {
		t.Fatalf("replayed %d", n)
	}

	// reclaim.lua, forget.lua
	other := newMoves(rdb, keys, group, "c2")
	claimed, _, err := other.reclaim(ctx, keys.Stream(), "", 0, 10, now)
	must("reclaim", err)
	if len(claimed) != 2 {
		t.Fatalf("reclaimed %d entries, want the 2 still pending", len(claimed))
	}
	must("forget", other.forget(ctx, keys.Stream(), "c1"))

	// redeliver.lua, by range and by ids
	_, err = Redeliver(ctx, rdb, keys, group, now.Add(-time.Hour), now.Add(time.Hour))
	must("redeliver range", err)
	_, err = RedeliverIDs(ctx, rdb, keys, group, ids[2:])
	must("redeliver ids", err)

	// locate.lua, count.lua (the admin views)
	e := stored("evt_" + keys.Name() + "_d")
	at, found, _, err := Locate(ctx, rdb, keys, EventRef{Source: e.Source, Tenant: e.Tenant, ID: e.ID}, 1000)
	must("locate", err)
	if !found || at.Entry != ids[3] {
		t.Fatalf("locate: found %v at %q, want %s", found, at.Entry, ids[3])
	}
	left, err := countAfter(ctx, rdb, keys.Stream(), ids[0])
	must("count", err)
	if left != 3 {
		t.Fatalf("count after the first entry: %d, want 3", left)
	}

	exerciseOrderedScripts(t, ctx, rdb, keys)

	// trim.lua
	_, err = trimScript.Run(ctx, rdb, []string{keys.Stream()}, "0-0").Slice()
	must("trim", err)
	if slices.Contains(ids, "") {
		t.Fatal("an entry without id")
	}
}

// exerciseOrderedScripts runs the ordered moves: an append that queues,
// admit, the ordered ack and dead-letter (block), replay and purge.
func exerciseOrderedScripts(t *testing.T, ctx context.Context, rdb redis.UniversalClient, keys Keys) {
	t.Helper()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s on stream %s: %v", what, keys.Name(), err)
		}
	}
	const group = "ordered"
	must("group", rdb.XGroupCreateMkStream(ctx, keys.Stream(), group, "$").Err())
	must("replay group", rdb.XGroupCreateMkStream(ctx, keys.Replay(group), group, "0").Err())
	a := NewAppender(rdb, 5*time.Second, 1, 16)
	defer a.Close()
	by, _ := ParseOrderBy("tenant")
	queue := keys.Queue(group, "default")
	for i := range 3 {
		e := stored("evt_" + keys.Name() + "_ordered_" + string(rune('a'+i)))
		d := Dedupe{Scopes: []string{"s1"}, ID: e.ID, Queues: keys.QueuesOf([]Ordered{{Relay: group, By: by}}, e)}
		_, err := a.AppendAs(ctx, keys, time.Hour, e, d)
		must("ordered append", err)
	}
	if n := rdb.LLen(ctx, queue).Val(); n != 3 {
		t.Fatalf("queue holds %d entries, want 3", n)
	}
	read, err := rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "c1", Streams: []string{keys.Stream(), ">"}, Count: 10}).Result()
	must("read", err)
	m := newMoves(rdb, keys, group, "c1")
	m.claimant = func() string { return "c1" }
	m.order = &order{by: by, onDead: DeadBlocks, keys: keys, relay: group, park: time.Minute}
	var jobs []*job
	for _, msg := range read[0].Messages {
		jobs = append(jobs, &job{stream: keys.Stream(), id: msg.ID, values: msg.Values})
	}
	admitted, err := m.gate(ctx, jobs, time.Now())
	must("admit", err)
	if len(admitted) != 1 {
		t.Fatalf("%d admitted, want the head alone", len(admitted))
	}
	head := admitted[0]
	must("ordered ack", m.ack(ctx, head))
	if head.next == nil {
		t.Fatal("the ack did not hand over the next entry")
	}
	must("ordered dead", m.deadLetter(ctx, head.next))
	dead, err := rdb.XRange(ctx, keys.Dead(group), "-", "+").Result()
	must("dead range", err)
	letters := NewDeadLetters(rdb, keys, group)
	_, err = letters.Replay(ctx, dead[0].ID)
	must("replay", err)
	if h := rdb.LIndex(ctx, queue, 0).Val(); h[0] != 'R' {
		t.Fatalf("queue head %q after the replay, want the replayed copy", h)
	}
	_, err = rdb.XReadGroup(ctx, &redis.XReadGroupArgs{Group: group, Consumer: "c1", Streams: []string{keys.Replay(group), ">"}, Count: 10}).Result()
	must("read replay", err)
	copyID := lastID(t, ctx, rdb, keys.Replay(group))
	must("dead again", m.deadLetter(ctx, &job{stream: keys.Replay(group), id: copyID, values: head.values, queue: queue, elem: "R" + copyID}))
	dead, err = rdb.XRange(ctx, keys.Dead(group), "-", "+").Result()
	must("dead range", err)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want the replayed copy's", len(dead))
	}
	_, err = letters.Purge(ctx, dead[0].ID)
	must("purge", err)
	if n := rdb.LLen(ctx, queue).Val(); n != 1 {
		t.Fatalf("queue holds %d after the purge, want the last entry", n)
	}
	must("unblock", unblockScript.Run(ctx, rdb, []string{m.dead, m.retry, m.streams[0]}, "9999999999999-0", 1000, "-").Err())
}

func lastID(t *testing.T, ctx context.Context, rdb redis.UniversalClient, stream string) string {
	t.Helper()
	last, err := rdb.XRevRangeN(ctx, stream, "+", "-", 1).Result()
	if err != nil || len(last) == 0 {
		t.Fatalf("last of %s: %v", stream, err)
	}
	return last[0].ID
}
