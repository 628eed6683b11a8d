package main

import (
	"cmp"
	"fmt"
	"runtime"
	"slices"
	"strings"
)

// Targets from issue 12.
const (
	targetOrdered = 0.8 // ordered / unordered, 1,000 keys
	targetNaive   = 0.9 // relay / naive loop
	busyLimit     = 15  // % of a core used by other processes that makes a run disturbed
)

func (r scaleReport) run(round int, setup, kind string) (scaleRun, bool) {
	for _, x := range r.runs {
		if x.round == round && x.setup == setup && x.kind == kind {
			return x, true
		}
	}
	return scaleRun{}, false
}

// best is the highest rate of kind on setup over the rounds.
func (r scaleReport) best(setup, kind string) float64 {
	var b float64
	for _, x := range r.runs {
		if x.setup == setup && x.kind == kind {
			b = max(b, x.rate())
		}
	}
	return b
}

func (r scaleReport) setups() []string {
	var s []string
	for _, x := range r.runs {
		if !slices.Contains(s, x.setup) {
			s = append(s, x.setup)
		}
	}
	return s
}

// topCmds lists the commands that took most of Redis's command time in a
// run, per delivery.
func topCmds(x scaleRun, n int) string {
	type c struct {
		name string
		cmdStat
	}
	var cs []c
	for name, st := range x.cmds {
		if name == "info" || name == "config|resetstat" || float64(st.usec)/float64(x.n) < 0.01 {
			continue
		}
		cs = append(cs, c{name, st})
	}
	slices.SortFunc(cs, func(a, b c) int { return cmp.Compare(b.usec, a.usec) })
	var parts []string
	for _, e := range cs[:min(n, len(cs))] {
		parts = append(parts, fmt.Sprintf("%s %.2f calls / %.2f µs", strings.ToUpper(e.name),
			float64(e.calls)/float64(x.n), float64(e.usec)/float64(x.n)))
	}
	return strings.Join(parts, ", ")
}

func (r scaleReport) markdown() string {
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	o := r.opts
	cmd := "go run ./bench/relaybench"
	if len(r.args) > 0 {
		cmd += " " + strings.Join(r.args, " ")
	}
	maxOther, busy := 0.0, 0
	for _, x := range r.runs {
		maxOther = max(maxOther, x.cpu.other)
		if x.cpu.other > busyLimit {
			busy++
		}
	}
	begin, end := scaleMarkers(o.mark)
	p("%s", begin)
	p("## Relay: one redis-server vs a 3-master Cluster; ordered vs unordered vs the naive loop")
	p("")
	p("Written by `bench/relaybench -scale` (run by `bench/relay-scale.sh`) — do not edit between the markers.")
	p("")
	if busy > 0 {
		p("**Provisional:** other processes (builds and tests of other sessions) used more than %d %% of a core in %d of %d runs (up to %.0f %%);", busyLimit, busy, len(r.runs), maxOther)
		p("the rates below are disturbed by them. Ratios within a round are steadier than the absolute figures.")
		p("")
	}
	p("- date: %s", r.date.Format("2006-01-02 15:04 UTC"))
	p("- code: %s (at the start of the run)", r.code)
	p("- machine: %d CPUs, %s; %s; redis-server %s", runtime.NumCPU(), cpuModel(), goVersion(), redisVersion())
	p("- load average (1/5/15 min) at start: %s; at end: %s (the machine is shared with other builds and tests)", r.load0, r.load1)
	p("- command: `%s` (from the repository root)", cmd)
	p("- per round and setup: %d ~%d-byte Stripe `invoice.paid` events over %d customers (a fixed pseudo-random spread, about %d events each),",
		o.scaleN, bodySize, o.keys, o.scaleN/o.keys)
	p("  stored through `relay.Appender` as ingest stores them for a relay with `order_by %s` (dedupe key, XADD and the entry id", orderPath)
	p("  pushed to its customer's queue, one script per batch); then, over the same entries, each in its own consumer group: the naive loop")
	p("  (8 goroutines, `XREADGROUP COUNT 8`, per entry POST raw body + `XACK`), the relay (%s) and the same relay with", workersText(o.workers))
	p("  `order_by %s`. One process holds the relays, the sink (200 at once) and the client; private redis-servers", orderPath)
	p("  without persistence on loopback; the cluster is 3 masters, no replicas (`redis-cli --cluster create`), reached through")
	p("  a go-redis `ClusterClient` configured as the hookgate app configures `redis_cluster`. Setups and runs go in reverse order in even rounds.")
	p("- fill times: %s", strings.Join(r.fills, "; "))
	for _, l := range r.owners {
		p("- cluster: %s (partitions are not built yet), so the other two masters only idle; the cluster figures are the cost of cluster mode per event, not a spread", l)
	}
	p("- Redis CPU = `used_cpu_sys` + `used_cpu_user` (INFO cpu) over the run, summed over every node; per delivery = that / events.")
	p("  Other CPU columns in %% of one core (%d cores = %d %%), from /proc; \"other\" is every other process on the machine.", runtime.NumCPU(), runtime.NumCPU()*100)
	p("")
	p("| round | Redis | run | time | deliveries/s | bench process CPU | redis CPU | other | idle | **Redis CPU µs per delivery** |")
	p("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.runs {
		p("| %d | %s | %s | %.2f s | %.0f | %s | %.1f |", x.round, x.setup, x.kind, x.elapsed.Seconds(), x.rate(), cpuCells(x.cpu), x.redisUsPer())
	}
	p("")
	p("Ratios in the same round (and of the best rate of each over the rounds):")
	p("")
	p("| Redis | round | relay / naive | ordered / unordered | ordered / naive |")
	p("|---|---:|---:|---:|---:|")
	for _, su := range r.setups() {
		for round := 1; round <= o.rounds; round++ {
			nv, _ := r.run(round, su, "naive")
			un, _ := r.run(round, su, "unordered")
			or, _ := r.run(round, su, "ordered")
			p("| %s | %d | %.2f× | %.2f× | %.2f× |", su, round, un.rate()/nv.rate(), or.rate()/un.rate(), or.rate()/nv.rate())
		}
		nv, un, or := r.best(su, "naive"), r.best(su, "unordered"), r.best(su, "ordered")
		p("| %s | best | **%.2f×** | **%.2f×** | %.2f× |", su, un/nv, or/un, or/nv)
	}
	p("")
	setups := r.setups()
	if len(setups) == 2 {
		p("Redis CPU per delivery, Cluster / one server (same round, same run):")
		p("")
		for _, kind := range scaleKinds {
			var parts []string
			for round := 1; round <= o.rounds; round++ {
				a, _ := r.run(round, setups[0], kind)
				b, _ := r.run(round, setups[1], kind)
				parts = append(parts, fmt.Sprintf("round %d: %.1f / %.1f µs = %.2f×", round, b.redisUsPer(), a.redisUsPer(), b.redisUsPer()/a.redisUsPer()))
			}
			p("- %s: %s", kind, strings.Join(parts, "; "))
		}
		p("")
	}
	p("Where Redis's command time went in the last round, per delivery (`INFO commandstats`, reset before each run; a script's")
	p("time includes the commands it runs, which are also counted on their own lines):")
	p("")
	for _, su := range setups {
		for _, kind := range scaleKinds {
			if x, ok := r.run(o.rounds, su, kind); ok {
				p("- %s, %s: %s", su, kind, topCmds(x, 5))
			}
		}
	}
	p("")
	var bad []string
	var dis []string
	for _, x := range r.runs {
		if x.dupes != 0 || x.unknown != 0 || x.warns != 0 {
			bad = append(bad, fmt.Sprintf("round %d %s %s: %d duplicates, %d unknown ids, %d warnings", x.round, x.setup, x.kind, x.dupes, x.unknown, x.warns))
		}
		if x.kind == "ordered" && x.disorder != 0 {
			bad = append(bad, fmt.Sprintf("round %d %s ordered: %d deliveries out of their key's order", x.round, x.setup, x.disorder))
		}
		if x.kind != "ordered" {
			dis = append(dis, fmt.Sprintf("%d", x.disorder))
		}
	}
	p("- checks: every run delivered each of its %d events; %s. Deliveries that reached the sink after a later event of their",
		o.scaleN, yesNo(len(bad) == 0, "no duplicates, no unknown ids, no relay warnings, the ordered relay never out of order", "**"+strings.Join(bad, "; ")+"**"))
	p("  customer, unordered relay and naive loop (for scale: nothing orders them): %s.", strings.Join(dis, ", "))
	for _, su := range setups {
		nv, un, or := r.best(su, "naive"), r.best(su, "unordered"), r.best(su, "ordered")
		p("- %s: ordered within %.0f %% of unordered (≥ %.1f×): **%s**; relay ≥ %.1f× the naive loop: **%s**", su,
			(1-targetOrdered)*100, targetOrdered, yesNo(or/un >= targetOrdered, "met", "MISSED"), targetNaive, yesNo(un/nv >= targetNaive, "met", "MISSED"))
	}
	p("%s", end)
	return w.String()
}
