package main

import (
	"context"
	"fmt"
	"log"
	"os"
	"os/signal"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/relay"
)

// The -scale run: the relay on one redis-server and on a 3-master Cluster,
// each time the naive loop, the unordered relay and a relay with order_by
// over the same pre-filled entries, with Redis's CPU per delivery.

// orderPath is what the ordered relay orders by: the Stripe customer.
const orderPath = "data.object.customer"

// setup is one Redis deployment the runs go through.
type setup struct {
	name  string
	rdb   redis.UniversalClient
	nodes []*redis.Client // a client of each node of its own, for INFO and FLUSHALL
	pids  []int
	owner int // the node holding the stream (cluster), -1 unknown
}

// scaleRun is one measured pass over the pre-filled entries.
type scaleRun struct {
	round    int
	setup    string
	kind     string // naive, unordered, ordered
	n        int
	elapsed  time.Duration
	cpu      cpuUse
	quiet    float64       // other processes' CPU (% of a core) in the second before the run
	redisCPU time.Duration // INFO used_cpu_sys + used_cpu_user over the run, all nodes
	cmds     map[string]cmdStat
	dupes    int64
	unknown  int64
	disorder int64
	warns    int64
}

func scaleMarkers(mark string) (begin, end string) {
	return "<!-- " + mark + ":begin -->", "<!-- " + mark + ":end -->"
}

func (r scaleRun) rate() float64 { return float64(r.n) / r.elapsed.Seconds() }

// redisUsPer is Redis CPU µs per delivered event.
func (r scaleRun) redisUsPer() float64 {
	return float64(r.redisCPU.Microseconds()) / float64(r.n)
}

type scaleReport struct {
	opts         options
	date         time.Time
	args         []string
	code         string
	load0, load1 string
	fills        []string // one line per fill
	owners       []string // where the cluster put the stream
	runs         []scaleRun
}

var scaleKinds = []string{"naive", "unordered", "ordered"}

func runScale(o options) error {
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	rep := scaleReport{opts: o, load0: loadAvg(), date: time.Now().UTC(), args: os.Args[1:], code: codeRev()}
	log.Printf("load average at start: %s", rep.load0)
	by, err := relay.ParseOrderBy(orderPath)
	if err != nil {
		return err
	}

	single, err := startRedis(ctx)
	if err != nil {
		return err
	}
	defer single.stop()
	cl, err := startCluster(ctx)
	if err != nil {
		return err
	}
	defer cl.stop()
	sk, err := startSink()
	if err != nil {
		return err
	}
	defer sk.close()

	plain := func(addr string) *redis.Client { return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1}) }
	setups := []*setup{
		{name: "one redis-server", rdb: newClient(single.addr), nodes: []*redis.Client{plain(single.addr)}, pids: []int{single.pid()}, owner: -1},
		{name: "3-master Cluster", rdb: newClusterClient(cl.addrs()), pids: cl.pids(), owner: -1},
	}
	for _, a := range cl.addrs() {
		setups[1].nodes = append(setups[1].nodes, plain(a))
	}
	defer func() {
		for _, su := range setups {
			su.rdb.Close()
			for _, n := range su.nodes {
				n.Close()
			}
		}
	}()

	var warns atomic.Int64
	logger := newLogger(&warns)
	keys, _ := relay.NewKeys("hookgate", "scale")
	ordered := []relay.Ordered{{Relay: "ordered", By: by}}
	for round := 1; round <= o.rounds; round++ {
		// Alternate the order of setups and of runs, so a busy minute or
		// a warm cache does not favour one of them every time.
		order := slices.Clone(setups)
		kinds := slices.Clone(scaleKinds)
		if round%2 == 0 {
			slices.Reverse(order)
			slices.Reverse(kinds)
		}
		for _, su := range order {
			b := &bench{rdb: su.rdb, sink: sk, pids: su.pids, logger: logger, workers: o.workers, orderKeys: o.keys}
			b.app = relay.NewAppender(su.rdb, 2*time.Second, 4, 128)
			log.Printf("round %d, %s: filling %d events over %d customers (queued for the ordered relay)", round, su.name, o.scaleN, o.keys)
			t0 := time.Now()
			err := fillOrdered(ctx, b.app, keys, ordered, "sc", o.scaleN, o.keys)
			b.app.Close()
			if err != nil {
				return fmt.Errorf("%s: filling: %w", su.name, err)
			}
			rep.fills = append(rep.fills, fmt.Sprintf("round %d, %s: %.1f s", round, su.name, time.Since(t0).Seconds()))
			if len(su.nodes) > 1 && su.owner < 0 {
				for i, n := range su.nodes {
					if n.Exists(ctx, keys.Stream()).Val() == 1 {
						su.owner = i
						rep.owners = append(rep.owners, fmt.Sprintf("the stream `%s` and all its keys (one hash tag) live on master %d of %d", keys.Stream(), i+1, len(su.nodes)))
					}
				}
			}
			for _, kind := range kinds {
				r, err := b.scaleRun(ctx, su, keys, kind, by, o)
				if err != nil {
					return fmt.Errorf("round %d, %s, %s: %w", round, su.name, kind, err)
				}
				r.round, r.warns = round, warns.Swap(0)
				rep.runs = append(rep.runs, r)
				log.Printf("   %-9s %7.0f deliveries/s, redis %.1f µs CPU per delivery (other processes: %.0f %% of a core)",
					kind, r.rate(), r.redisUsPer(), r.cpu.other)
			}
			for _, n := range su.nodes {
				if err := n.FlushAll(ctx).Err(); err != nil {
					return err
				}
			}
		}
	}
	rep.load1 = loadAvg()
	section := rep.markdown()
	fmt.Println(section)
	if o.results != "" {
		begin, end := scaleMarkers(o.mark)
		if err := replaceSection(o.results, begin, end, section); err != nil {
			return err
		}
		log.Printf("wrote the %s section of %s", o.mark, o.results)
	}
	return nil
}

// scaleRun measures one kind of consumer over the n entries of keys.
func (b *bench) scaleRun(ctx context.Context, su *setup, keys relay.Keys, kind string, by relay.OrderBy, o options) (scaleRun, error) {
	r := scaleRun{setup: su.name, kind: kind, n: o.scaleN}
	r.quiet = waitQuiet(o.quietWait, 15, su.pids...)
	if err := resetStats(ctx, su.nodes); err != nil {
		return r, err
	}
	s0, err := readStats(ctx, su.nodes)
	if err != nil {
		return r, err
	}
	cfg := relay.Config{
		Name: kind, Keys: keys, To: b.sink.url, Secret: secret, Consumer: "relaybench",
		Workers: b.workers, Start: relay.StartAll,
	}
	switch kind {
	case "naive":
		res, err := b.naive(ctx, keys.Stream(), o.scaleN)
		if err != nil {
			return r, err
		}
		r.elapsed, r.cpu, r.dupes, r.disorder = res.elapsed, res.cpu, res.dupes, res.disorder
	case "ordered":
		cfg.OrderBy = by
		fallthrough
	default:
		res, err := b.relayRun(ctx, cfg, o.scaleN, nil)
		if err != nil {
			return r, err
		}
		r.elapsed, r.cpu, r.dupes, r.unknown, r.disorder = res.elapsed, res.cpu, res.dupes, res.unknown, res.disorder
	}
	s1, err := readStats(ctx, su.nodes)
	if err != nil {
		return r, err
	}
	r.redisCPU, r.cmds = s1.cpu-s0.cpu, s1.cmds
	return r, nil
}
