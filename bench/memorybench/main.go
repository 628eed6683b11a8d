// Command memorybench measures what Redis holds per retained event: it
// appends N events of each body size through the real relay.Appender (the
// fields ingest writes, with each provider's audit headers and dedupe keys)
// into a fresh private redis-server per case, and reports used_memory and
// RSS growth per event, the stream's and the dedupe keys' parts of it, and
// how many entries share a listpack node.
//
// It prints a markdown section and, with -results, replaces the part of
// that file between <!-- memory:begin --> and <!-- memory:end -->.
// Everything listens on 127.0.0.1; each redis-server is killed when its
// case ends.
//
//	go run ./bench/memorybench -results bench/RESULTS.md
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/archive"
	"github.com/hookgate/caddy-hookgate/relay"
)

type options struct {
	n        int
	sizes    []int
	profiles []string
	nodes    []string // stream-node-max-bytes per case; "default" leaves the server's
	senders  int
	results  string
}

// result is one case: a profile, a body size and a listpack setting.
type result struct {
	profile      string
	size         int
	node         string
	n            int
	used, rss    int64 // growth over the appends, whole server
	stream       int64 // freed by deleting the stream
	fields       int   // field/value pairs of the last entry
	logical      int   // bytes of its field names and values
	namesBytes   int   // of which field names
	nodes        int64 // listpack nodes (XINFO STREAM radix-tree-keys)
	memoryUsage  int64 // MEMORY USAGE <stream> SAMPLES 0
	appendedTook time.Duration
	archived     int64         // bytes of the archive files of the n events
	archiveTook  time.Duration // for the archive to write and ack them all
}

func main() {
	var o options
	var sizes, profs, nodes string
	flag.IntVar(&o.n, "n", 100000, "events per case")
	flag.StringVar(&sizes, "sizes", "1024,2048", "body sizes in bytes, comma-separated")
	flag.StringVar(&profs, "profiles", "stripe,github", "providers whose stored fields are used: stripe (1 audit header), github (5)")
	flag.StringVar(&nodes, "node-bytes", "default,65536", "stream-node-max-bytes of each case's server, comma-separated; default keeps redis-server's (4096)")
	flag.IntVar(&o.senders, "senders", 64, "concurrent appenders, as concurrent requests would be")
	flag.StringVar(&o.results, "results", "", "results file whose memory section is replaced (e.g. bench/RESULTS.md)")
	flag.Parse()
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 200 {
			log.Fatalf("-sizes: %q is not a size of at least 200 bytes", s)
		}
		o.sizes = append(o.sizes, n)
	}
	for _, p := range strings.Split(profs, ",") {
		if _, ok := profiles[p]; !ok {
			log.Fatalf("-profiles: unknown profile %q", p)
		}
		o.profiles = append(o.profiles, p)
	}
	o.nodes = strings.Split(nodes, ",")

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	var results []result
	for _, node := range o.nodes {
		for _, p := range o.profiles {
			for _, size := range o.sizes {
				r, err := runCase(ctx, o, profiles[p], size, node)
				if err != nil {
					log.Fatalf("%s %d B, node %s: %v", p, size, node, err)
				}
				log.Printf("%s %d B node %s: %.0f B/event used_memory, %.0f B/event RSS", p, size, node,
					perEvent(r.used, r.n), perEvent(r.rss, r.n))
				results = append(results, r)
			}
		}
	}
	section := report(o, results)
	fmt.Print(section)
	if o.results != "" {
		if err := replaceSection(o.results, section); err != nil {
			log.Fatal(err)
		}
	}
}

func runCase(ctx context.Context, o options, p profile, size int, node string) (result, error) {
	r := result{profile: p.name, size: size, node: node, n: o.n}
	var extra []string
	if node != "default" {
		if _, err := strconv.Atoi(node); err != nil {
			return r, fmt.Errorf("-node-bytes: %q is not a number", node)
		}
		extra = []string{"--stream-node-max-bytes", node}
	}
	srv, err := startRedis(ctx, extra...)
	if err != nil {
		return r, err
	}
	defer srv.stop()
	c := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1, PoolSize: 4})
	defer c.Close()
	keys, err := relay.NewKeys("hookgate", "events")
	if err != nil {
		return r, err
	}
	if err := c.Ping(ctx).Err(); err != nil {
		return r, err
	}
	usedBefore, err := usedMemory(ctx, c)
	if err != nil {
		return r, err
	}
	rssBefore := srv.rss()

	// The ingest client: caddymodule/app.go's bounds and batching.
	rdb := redis.NewClient(&redis.Options{Addr: srv.addr, MaxRetries: -1, PoolSize: 8,
		ContextTimeoutEnabled: true, ReadTimeout: 2 * time.Second, WriteTimeout: 2 * time.Second})
	app := relay.NewAppender(rdb, 2*time.Second, 2, 128)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, o.senders)
	base := time.Now()
	for s := range o.senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(s), 1))
			for i := s; i < o.n; i += o.senders {
				e, d := p.build(rng, i, size, base.Add(time.Duration(i)*time.Millisecond))
				out, err := app.AppendAs(ctx, keys, 72*time.Hour, &e, d)
				if err == nil && out != relay.Accepted {
					err = fmt.Errorf("event %d: outcome %d, want accepted", i, out)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	r.appendedTook = time.Since(start)
	app.Close()
	rdb.Close()
	close(errs)
	if err := <-errs; err != nil {
		return r, err
	}
	if n, err := c.XLen(ctx, keys.Stream()).Result(); err != nil || n != int64(o.n) {
		return r, fmt.Errorf("stream holds %d entries, want %d (%v)", n, o.n, err)
	}
	usedAfter, err := usedMemory(ctx, c)
	if err != nil {
		return r, err
	}
	r.used, r.rss = usedAfter-usedBefore, srv.rss()-rssBefore
	r.memoryUsage, _ = c.MemoryUsage(ctx, keys.Stream(), 0).Result()
	if info, err := c.XInfoStream(ctx, keys.Stream()).Result(); err == nil {
		r.nodes = info.RadixTreeKeys
	}
	last, err := c.XRevRangeN(ctx, keys.Stream(), "+", "-", 1).Result()
	if err != nil || len(last) != 1 {
		return r, fmt.Errorf("reading the last entry: %v", err)
	}
	for k, v := range last[0].Values {
		r.fields++
		r.namesBytes += len(k)
		r.logical += len(k) + len(fmt.Sprint(v))
	}
	if r.archived, r.archiveTook, err = archiveAll(ctx, c, keys); err != nil {
		return r, fmt.Errorf("archiving: %w", err)
	}
	// The archive's connection and group are read in usedBeforeDel too,
	// so the difference is the stream's.
	usedBeforeDel, err := usedMemory(ctx, c)
	if err != nil {
		return r, err
	}
	if err := c.Del(ctx, keys.Stream()).Err(); err != nil {
		return r, err
	}
	usedNoStream, err := usedMemory(ctx, c)
	if err != nil {
		return r, err
	}
	r.stream = usedBeforeDel - usedNoStream
	return r, nil
}

// archiveAll runs archive.Writer over the stream with the defaults of an
// archive block (batches of 500, one fsync each) until it has acked every
// entry, and returns the bytes its files hold and the time it took.
func archiveAll(ctx context.Context, c *redis.Client, keys relay.Keys) (int64, time.Duration, error) {
	dir, err := os.MkdirTemp("", "memorybench-archive-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	w, err := archive.New(c, archive.Config{Dir: dir, Keys: keys})
	if err != nil {
		return 0, 0, err
	}
	last, err := c.XRevRangeN(ctx, keys.Stream(), "+", "-", 1).Result()
	if err != nil || len(last) != 1 {
		return 0, 0, fmt.Errorf("reading the last entry: %v", err)
	}
	start := time.Now()
	w.Start()
	defer w.Stop()
	deadline := start.Add(5 * time.Minute)
	for {
		groups, _ := c.XInfoGroups(ctx, keys.Stream()).Result()
		done := false
		for _, g := range groups {
			done = done || (g.Name == archive.Group && g.Pending == 0 && g.LastDeliveredID == last[0].ID)
		}
		if done {
			break
		}
		if time.Now().After(deadline) {
			return 0, 0, fmt.Errorf("the archive did not catch up within 5 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	w.Stop()
	files, err := archive.Files(dir, keys)
	if err != nil {
		return 0, 0, err
	}
	var size int64
	for _, f := range files {
		st, err := os.Stat(f)
		if err != nil {
			return 0, 0, err
		}
		size += st.Size()
	}
	return size, took, nil
}

// userArgs are the program's arguments but -results, which bench/memory.sh
// passes itself.
func userArgs() []string {
	var out []string
	args := os.Args[1:]
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-results" || a == "--results":
			i++
		case strings.HasPrefix(a, "-results=") || strings.HasPrefix(a, "--results="):
		default:
			out = append(out, a)
		}
	}
	return out
}

func perEvent(b int64, n int) float64 { return float64(b) / float64(n) }

const beginMarker, endMarker = "<!-- memory:begin -->", "<!-- memory:end -->"

func report(o options, rs []result) string {
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	p("%s", beginMarker)
	p("## Memory per retained event")
	p("")
	p("Written by `bench/memorybench` (run by `bench/memory.sh`) — do not edit between the markers.")
	p("")
	p("- date: %s", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	p("- code: %s", codeRev())
	p("- machine: %d CPUs; %s %s/%s; redis-server %s", runtime.NumCPU(), runtime.Version(), runtime.GOOS, runtime.GOARCH, redisVersion())
	p("- command: `%s`", strings.TrimSpace("bench/memory.sh "+strings.Join(userArgs(), " ")))
	p("- each case: a fresh redis-server (no persistence), %d events appended through `relay.Appender` by %d concurrent senders "+
		"(2 flushers, batches of up to 128, as ingest), one dedupe key each (`dedupe_ttl` 72 h), a traceparent on every event; "+
		"bodies are JSON of exactly the size given. `used_memory` and RSS are read before and after; the stream is then deleted, "+
		"and what that freed is the stream's part; the rest of the growth is the dedupe keys'.", o.n, o.senders)
	p("- profiles: `stripe` stores 1 audit header (`User-Agent`), `github` 5 (`X-Github-*`); both as ingest builds them.")
	p("")
	p("- archive: after the memory is read, `archive.Writer` (`archive` block defaults: batches of 500, one gzip member and fsync each, "+
		"on the machine's disk) archives the %d entries; its files' size per event and its rate are the last two columns. "+
		"Bodies are shaped like Stripe invoices (line items with random ids, amounts and times), which is what gzip sees.", o.n)
	p("")
	p("| profile | body | stream-node-max-bytes | used_memory / event | stream / event | dedupe keys / event (share) | RSS / event | entries per node | fields per entry | field names + values / entry (names) | archive on disk / event | archive rate |")
	p("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, r := range rs {
		node := r.node
		if node == "default" {
			node = "default (4096)"
		}
		dedupe := r.used - r.stream
		per := 0.0
		if r.nodes > 0 {
			per = float64(r.n) / float64(r.nodes)
		}
		p("| %s | %d B | %s | %.0f B | %.0f B | %.0f B (%.1f %%) | %.0f B | %.1f | %d | %d B (%d B) | %.0f B | %.0f events/s |",
			r.profile, r.size, node, perEvent(r.used, r.n), perEvent(r.stream, r.n),
			perEvent(dedupe, r.n), 100*float64(dedupe)/float64(r.used), perEvent(r.rss, r.n),
			per, r.fields, r.logical, r.namesBytes, perEvent(r.archived, r.n), float64(r.n)/r.archiveTook.Seconds())
	}
	p("")
	p("%s", endMarker)
	return w.String()
}

// codeRev is the short commit and whether files outside bench/ differ
// from it.
func codeRev() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	st, _ := exec.Command("git", "status", "--porcelain").Output()
	for _, l := range strings.Split(string(st), "\n") {
		if len(l) > 3 && !strings.HasPrefix(l[3:], "bench/") {
			return rev + " + uncommitted changes"
		}
	}
	return rev
}

// replaceSection puts section (markers included) in place of the old one,
// or appends it; the rest of the file is left as it is.
func replaceSection(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		return err
	}
	text := string(old)
	var out string
	i := strings.Index(text, beginMarker+"\n")
	j := strings.Index(text, endMarker)
	switch {
	case i >= 0 && j > i:
		rest := strings.TrimPrefix(text[j+len(endMarker):], "\n")
		out = text[:i] + section + "\n" + rest
	case text == "":
		out = "# Benchmark results\n\n" + section + "\n"
	default:
		out = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
