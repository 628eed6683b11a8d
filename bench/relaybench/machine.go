package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// rssBytes is this process's resident set size (VmRSS).
func rssBytes() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

// clkTck is USER_HZ, 100 on Linux for every architecture Go supports.
const clkTck = 100

// cpuSnap is CPU time used so far: by this process, by the redis-server
// processes (summed), and by the whole machine (busy and total, all cores).
type cpuSnap struct {
	at          time.Time
	self, redis time.Duration
	busy, total time.Duration
}

func takeCPU(redisPIDs ...int) cpuSnap {
	s := cpuSnap{at: time.Now()}
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		s.self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	for _, pid := range redisPIDs {
		s.redis += procCPU(pid)
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		line, _, _ := strings.Cut(string(b), "\n")
		f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
		var total, idle int64
		for i, v := range f[1:] {
			if i >= 8 { // guest time is counted in user already
				break
			}
			n, _ := strconv.ParseInt(v, 10, 64)
			total += n
			if i == 3 || i == 4 {
				idle += n
			}
		}
		s.busy = time.Duration(total-idle) * time.Second / clkTck
		s.total = time.Duration(total) * time.Second / clkTck
	}
	return s
}

// procCPU is the user+system time process pid used so far, 0 if unknown.
func procCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the ")" that ends the command name: utime is the 12th, stime the 13th.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) <= 12 {
		return 0
	}
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+st) * time.Second / clkTck
}

// cpuUse is the CPU used between two snapshots, in % of one core.
type cpuUse struct{ self, redis, other, idle float64 }

func cpuBetween(a, b cpuSnap) cpuUse {
	wall := b.at.Sub(a.at).Seconds()
	if wall <= 0 {
		return cpuUse{}
	}
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / wall }
	u := cpuUse{self: pct(b.self - a.self), redis: pct(b.redis - a.redis)}
	busy := pct(b.busy - a.busy)
	u.other = max(busy-u.self-u.redis, 0)
	u.idle = max(float64(runtime.NumCPU())*100-busy, 0)
	return u
}

func goVersion() string {
	if out, err := exec.Command("go", "env", "GOVERSION").Output(); err == nil {
		return strings.TrimSpace(string(out))
	}
	return runtime.Version()
}

// codeRev is the short commit and the paths outside bench/ that differ
// from it when the program starts (others may be editing them).
func codeRev() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	rev := strings.TrimSpace(string(out))
	st, _ := exec.Command("git", "status", "--porcelain").Output()
	var changed []string
	for _, l := range strings.Split(string(st), "\n") {
		if len(l) > 3 && !strings.HasPrefix(l[3:], "bench/") {
			changed = append(changed, "`"+l[3:]+"`")
		}
	}
	switch {
	case len(changed) == 0:
		return rev
	case len(changed) > 12:
		changed = append(changed[:12], "…")
	}
	return rev + " + uncommitted changes in " + strings.Join(changed, ", ")
}

// waitQuiet waits, at most maxWait, until processes other than this one and
// the redis-servers use under limit % of one core over a second, so that
// colleagues' builds and tests share the CPUs with as few measured runs as
// possible. It returns the other processes' use in the last second looked at.
func waitQuiet(maxWait time.Duration, limit float64, redisPIDs ...int) float64 {
	deadline := time.Now().Add(maxWait)
	for {
		a := takeCPU(redisPIDs...)
		time.Sleep(time.Second)
		other := cpuBetween(a, takeCPU(redisPIDs...)).other
		if other <= limit || time.Now().After(deadline) {
			return other
		}
		time.Sleep(time.Second)
	}
}
