package tests

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// The route and bounds the slow-body tests run against: every slow sender
// declares a body of max_size (1 MiB), so the 3.5 MiB budget holds three
// of them (1 MiB of buffer each) and leaves 512 KiB for honest senders.
const (
	slowSite = `webhook /stripe stripe {
		secret whsec_test_secret
		read_timeout 2s
	}`
	slowBudget   = 3584 << 10 // max_buffered 3.5MiB
	slowTimeout  = 2 * time.Second
	slowBodySize = 1 << 20
	// slowSlack is what Caddy's peak RSS may grow by beyond the budget: the
	// buffers growing bodies left behind for the garbage collector (as much
	// again as they hold), the connections and goroutines of 60 senders,
	// and the GC's headroom over the live heap. Measured: 5 to 8 MiB in all;
	// the code before the budget grew by 93 MiB here.
	slowSlack = 16 << 20
)

// slowSender is an unauthenticated client on a raw connection: it sends
// headers declaring a 1 MiB body (or a chunked one), pushes burst bytes of
// it as fast as Caddy reads them, then trickles one byte every 200 ms and
// never finishes.
type slowSender struct {
	started time.Time
	port    int // local port, to find the connection in /proc/net/tcp
	conn    net.Conn
	pushed  atomic.Bool // the burst is written
	answer  chan slowAnswer
}

type slowAnswer struct {
	status int
	header http.Header
	body   string
	close  bool          // Connection: close
	after  time.Duration // since the sender connected
	err    error
}

func sendSlowly(t *testing.T, c *caddy, chunked bool, burst int) *slowSender {
	t.Helper()
	framing := "Content-Length: " + strconv.Itoa(slowBodySize)
	if chunked {
		framing = "Transfer-Encoding: chunked"
	}
	return sendSlowlyAs(t, c, "POST /stripe", "Content-Type: application/json\r\n"+framing, chunked, burst, slowBodySize)
}

// sendSlowlyAs is sendSlowly with its own request line and headers, for a
// body of size bytes.
func sendSlowlyAs(t *testing.T, c *caddy, request, headers string, chunked bool, burst, size int) *slowSender {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(c.Base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &slowSender{started: time.Now(), port: conn.LocalAddr().(*net.TCPAddr).Port, conn: conn, answer: make(chan slowAnswer, 1)}
	head := request + " HTTP/1.1\r\nHost: " + strings.TrimPrefix(c.Base, "http://") + "\r\n" +
		"Stripe-Signature: t=1,v1=00\r\n" + headers + "\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		a := slowAnswer{after: time.Since(s.started), err: err}
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			a.status, a.header, a.body, a.close = resp.StatusCode, resp.Header, string(b), resp.Close
		}
		s.answer <- a
		conn.Close() // stops the writer
	}()
	go func() {
		piece := bytes.Repeat([]byte("a"), 32<<10)
		write := func(p []byte) error {
			if chunked {
				_, err := fmt.Fprintf(conn, "%x\r\n%s\r\n", len(p), p)
				return err
			}
			_, err := conn.Write(p)
			return err
		}
		for sent := 0; sent < burst; sent += len(piece) {
			if err := write(piece[:min(len(piece), burst-sent)]); err != nil {
				return
			}
		}
		s.pushed.Store(true)
		for sent := burst; sent < size-1; sent++ {
			time.Sleep(200 * time.Millisecond) // the trickle itself, not a wait for work
			if err := write(piece[:1]); err != nil {
				return
			}
		}
	}()
	return s
}

// answered returns the sender's answer if it has one.
func (s *slowSender) answered() (slowAnswer, bool) {
	select {
	case a := <-s.answer:
		s.answer <- a
		return a, true
	default:
		return slowAnswer{}, false
	}
}

// held reports that Caddy has read the whole burst and not answered: no
// byte of it waits in either socket.
func (s *slowSender) held(t *testing.T, c *caddy) bool {
	t.Helper()
	if _, done := s.answered(); done || !s.pushed.Load() {
		return false
	}
	queued, ok := tcpQueued(t, c.Port, s.port)
	return ok && queued == 0
}

// await waits for the sender's answer.
func (s *slowSender) await(t *testing.T, limit time.Duration) slowAnswer {
	t.Helper()
	select {
	case a := <-s.answer:
		s.answer <- a
		if a.err != nil {
			t.Fatalf("slow sender on port %d: no answer: %v", s.port, a.err)
		}
		return a
	case <-time.After(limit):
		t.Fatalf("slow sender on port %d: no answer within %v", s.port, limit)
		return slowAnswer{}
	}
}

// tcpQueued sums the bytes the client on clientPort has sent to Caddy on
// caddyPort that Caddy has not read yet: the client's send queue and
// Caddy's receive queue, as /proc/net/tcp and tcp6 list them (Caddy's
// dual-stack listener accepts IPv4 clients on IPv6 sockets).
func tcpQueued(t *testing.T, caddyPort, clientPort int) (int, bool) {
	t.Helper()
	port := func(addr string) int {
		i := strings.LastIndexByte(addr, ':')
		p, _ := strconv.ParseUint(addr[i+1:], 16, 16)
		return int(p)
	}
	queued, found := 0, 0
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		data, err := os.ReadFile(table)
		if err != nil {
			t.Fatalf("reading %s: %v", table, err)
		}
		for _, line := range strings.Split(string(data), "\n")[1:] {
			f := strings.Fields(line)
			if len(f) < 5 {
				continue
			}
			local, remote := port(f[1]), port(f[2])
			tx, rx, _ := strings.Cut(f[4], ":")
			switch {
			case local == clientPort && remote == caddyPort:
				n, _ := strconv.ParseInt(tx, 16, 64)
				queued += int(n)
				found++
			case local == caddyPort && remote == clientPort:
				n, _ := strconv.ParseInt(rx, 16, 64)
				queued += int(n)
				found++
			}
		}
	}
	return queued, found == 2
}

// procStatus returns a size field of /proc/<pid>/status, in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("%s: %q", field, line)
			}
			return kb << 10
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// resetPeakRSS makes VmHWM start again from the current RSS.
func resetPeakRSS(t *testing.T, pid int) {
	t.Helper()
	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0); err != nil {
		t.Fatalf("resetting the peak RSS: %v", err)
	}
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

// sendHonest posts a signed Stripe event with a body of about size bytes.
func sendHonest(t *testing.T, c *caddy, id string, size int) (int, http.Header, string) {
	t.Helper()
	body := stripeEvent(id)
	if pad := size - len(body); pad > 0 {
		body = `{"id":"` + id + `","type":"invoice.paid","pad":"` + strings.Repeat("p", pad) + `"}`
	}
	return c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body))
}

func assertBusy(t *testing.T, what string, status int, header http.Header, body string) {
	t.Helper()
	if status != 503 || header.Get("Retry-After") == "" || body != "{\"error\":\"too many bodies being received, retry later\"}\n" {
		t.Fatalf("%s: %d, Retry-After %q, %q; want 503 with Retry-After and the JSON error", what, status, header.Get("Retry-After"), body)
	}
}

// Sixty unauthenticated senders push 1 MiB bodies at once and then trickle:
// Caddy buffers at most max_buffered of them (each refused one gets the 503
// when its buffer would pass the bound), honest small events are accepted
// meanwhile, and the ones holding buffers are cut at read_timeout with 408.
func TestSlowBodiesHoldAtMostMaxBuffered(t *testing.T) {
	c := slowCaddy(t)
	pid := c.PID()
	if status, _, reply := sendHonest(t, c, "evt_warm", 0); status != 202 {
		t.Fatalf("warm-up: %d %s", status, reply)
	}
	resetPeakRSS(t, pid)
	base := procStatus(t, pid, "VmRSS")

	senders := make([]*slowSender, 60)
	for i := range senders {
		senders[i] = sendSlowly(t, c, false, slowBodySize-64)
	}
	waitFor(t, 10*time.Second, "every slow sender to be refused or to have its burst read", func() bool {
		for _, s := range senders {
			if _, done := s.answered(); !done && !s.held(t, c) {
				return false
			}
		}
		return true
	})
	for i := range 20 {
		if status, _, reply := sendHonest(t, c, fmt.Sprintf("evt_during_%d", i), 0); status != 202 {
			t.Fatalf("honest event %d while slow senders hold the budget: %d %s", i, status, reply)
		}
	}
	since := time.Since(senders[0].started)
	if since >= slowTimeout {
		t.Fatalf("the honest events were sent %v after the slow senders started, past read_timeout: this machine is too slow for the test", since)
	}
	counts := map[int]int{}
	for _, s := range senders {
		a := s.await(t, slowTimeout+3*time.Second)
		counts[a.status]++
		switch a.status {
		case 503:
			assertBusy(t, "slow sender refused", a.status, a.header, a.body)
		case 408:
			if a.after < slowTimeout-100*time.Millisecond || a.after > slowTimeout+1500*time.Millisecond {
				t.Errorf("slow sender cut after %v, read_timeout is %v", a.after, slowTimeout)
			}
			if a.body != "{\"error\":\"body not received within 2s\"}\n" {
				t.Errorf("408 body %q", a.body)
			}
		default:
			t.Errorf("slow sender answered %d %q, want 503 or 408", a.status, a.body)
		}
	}
	peak := procStatus(t, pid, "VmHWM")
	t.Logf("60 slow senders: %v; honest events done %v after they started; Caddy RSS %s before, peak %s (+%s; bound max_buffered %s + slack %s)",
		counts, since.Round(time.Millisecond), mib(base), mib(peak), mib(peak-base), mib(slowBudget), mib(slowSlack))
	if peak-base > slowBudget+slowSlack {
		t.Fatalf("Caddy's RSS grew by %s under slow senders; bound %s", mib(peak-base), mib(slowBudget+slowSlack))
	}
	if counts[408] > 3 || counts[408]+counts[503] != len(senders) {
		t.Fatalf("answers %v: at most 3 bodies of 1 MiB fit in max_buffered 3.5MiB", counts)
	}
}

// One at a time, three slow senders fill the budget. Past it, a sender
// declaring 1 MiB gets the 503 before sending any body, and so does an
// honest event that does not fit; a chunked sender is refused once its
// buffer would pass the bound; a small honest event still fits. When
// read_timeout cuts the three, their budget is back: a large event is
// accepted and three slow senders fit again.
func TestFullBudgetRefusesFastAndComesBack(t *testing.T) {
	c := slowCaddy(t)
	hold := func() []*slowSender {
		var held []*slowSender
		for range 3 {
			s := sendSlowly(t, c, false, slowBodySize-64)
			waitFor(t, 5*time.Second, "Caddy to read a slow sender's burst", func() bool {
				if a, done := s.answered(); done {
					t.Fatalf("slow sender %d of 3 answered %d %q; three fit in max_buffered", len(held)+1, a.status, a.body)
				}
				return s.held(t, c)
			})
			held = append(held, s)
		}
		return held
	}
	held := hold()

	s := sendSlowly(t, c, false, 0)
	a := s.await(t, time.Second)
	assertBusy(t, "a fourth slow sender, before sending any body", a.status, a.header, a.body)

	// Refused while it is still writing, the sender reads its 503: Caddy
	// closes its side and lingers instead of resetting the connection.
	for i := range 20 {
		start := time.Now()
		status, header, reply := sendHonest(t, c, "evt_large", 900<<10)
		assertBusy(t, fmt.Sprintf("a 900 KiB honest event while the budget is full (%d)", i), status, header, reply)
		if took := time.Since(start); took > 500*time.Millisecond {
			t.Fatalf("the 503 took %v", took)
		}
	}

	chunked := sendSlowly(t, c, true, slowBodySize-64)
	a = chunked.await(t, time.Second)
	assertBusy(t, "a chunked slow sender past the budget", a.status, a.header, a.body)

	if status, _, reply := sendHonest(t, c, "evt_small", 0); status != 202 {
		t.Fatalf("a small honest event while the budget is full: %d %s", status, reply)
	}
	since := time.Since(held[0].started)
	t.Logf("checks done %v after the first slow sender started", since.Round(time.Millisecond))
	if since >= slowTimeout {
		t.Fatalf("checks done %v after the first slow sender started, past read_timeout: this machine is too slow for the test", since)
	}

	for i, s := range held {
		if a := s.await(t, slowTimeout+3*time.Second); a.status != 408 {
			t.Fatalf("held slow sender %d: %d %q, want 408", i, a.status, a.body)
		}
	}
	if status, _, reply := sendHonest(t, c, "evt_large", 900<<10); status != 202 {
		t.Fatalf("the 900 KiB event once the slow senders are cut: %d %s", status, reply)
	}
	hold()
}

// slowCaddy runs the slow-body route with max_buffered 3.5MiB against its
// own redis-server.
func slowCaddy(t *testing.T) *caddy {
	t.Helper()
	return startCaddy(t, redistest.Start(t).URL(), "max_buffered 3.5MiB", slowSite)
}

// A refusal that needs no body goes out at once to a slow sender, and the
// connection closes: net/http would otherwise read up to 256 KiB of the
// body first, as slowly as it comes.
func TestRefusalsDoNotWaitForTheBody(t *testing.T) {
	c := startCaddy(t, redistest.Start(t).URL(), "", slowSite+`
	webhook /small stripe {
		secret whsec_test_secret
		max_size 4KB
	}`)
	cases := []struct {
		name, request, headers string
		status                 int
	}{
		{"not POST", "PUT /stripe", "Content-Type: application/json\r\nContent-Length: 100000", 405},
		{"wrong content type", "POST /stripe", "Content-Type: text/plain\r\nContent-Length: 100000", 415},
		{"declared over max_size", "POST /small", "Content-Type: application/json\r\nContent-Length: 100000", 413},
		{"chunked over max_size", "POST /small", "Content-Type: application/json\r\nTransfer-Encoding: chunked", 413},
	}
	for _, c2 := range cases {
		t.Run(c2.name, func(t *testing.T) {
			chunked := strings.Contains(c2.headers, "chunked")
			a := sendSlowlyAs(t, c, c2.request, c2.headers, chunked, 8<<10, 100000).await(t, time.Second)
			if a.status != c2.status || !a.close {
				t.Fatalf("%d, closing %v, %q; want %d and Connection: close", a.status, a.close, a.body, c2.status)
			}
		})
	}
	t.Run("a body cut short is a bad request", func(t *testing.T) {
		conn, err := net.Dial("tcp", strings.TrimPrefix(c.Base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		head := "POST /stripe HTTP/1.1\r\nHost: " + strings.TrimPrefix(c.Base, "http://") + "\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"id\":"
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).CloseWrite()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		reply, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 400 || string(reply) != "{\"error\":\"reading body failed\"}\n" {
			t.Fatalf("%d %q; want 400 reading body failed", resp.StatusCode, reply)
		}
	})
}

// A body whose event could not be stored gives its budget back too: with
// Redis down, six 900 KiB events in a row, more than max_buffered
// together, each get the store's 503, never the budget's.
func TestStoreUnavailableGivesTheBudgetBack(t *testing.T) {
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "max_buffered 3.5MiB\n\t\ttimeout 300ms", slowSite)
	srv.Stop()
	for i := range 6 {
		status, header, reply := sendHonest(t, c, fmt.Sprintf("evt_unstored_%d", i), 900<<10)
		if status != 503 || header.Get("Retry-After") == "" || !strings.Contains(reply, "event store unavailable") {
			t.Fatalf("900 KiB event %d with Redis down: %d, Retry-After %q, %s; want the store's 503", i, status, header.Get("Retry-After"), reply)
		}
	}
}

// Caddy's own read_body, when shorter than read_timeout, is the one that
// cuts a slow body; the answer is the same 408.
func TestShorterServerReadBodyApplies(t *testing.T) {
	// The options close the hookgate block and open servers, which the
	// helper's closing brace ends.
	servers := "}\n\tservers {\n\t\ttimeouts {\n\t\t\tread_body 1s\n\t\t}"
	c := startCaddy(t, redistest.Start(t).URL(), servers, slowSite)
	a := sendSlowly(t, c, false, 64<<10).await(t, 5*time.Second)
	if a.status != 408 || a.body != "{\"error\":\"body not received within 1s\"}\n" || a.after > 1800*time.Millisecond {
		t.Fatalf("slow sender with read_body 1s and read_timeout 2s: %d %q after %v; want 408 after 1s", a.status, a.body, a.after)
	}
}

// Over HTTP/2 the deadline is the stream's: a slow body is cut the same way.
func TestSlowBodyOverHTTP2IsCut(t *testing.T) {
	c := startCaddy(t, redistest.Start(t).URL(), "}\n\tservers {\n\t\tprotocols h1 h2c", slowSite)
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	h2c := &http.Transport{Protocols: &protocols}
	defer h2c.CloseIdleConnections()
	body, trickle := io.Pipe()
	defer trickle.Close()
	go func() {
		if _, err := trickle.Write(bytes.Repeat([]byte("a"), 64<<10)); err != nil {
			return
		}
		for {
			time.Sleep(200 * time.Millisecond) // the trickle itself
			if _, err := trickle.Write([]byte("a")); err != nil {
				return
			}
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), slowTimeout+3*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.Base+"/stripe", body)
	req.ContentLength = slowBodySize
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := h2c.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	reply, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if took := time.Since(start); resp.ProtoMajor != 2 || resp.StatusCode != 408 || took > slowTimeout+1500*time.Millisecond {
		t.Fatalf("slow body over %s: %d %q after %v; want 408 after read_timeout %v", resp.Proto, resp.StatusCode, reply, took, slowTimeout)
	}
}

func TestSlowBodyOptionsAreChecked(t *testing.T) {
	cases := []struct {
		name, global, route, want string
	}{
		{"read_timeout is a duration", "", "read_timeout soon", "read_timeout: invalid duration"},
		{"read_timeout is positive", "", "read_timeout 0s", "read_timeout: invalid duration"},
		{"max_buffered is a size", "max_buffered lots", "", "max_buffered: invalid size"},
		{"max_size below max_buffered", "max_buffered 4MiB", "max_size 4MiB", "max_size must be below the hookgate max_buffered of 4.0 MiB"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "Caddyfile")
			cfg := "{\n\thookgate {\n\t\t" + c.global + "\n\t}\n}\nhttp://localhost:8080 {\n\twebhook /x stripe {\n\t\tsecret a\n\t\t" + c.route + "\n\t}\n}\n"
			if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := caddyCmd(t, nil, "validate", "--config", path, "--adapter", "caddyfile")
			if err == nil || !strings.Contains(strings.ReplaceAll(out, `\"`, `"`), c.want) {
				t.Fatalf("validate: %v, want %q:\n%s", err, c.want, out)
			}
		})
	}
}
