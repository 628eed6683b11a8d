// Command relaybench measures the relay (relay/) against a private
// redis-server and a loopback sink that answers 200 at once. By default:
//
//	a. baseline: 8 goroutines doing bare XREADGROUP COUNT 64 + XACK over N
//	   pre-filled ~1 KB Stripe events (filled through relay.Appender);
//	a2. the relay's shape without its work: per entry one POST of the raw
//	   body and one XACK, 8 goroutines reading 8 at a time;
//	b. relay throughput over the same N entries (its own consumer group),
//	   default settings (8 workers), until the sink has seen all N;
//	c. end-to-end latency, append start → sink received, at a steady rate;
//	d. RSS of this process while a relay works through a backlog of 1M.
//
// It prints a markdown section and, with -results, replaces the part of
// that file between <!-- relay:begin --> and <!-- relay:end -->.
//
// With -scale it runs instead, on one redis-server and on a 3-master Redis
// Cluster of its own (no persistence, as above), for -rounds rounds: fill
// -scale-n events over -keys Stripe customers as ingest stores them for a
// relay with order_by data.object.customer, then over the same entries the
// naive loop (a2), the relay (b) and the ordered relay, each in its own
// consumer group; Redis CPU per delivery from INFO (used_cpu_sys +
// used_cpu_user, summed over the nodes). It writes the section between
// <!-- relay-scale:begin --> and <!-- relay-scale:end -->.
// Everything listens on 127.0.0.1; redis-server is killed on exit.
//
//	go run ./bench/relaybench -results bench/RESULTS.md
//	go run ./bench/relaybench -scale -results bench/RESULTS.md
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"regexp"
	"runtime/pprof"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/hookgate/caddy-hookgate/relay"
)

type options struct {
	n          int
	rate       int
	latDur     time.Duration
	backlog    int
	backlogDur time.Duration
	results    string
	cpuprofile string
	timeout    time.Duration
	workers    int
	// -scale
	scale     bool
	scaleN    int
	keys      int
	rounds    int
	quietWait time.Duration
	mark      string // the section's name: <!-- mark:begin -->
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 100000, "pre-filled ~1 KB events for the baseline and relay throughput runs")
	flag.IntVar(&o.rate, "rate", 500, "events per second for the latency run")
	flag.DurationVar(&o.latDur, "latency-duration", 10*time.Second, "length of the latency run")
	flag.IntVar(&o.backlog, "backlog", 1000000, "entries in the backlog of the memory run")
	flag.DurationVar(&o.backlogDur, "backlog-duration", 10*time.Second, "how long the relay works on the backlog")
	flag.StringVar(&o.results, "results", "", "results file whose relay section is replaced (e.g. bench/RESULTS.md)")
	flag.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the relay throughput run here")
	flag.IntVar(&o.workers, "workers", 0, "relay workers; 0 keeps the relay's default (8), which the targets are about")
	flag.DurationVar(&o.timeout, "timeout", 15*time.Minute, "bound on the whole run")
	flag.BoolVar(&o.scale, "scale", false, "instead of a–d: one redis-server vs a 3-master Cluster, each with the naive loop, the relay and an ordered relay (writes the relay-scale section)")
	flag.IntVar(&o.scaleN, "scale-n", 40000, "-scale: pre-filled ~1 KB events per setup and round")
	flag.IntVar(&o.keys, "keys", 1000, "-scale: distinct ordering keys (Stripe customers) over the events")
	flag.IntVar(&o.rounds, "rounds", 2, "-scale: measured rounds, setups and runs in alternating order")
	flag.DurationVar(&o.quietWait, "quiet-wait", 5*time.Second, "-scale: how long each run may wait for other processes to use under 15 % of a core")
	flag.StringVar(&o.mark, "mark", "relay-scale", "-scale: the section of -results written, between <!-- MARK:begin --> and <!-- MARK:end -->")
	flag.Parse()
	log.SetFlags(log.Ltime)
	log.SetPrefix("[relaybench] ")
	if o.n <= 0 || o.rate <= 0 || o.backlog <= 0 || o.latDur <= 0 || o.backlogDur <= 0 {
		log.Fatal("-n, -rate, -backlog and the durations must be positive")
	}
	if o.scale && (o.scaleN <= 0 || o.keys <= 0 || o.rounds <= 0) {
		log.Fatal("-scale-n, -keys and -rounds must be positive")
	}
	if !regexp.MustCompile(`^[a-z0-9-]+$`).MatchString(o.mark) || o.mark == "relay" {
		log.Fatal("-mark must be lowercase letters, digits and '-', and not relay")
	}
	runner := run
	if o.scale {
		runner = runScale
	}
	if err := runner(o); err != nil {
		log.Printf("FAIL: %v", err)
		os.Exit(1)
	}
}

func run(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := report{opts: o, load0: loadAvg(), date: time.Now().UTC(), args: os.Args[1:], code: codeRev()}
	log.Printf("load average at start: %s", rep.load0)

	srv, err := startRedis(ctx)
	if err != nil {
		return err
	}
	defer srv.stop()
	rdb := newClient(srv.addr)
	defer rdb.Close()
	sk, err := startSink()
	if err != nil {
		return err
	}
	defer sk.close()
	var warns atomic.Int64
	b := &bench{rdb: rdb, sink: sk, pids: []int{srv.pid()}, logger: newLogger(&warns), workers: o.workers}
	// As the hookgate app builds it (caddymodule/app.go).
	b.app = relay.NewAppender(rdb, 2*time.Second, 4, 128)
	defer b.app.Close()

	keys := func(stream string) relay.Keys { k, _ := relay.NewKeys("hookgate", stream); return k }

	log.Printf("filling %d ~%d-byte Stripe events through relay.Appender", o.n, bodySize)
	t0 := time.Now()
	if err := fillAppender(ctx, b.app, keys("events"), "tput", o.n); err != nil {
		return fmt.Errorf("filling: %w", err)
	}
	rep.fill = time.Since(t0)

	log.Printf("a. baseline: 8 × XREADGROUP COUNT 64 + XACK over %d entries", o.n)
	if rep.base, err = b.baseline(ctx, keys("events").Stream(), o.n); err != nil {
		return err
	}
	log.Printf("   %.0f entries/s", rep.base.rate())
	log.Printf("a2. naive loop: 8 × (XREADGROUP COUNT 8, then per entry POST + XACK) over %d entries", o.n)
	if rep.naive, err = b.naive(ctx, keys("events").Stream(), o.n); err != nil {
		return err
	}
	log.Printf("   %.0f deliveries/s", rep.naive.rate())

	log.Printf("b. relay (default workers) over the same %d entries", o.n)
	var profile func() func()
	if o.cpuprofile != "" {
		profile = func() func() {
			f, err := os.Create(o.cpuprofile)
			if err == nil {
				err = pprof.StartCPUProfile(f)
			}
			if err != nil {
				log.Printf("WARNING: no CPU profile: %v", err)
				return func() {}
			}
			return func() { pprof.StopCPUProfile(); f.Close() }
		}
	}
	warn0 := warns.Load()
	if rep.tput, err = b.throughput(ctx, keys("events"), o.n, profile); err != nil {
		return err
	}
	rep.tputWarns = warns.Load() - warn0
	log.Printf("   %.0f deliveries/s (%.2f× baseline)", rep.tput.rate(), rep.tput.rate()/rep.base.rate())
	if o.cpuprofile != "" {
		rep.profile = profileSummary(o.cpuprofile)
	}
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}

	log.Printf("c. latency: %d events/s for %v", o.rate, o.latDur)
	warn0 = warns.Load()
	if rep.lat, err = b.latency(ctx, keys("lat"), o.rate, o.latDur); err != nil {
		return err
	}
	rep.latWarns = warns.Load() - warn0
	log.Printf("   p50 %v p99 %v max %v", pct(rep.lat.e2e, 50), pct(rep.lat.e2e, 99), pct(rep.lat.e2e, 100))
	if err := rdb.FlushAll(ctx).Err(); err != nil {
		return err
	}

	log.Printf("d. memory: backlog of %d entries, relay for %v", o.backlog, o.backlogDur)
	warn0 = warns.Load()
	if rep.mem, err = b.backlog(ctx, keys("backlog"), o.backlog, o.backlogDur); err != nil {
		return err
	}
	rep.memWarns = warns.Load() - warn0
	s0, mx, e := rep.mem.rss()
	log.Printf("   RSS start %s max %s end %s; %.0f deliveries/s", mib(s0), mib(mx), mib(e), rep.mem.rate())
	_ = rdb.FlushAll(ctx).Err()

	rep.load1 = loadAvg()
	section := rep.markdown()
	fmt.Println(section)
	if o.results != "" {
		if err := replaceSection(o.results, beginMarker, endMarker, section); err != nil {
			return err
		}
		log.Printf("wrote the relay section of %s", o.results)
	}
	return nil
}

// newLogger logs the relays' warnings and errors to stderr and counts them.
func newLogger(count *atomic.Int64) *zap.Logger {
	enc := zap.NewProductionEncoderConfig()
	enc.EncodeTime = zapcore.ISO8601TimeEncoder
	core := zapcore.NewCore(zapcore.NewJSONEncoder(enc), zapcore.Lock(os.Stderr), zapcore.WarnLevel)
	return zap.New(core, zap.Hooks(func(zapcore.Entry) error { count.Add(1); return nil }))
}

const (
	beginMarker, endMarker = "<!-- relay:begin -->", "<!-- relay:end -->"
)

// replaceSection puts section (markers included) in place of the one
// between beginMarker and endMarker, or appends it; the rest of the file is
// left as it is.
func replaceSection(path, beginMarker, endMarker, section string) error {
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
		rest := text[j+len(endMarker):]
		rest = strings.TrimPrefix(rest, "\n")
		out = text[:i] + section + "\n" + rest
	case text == "":
		out = "# Benchmark results\n\n" + section + "\n"
	default:
		out = strings.TrimRight(text, "\n") + "\n\n" + section + "\n"
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
