package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// report is everything the markdown section shows.
type report struct {
	opts                          options
	date                          time.Time
	args                          []string
	code                          string
	load0, load1                  string
	fill                          time.Duration
	base                          baselineResult
	naive                         baselineResult
	tput                          tputResult
	lat                           latResult
	mem                           memResult
	tputWarns, latWarns, memWarns int64
	profile                       string
}

// Targets from issue 4 (2-core machine).
const (
	targetRate   = 5000.0
	targetP99    = 20 * time.Millisecond
	flatSlackMiB = 8
)

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond)) }

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func workersText(n int) string {
	if n == 0 {
		return "default 8 workers"
	}
	return fmt.Sprintf("%d workers (NOT the default)", n)
}

func yesNo(ok bool, yes, no string) string {
	if ok {
		return yes
	}
	return no
}

func cpuCells(c cpuUse) string {
	return fmt.Sprintf("%.0f %% | %.0f %% | %.0f %% | %.0f %%", c.self, c.redis, c.other, c.idle)
}

// flat reports whether RSS stayed within flatSlackMiB of its value one
// second into the run (after connections and buffers are set up).
func (r memResult) flat() (bool, int64) {
	if len(r.samples) < 3 {
		return false, 0
	}
	ref := r.samples[1].rss
	var grew int64
	for _, s := range r.samples[1:] {
		grew = max(grew, s.rss-ref)
	}
	return grew <= flatSlackMiB<<20, grew
}

func (r report) markdown() string {
	var w strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&w, format+"\n", a...) }
	o := r.opts
	cmd := "go run ./bench/relaybench"
	if len(r.args) > 0 {
		cmd += " " + strings.Join(r.args, " ")
	}
	p("%s", beginMarker)
	p("## Relay: deliveries/s, end-to-end latency, memory with a backlog")
	p("")
	p("Written by `bench/relaybench` (run by `bench/relay.sh`) — do not edit between the markers.")
	p("")
	p("- date: %s", r.date.Format("2006-01-02 15:04 UTC"))
	p("- code: %s (at the start of the run)", r.code)
	p("- machine: %d CPUs, %s; %s; redis-server %s", runtime.NumCPU(), cpuModel(), goVersion(), redisVersion())
	p("- load average (1/5/15 min) at start: %s; at end: %s (the machine is shared with other builds and tests)", r.load0, r.load1)
	p("- command: `%s` (from the repository root)", cmd)
	p("- one process holds the relay, the sink and the load generator; a private redis-server (no persistence) on loopback;")
	p("  the relay runs with default settings (%s, 10 s timeout) through a go-redis client configured as the", workersText(o.workers))
	p("  hookgate app configures it; the sink is a net/http server on 127.0.0.1 that reads the body and answers 200 at once.")
	p("")
	p("### Throughput: %d pre-filled ~%d-byte Stripe `invoice.paid` events", o.n, bodySize)
	p("")
	p("Filled through `relay.Appender` (dedupe key + XADD, as ingest stores them) in %.1f s; each run reads the same", r.fill.Seconds())
	p("entries through its own consumer group. CPU in %% of one core over the run (%d cores = %d %%); \"other\" is every other", runtime.NumCPU(), runtime.NumCPU()*100)
	p("process on the machine (busy time from /proc/stat, which the kernel samples per tick: with light, bursty load as in the")
	p("latency run the columns can add up to more than %d %%).", runtime.NumCPU()*100)
	p("")
	p("| run | time | rate | bench process CPU | redis CPU | other | idle |")
	p("|---|---:|---:|---:|---:|---:|---:|")
	p("| a. bare `XREADGROUP COUNT 64` + `XACK`, 8 goroutines | %.2f s | %.0f entries/s | %s |", r.base.elapsed.Seconds(), r.base.rate(), cpuCells(r.base.cpu))
	p("| a2. naive loop: 8 goroutines, `XREADGROUP COUNT 8`, per entry POST raw body → sink + `XACK` | %.2f s | %.0f deliveries/s | %s |", r.naive.elapsed.Seconds(), r.naive.rate(), cpuCells(r.naive.cpu))
	p("| b. relay, %s → sink | %.2f s | **%.0f deliveries/s** | %s |", workersText(o.workers), r.tput.elapsed.Seconds(), r.tput.rate(), cpuCells(r.tput.cpu))
	p("")
	p("- **relay / baseline: %.2f×** (relay / naive loop: %.2f×); relay target ≥ %.0f deliveries/s: **%s**",
		r.tput.rate()/r.base.rate(), r.tput.rate()/r.naive.rate(), targetRate, yesNo(r.tput.rate() >= targetRate, "met", "MISSED"))
	p("- a2 is the relay's shape without its work (no normalizing, signing, Lua ack, breaker): the gap a → a2 is one HTTP and one")
	p("  Redis round trip per entry; the gap a2 → b is what the relay does on top.")
	p("- relay: the sink got %d requests for %d events (%d duplicates, %d unknown ids); nothing pending %.2f s after start;",
		r.tput.delivered, r.tput.n, r.tput.dupes, r.tput.unknown, r.tput.acked.Seconds())
	p("  relay log lines at warn or above: %d.", r.tputWarns)
	if r.profile != "" {
		p("- CPU profile of run b (`-cpuprofile`):")
		p("")
		p("```")
		p("%s", strings.TrimRight(r.profile, "\n"))
		p("```")
	}
	p("")
	p("### End-to-end latency at %d events/s for %v", o.rate, o.latDur)
	p("")
	p("Each event is appended through `relay.Appender` from a ticker; latency = start of the append → the sink received it.")
	p("")
	l := r.lat
	p("| events sent | delivered | duplicates | append errors | e2e p50 | p90 | p99 | max | append p50 | append p99 |")
	p("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	p("| %d in %.1f s | %d | %d | %d | %s | %s | **%s** | %s | %s | %s |", l.sent, l.sendTime.Seconds(), l.delivered, l.dupes, l.appendErrs,
		ms(pct(l.e2e, 50)), ms(pct(l.e2e, 90)), ms(pct(l.e2e, 99)), ms(pct(l.e2e, 100)), ms(pct(l.appendLat, 50)), ms(pct(l.appendLat, 99)))
	p("")
	p("- target p99 < %v: **%s**; CPU during the run: bench %.0f %%, redis %.0f %%, other %.0f %%, idle %.0f %%; relay warnings: %d.",
		targetP99, yesNo(pct(l.e2e, 99) < targetP99, "met", "MISSED"), l.cpu.self, l.cpu.redis, l.cpu.other, l.cpu.idle, r.latWarns)
	p("")
	m := r.mem
	start, mx, end := m.rss()
	flat, grew := m.flat()
	p("### Memory: a backlog of %d entries", m.n)
	p("")
	p("%d small (~%d-byte body) entries XADDed in pipelines (same fields as ingest writes) in %.1f s; the stream takes %s in Redis.",
		m.n, len(bodyPrefix)+len(eventID("mem", 0))+len(smallHead), m.fill.Seconds(), mib(m.streamMem))
	p("Then a relay works on it for %.1f s; VmRSS of this process (relay + sink + client) sampled every second.", m.elapsed.Seconds())
	p("")
	p("| t | VmRSS | Go heap in use | delivered | pending in the group |")
	p("|---:|---:|---:|---:|---:|")
	for i, s := range m.samples {
		t := fmt.Sprintf("%.0f s", s.at.Seconds())
		pending := fmt.Sprint(s.pending)
		if i == 0 {
			t, pending = "before start", "—"
		}
		p("| %s | %s | %s | %d | %s |", t, mib(s.rss), mib(s.heap), s.delivered, pending)
	}
	p("")
	p("- RSS before start %s, max %s, end %s; %d delivered (%.0f deliveries/s on the backlog, CPU: bench %.0f %%, redis %.0f %%, other %.0f %%);",
		mib(start), mib(mx), mib(end), m.delivered, m.rate(), m.cpu.self, m.cpu.redis, m.cpu.other)
	p("  relay warnings: %d.", r.memWarns)
	p("- RSS flat (grows at most %d MiB after the first second; it grew %s): **%s**", flatSlackMiB, mib(grew), yesNo(flat, "yes", "NO"))
	p("%s", endMarker)
	return w.String()
}

// profileSummary splits the profile by pprof label (relay / sink / rest) and
// lists the top functions; the full listings go next to the profile.
func profileSummary(path string) string {
	run := func(args ...string) string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		out, err := exec.CommandContext(ctx, "go", append([]string{"tool", "pprof"}, args...)...).Output()
		if err != nil {
			return ""
		}
		return string(out)
	}
	tags := run("-tags", path)
	top := run("-top", "-nodecount=40", path)
	relayCum := run("-top", "-cum", "-nodecount=60", "-tagfocus=part=relay", path)
	_ = os.WriteFile(path+".top.txt", []byte(top), 0o644)
	_ = os.WriteFile(path+".relay-cum.txt", []byte(relayCum), 0o644)
	var b strings.Builder
	if i := strings.Index(tags, "part:"); i >= 0 {
		b.WriteString(strings.TrimRight(tags[i:], "\n") + "\n  (the rest: GC, runtime and the load generator)\n\n")
	}
	// Where the relay's goroutines spend their time, cumulative.
	b.WriteString("relay goroutines, cumulative (of all samples):\n")
	n := 0
	for _, l := range strings.Split(relayCum, "\n") {
		if n < 14 && (strings.Contains(l, "caddy-hookgate/") || strings.Contains(l, "json.Marshal") ||
			strings.Contains(l, "Script).Run") || strings.Contains(l, "http.(*Client).Do")) {
			b.WriteString(l + "\n")
			n++
		}
	}
	b.WriteString("\nwhole process, flat:\n")
	n = 0
	inTable := false
	for _, l := range strings.Split(top, "\n") {
		if strings.Contains(l, "flat%") {
			inTable = true
		}
		if inTable && n <= 12 {
			b.WriteString(l + "\n")
			n++
		} else if strings.HasPrefix(l, "Duration") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
