package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/caddy-hookgate/sign"
)

// runCLI runs `caddy hookgate args…` as Caddy's root would, with stdin,
// and returns stdout, stderr and the error Caddy turns into exit code 1.
func runCLI(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	root := &cobra.Command{Use: "caddy", SilenceUsage: true}
	hg := &cobra.Command{Use: "hookgate"}
	Setup(hg)
	root.AddCommand(hg)
	var out, errOut bytes.Buffer
	root.SetArgs(append([]string{"hookgate"}, args...))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

// request is one request the fake admin API saw.
type request struct {
	Method, Path, Query string
	Body                map[string]any
}

// fakeAdmin serves the admin API contract on 127.0.0.1 from a dead-letter
// list it keeps, and records every request.
type fakeAdmin struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
	dead     []string // dead-letter ids, oldest first
	seq      int
	// comeBack re-dead-letters every replayed entry under a new id, as a
	// target that is still down does.
	comeBack bool
	// fail answers every request with this status and {"error": …}.
	fail    int
	routes  map[string]string // path → canned JSON answer
	maxPage int
}

func newFakeAdmin(t *testing.T, dead int) *fakeAdmin {
	t.Helper()
	f := &fakeAdmin{routes: map[string]string{}, maxPage: 1000}
	for range dead {
		f.dead = append(f.dead, f.newID())
	}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAdmin) newID() string {
	f.seq++
	return fmt.Sprintf("%d-0", 1700000000000+f.seq)
}

func (f *fakeAdmin) addr() string { return strings.TrimPrefix(f.URL, "http://") }

func (f *fakeAdmin) seen() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

func (f *fakeAdmin) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	req := request{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery}
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		if len(b) > 0 {
			if err := json.Unmarshal(b, &req.Body); err != nil {
				http.Error(w, `{"error":"not JSON"}`, 400)
				return
			}
		}
	}
	f.requests = append(f.requests, req)
	w.Header().Set("Content-Type", "application/json")
	if f.fail != 0 {
		w.WriteHeader(f.fail)
		fmt.Fprint(w, `{"error":"no relay \"nope\" in this config"}`)
		return
	}
	if canned, ok := f.routes[req.Path]; ok {
		fmt.Fprint(w, canned)
		return
	}
	switch req.Path {
	case "/hookgate/stats":
		fmt.Fprintf(w, `{"streams":[{"stream":"events","length":9000,"relays":[{"relay":"wp","lag":0,"pending":0,"scheduled":0,"dead":%d,"breaker":"closed","consumers":[]}]}]}`, len(f.dead))
	case "/hookgate/dead":
		q := r.URL.Query()
		count := 100
		fmt.Sscan(q.Get("count"), &count)
		count = min(count, f.maxPage)
		var page []map[string]any
		next := ""
		for _, id := range f.dead {
			if q.Get("after") != "" && id <= q.Get("after") {
				continue
			}
			if len(page) == count {
				next = page[len(page)-1]["id"].(string)
				break
			}
			page = append(page, map[string]any{"id": id, "event_id": "evt_" + id, "type": "invoice.paid", "attempts": 8, "status": 503})
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"relay": q.Get("relay"), "entries": page, "next": next})
	case "/hookgate/dead/replay", "/hookgate/dead/purge":
		verb := strings.TrimPrefix(req.Path, "/hookgate/dead/")
		n := 0
		if ids, ok := req.Body["ids"].([]any); ok {
			for _, id := range ids {
				for i, d := range f.dead {
					if d == id {
						f.dead = append(f.dead[:i], f.dead[i+1:]...)
						n++
						break
					}
				}
			}
			if f.comeBack && verb == "replay" {
				for range n {
					f.dead = append(f.dead, f.newID())
				}
			}
		} else {
			n = 3
		}
		fmt.Fprintf(w, `{%q:%d}`, map[string]string{"replay": "replayed", "purge": "purged"}[verb], n)
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"error":"not found"}`)
	}
}

const statsJSON = `{"streams":[{"stream":"events","length":1204,"relays":[` +
	`{"relay":"wordpress","lag":12,"pending":2,"scheduled":5,"dead":3,"breaker":"open","consumers":[{"name":"host-a-1","pending":2,"idle_ms":1530}]},` +
	`{"relay":"crm","lag":0,"pending":0,"scheduled":0,"dead":0,"breaker":false,"consumers":[]}]},` +
	`{"stream":"orders","length":0,"relays":[]}]}`

func TestCLIStatsPrintsATableOrTheServersJSON(t *testing.T) {
	f := newFakeAdmin(t, 0)
	f.routes["/hookgate/stats"] = statsJSON
	out, _, err := runCLI(t, "", "stats", "--address", f.addr())
	if err != nil {
		t.Fatal(err)
	}
	want := `STREAM  LENGTH  RELAY      LAG  PENDING  SCHEDULED  DEAD  BREAKER
events  1204    wordpress  12   2        5          3     open
events  1204    crm        0    0        0          0     closed
orders  0       -          -    -        -          -     -

RELAY      CONSUMER  PENDING  IDLE
wordpress  host-a-1  2        1.5s
`
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	out, _, err = runCLI(t, "", "stats", "--address", f.addr(), "--json")
	if err != nil {
		t.Fatal(err)
	}
	if out != statsJSON+"\n" {
		t.Errorf("--json printed %q, want the server's JSON", out)
	}
	for _, r := range f.seen() {
		if r.Method != "GET" || r.Path != "/hookgate/stats" {
			t.Errorf("request %s %s, want GET /hookgate/stats", r.Method, r.Path)
		}
	}
}

func TestCLIDeadListPagesWithTheQueryAndShowsTheNextCursor(t *testing.T) {
	f := newFakeAdmin(t, 0)
	f.routes["/hookgate/dead"] = `{"relay":"wordpress","entries":[{"id":"1700000000001-0","entry":"1699-0","event_id":"evt_1",` +
		`"source":"stripe","tenant":"default","type":"invoice.paid","attempts":8,"status":503,"error":"target answered 503\n\u001b[31mred",` +
		`"body":"down","first_attempt":"2024-01-01T00:00:00Z","last_attempt":1704067260000}],"next":"1700000000001-0"}`
	out, _, err := runCLI(t, "", "dead", "ls", "--address", f.addr(), "--relay", "wordpress", "--count", "1", "--after", "1700000000000-0")
	if err != nil {
		t.Fatal(err)
	}
	want := `ID               EVENT  SOURCE  TENANT   TYPE          ATTEMPTS  STATUS  LAST ATTEMPT          ERROR
1700000000001-0  evt_1  stripe  default  invoice.paid  8         503     2024-01-01T00:01:00Z  target answered 503  [31mred
more: --after 1700000000001-0
`
	if out != want {
		t.Errorf("table:\n%s\nwant:\n%s", out, want)
	}
	if got := f.seen()[0]; got.Path != "/hookgate/dead" || got.Query != "after=1700000000000-0&count=1&relay=wordpress" {
		t.Errorf("request %s?%s", got.Path, got.Query)
	}
}

func TestCLIDeadReplayAndPurgeSendTheSelector(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		path string
		body string
		out  string
	}{
		{"ids, repeated and as arguments", []string{"replay", "--relay", "wp", "--id", "1-0", "--id", "2-0,3-0", "4-0"},
			"/hookgate/dead/replay", `{"ids":["1-0","2-0","3-0","4-0"],"relay":"wp"}`, "replayed 0\n"},
		{"all", []string{"replay", "--relay", "wp", "--all"}, "/hookgate/dead/replay", `{"all":true,"relay":"wp"}`, "replayed 3\n"},
		{"a type glob since a time", []string{"purge", "--relay", "wp", "--type", "invoice.*", "--since", "2024-01-02T03:04:05+01:00"},
			"/hookgate/dead/purge", `{"relay":"wp","since":"2024-01-02T02:04:05Z","type":"invoice.*"}`, "purged 3\n"},
		{"a type glob since a duration ago", []string{"purge", "--relay", "wp", "--type", "*", "--since", "24h"},
			"/hookgate/dead/purge", `{"relay":"wp","since":"2024-05-31T12:00:00Z","type":"*"}`, "purged 3\n"},
		{"purge all", []string{"purge", "--relay", "wp", "--all", "--json"}, "/hookgate/dead/purge", `{"all":true,"relay":"wp"}`, `{"purged":3}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			now = func() time.Time { return time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC) }
			t.Cleanup(func() { now = time.Now })
			f := newFakeAdmin(t, 0)
			out, _, err := runCLI(t, "", append([]string{"dead"}, append(tc.args, "--address", f.addr())...)...)
			if err != nil {
				t.Fatal(err)
			}
			if out != tc.out {
				t.Errorf("printed %q, want %q", out, tc.out)
			}
			reqs := f.seen()
			if len(reqs) != 1 {
				t.Fatalf("%d requests, want 1: %+v", len(reqs), reqs)
			}
			body, _ := json.Marshal(reqs[0].Body)
			if reqs[0].Method != "POST" || reqs[0].Path != tc.path || string(body) != tc.body {
				t.Errorf("request %s %s %s, want POST %s %s", reqs[0].Method, reqs[0].Path, body, tc.path, tc.body)
			}
		})
	}
}

func TestCLIDeadReplayRefusesAnUnclearSelectorWithoutARequest(t *testing.T) {
	f := newFakeAdmin(t, 0)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no relay", []string{"--all"}, "--relay is required"},
		{"no selector", []string{"--relay", "wp"}, "one of --id, --all or --type"},
		{"two selectors", []string{"--relay", "wp", "--all", "--id", "1-0"}, "one of --id, --all or --type"},
		{"since without a type", []string{"--relay", "wp", "--all", "--since", "1h"}, "--since goes with --type"},
		{"a bad glob", []string{"--relay", "wp", "--type", "["}, "--type"},
		{"a bad time", []string{"--relay", "wp", "--type", "a.*", "--since", "yesterday"}, "--since"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := runCLI(t, "", append([]string{"dead", "replay", "--address", f.addr()}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
		})
	}
	if n := len(f.seen()); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

func TestCLIDeadReplayAllOnATerminalPagesAndShowsProgress(t *testing.T) {
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = func(io.Writer) bool { return false } })
	f := newFakeAdmin(t, 1200)
	// The target is still down: each replayed entry comes back as a new
	// dead letter, which the walk must not follow.
	f.comeBack = true
	out, stderr, err := runCLI(t, "", "dead", "replay", "--address", f.addr(), "--relay", "wp", "--all")
	if err != nil {
		t.Fatal(err)
	}
	if out != "replayed 1200\n" {
		t.Errorf("printed %q", out)
	}
	if want := "\rreplayed 500/1200\rreplayed 1000/1200\rreplayed 1200/1200\n"; stderr != want {
		t.Errorf("progress %q, want %q", stderr, want)
	}
	var posts []int
	for _, r := range f.seen() {
		if r.Method == "POST" {
			if r.Path != "/hookgate/dead/replay" || r.Body["relay"] != "wp" || r.Body["all"] != nil {
				t.Errorf("request %s %s %v", r.Method, r.Path, r.Body)
			}
			posts = append(posts, len(r.Body["ids"].([]any)))
		}
	}
	if fmt.Sprint(posts) != "[500 500 200]" {
		t.Errorf("batches of %v ids, want [500 500 200]", posts)
	}
	if len(f.dead) != 1200 {
		t.Errorf("%d dead letters left, want the 1200 that came back", len(f.dead))
	}
}

func TestCLIDeadReplayAllWithoutACountSendsOneRequest(t *testing.T) {
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = func(io.Writer) bool { return false } })
	f := newFakeAdmin(t, 1200)
	f.comeBack = true
	// stats does not know relay "other": no bound for a walk.
	out, stderr, err := runCLI(t, "", "dead", "replay", "--address", f.addr(), "--relay", "other", "--all")
	if err != nil {
		t.Fatal(err)
	}
	if out != "replayed 3\n" || stderr != "" {
		t.Errorf("printed %q, %q on stderr", out, stderr)
	}
	reqs := f.seen()
	if len(reqs) != 2 || reqs[1].Path != "/hookgate/dead/replay" || reqs[1].Body["all"] != true {
		t.Errorf("requests %+v, want stats then one replay of all", reqs)
	}
}

func TestCLIDeadPurgeOfManyIDsGoesInBatches(t *testing.T) {
	f := newFakeAdmin(t, 1100)
	ids := strings.Join(f.dead, ",")
	out, stderr, err := runCLI(t, "", "dead", "purge", "--address", f.addr(), "--relay", "wp", "--id", ids)
	if err != nil {
		t.Fatal(err)
	}
	if out != "purged 1100\n" || stderr != "" {
		t.Errorf("printed %q and %q on stderr (not a terminal: no progress)", out, stderr)
	}
	var posts []int
	for _, r := range f.seen() {
		posts = append(posts, len(r.Body["ids"].([]any)))
	}
	if fmt.Sprint(posts) != "[500 500 100]" {
		t.Errorf("batches of %v ids", posts)
	}
}

func TestCLIEventEscapesThePathAndShowsEachRelay(t *testing.T) {
	f := newFakeAdmin(t, 0)
	const path = "/hookgate/events/stripe/acme%2Feu%20west/evt_%3F1"
	f.routes[path] = `{"source":"stripe","tenant":"acme/eu west","id":"evt_?1",` +
		`"stored":{"stream":"events","entry":"1700000000000-0","received_at":"2024-01-01T00:00:00Z"},` +
		`"relays":[{"relay":"wordpress","state":"scheduled","next_attempt":"2024-01-01T00:05:00Z","attempts":2,"status":503,"error":"503 from target","dead_id":""},` +
		`{"relay":"crm","state":"delivered","attempts":1,"status":200}]}`
	out, _, err := runCLI(t, "", "event", "--address", f.addr(), "stripe", "acme/eu west", "evt_?1")
	if err != nil {
		t.Fatal(err)
	}
	want := `source    stripe
tenant    acme/eu west
id        evt_?1
stream    events
entry     1700000000000-0
received  2024-01-01T00:00:00Z

RELAY      STATE      ATTEMPTS  STATUS  NEXT ATTEMPT          DEAD ID  ERROR
wordpress  scheduled  2         503     2024-01-01T00:05:00Z  -        503 from target
crm        delivered  1         200     -                     -        -
`
	if out != want {
		t.Errorf("printed:\n%s\nwant:\n%s", out, want)
	}
	if got := f.seen()[0].Path; got != path {
		t.Errorf("GET %s, want %s", got, path)
	}
}

func TestCLIRedeliverPostsTheRange(t *testing.T) {
	f := newFakeAdmin(t, 0)
	f.routes["/hookgate/redeliver"] = `{"queued":42}`
	out, _, err := runCLI(t, "", "redeliver", "--address", f.addr(), "--relay", "crm",
		"--from", "2024-01-01T00:00:00Z", "--to", "1704070800")
	if err != nil {
		t.Fatal(err)
	}
	if out != "queued 42\n" {
		t.Errorf("printed %q", out)
	}
	body, _ := json.Marshal(f.seen()[0].Body)
	if want := `{"from":"2024-01-01T00:00:00Z","relay":"crm","to":"2024-01-01T01:00:00Z"}`; string(body) != want {
		t.Errorf("POST %s, want %s", body, want)
	}
	if _, _, err := runCLI(t, "", "redeliver", "--address", f.addr(), "--relay", "crm", "--from", "1h", "--to", "2h"); err == nil {
		t.Error("a range ending before it starts was sent")
	}
}

func TestCLIServerErrorsArePrintedAndExitNonZero(t *testing.T) {
	f := newFakeAdmin(t, 0)
	f.fail = 404
	for _, args := range [][]string{
		{"stats"},
		{"dead", "ls", "--relay", "nope"},
		{"dead", "replay", "--relay", "nope", "--all"},
		{"event", "stripe", "default", "evt_1"},
		{"redeliver", "--relay", "nope", "--from", "1h"},
		{"stats", "--json"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, stderr, err := runCLI(t, "", append(args, "--address", f.addr())...)
			if err == nil {
				t.Fatalf("no error; printed %q", out)
			}
			want := `404 Not Found: no relay "nope" in this config`
			if !strings.Contains(err.Error(), want) || !strings.Contains(stderr, want) {
				t.Errorf("err %q, stderr %q: want %q in both", err, stderr, want)
			}
		})
	}
	if _, _, err := runCLI(t, "", "stats", "--address", "127.0.0.1:1"); err == nil {
		t.Error("no error from an admin address nobody listens on")
	}
}

func TestCLIAdminAddressComesFromTheConfigFile(t *testing.T) {
	f := newFakeAdmin(t, 0)
	cfg := filepath.Join(t.TempDir(), "caddy.json")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, `{"admin":{"listen":%q}}`, f.addr()), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCLI(t, "", "stats", "--config", cfg); err != nil {
		t.Fatal(err)
	}
	if len(f.seen()) != 1 {
		t.Errorf("the server at the config's admin address saw %d requests", len(f.seen()))
	}
}

func TestCLISignPrintsTheHeadersOrACurlCommand(t *testing.T) {
	body := `{"id":"evt_1","type":"invoice.paid"}`
	out, _, err := runCLI(t, body, "sign", "--provider", "stripe", "--secret", "whsec_test_secret", "--timestamp", "1700000000")
	if err != nil {
		t.Fatal(err)
	}
	want := "Content-Type: application/json\nStripe-Signature: t=1700000000,v1=46dc069361a7691082640523fa33fe5d6c8c88d5f5e257cdf8cf11539d166595\n"
	if out != want {
		t.Errorf("printed %q, want %q", out, want)
	}
	if strings.Contains(out, "whsec_test_secret") {
		t.Error("the secret was printed")
	}

	// The shell must hand curl exactly the body and headers: run the
	// command with printf in curl's place and read the arguments back.
	tricky := "{\"a\":\"it's $HOME `id` \\\"q\\\"\n\"}"
	t.Setenv("HG_TEST_SECRET", "gh_secret")
	out, _, err = runCLI(t, tricky, "sign", "--provider", "github", "--secret-env", "HG_TEST_SECRET", "--id", "d'1",
		"--curl", "http://127.0.0.1:1/hooks/git hub?x=1&y='")
	if err != nil {
		t.Fatal(err)
	}
	cmdline, ok := strings.CutPrefix(strings.TrimSuffix(out, "\n"), "curl ")
	if !ok {
		t.Fatalf("not a curl command: %q", out)
	}
	got, err := exec.Command("sh", "-c", `printf '%s\0' `+cmdline).Output()
	if err != nil {
		t.Fatal(err)
	}
	h, _ := sign.Sign("github", "gh_secret", []byte(tricky), time.Now(), "d'1", sign.Options{})
	args := strings.Split(strings.TrimSuffix(string(got), "\x00"), "\x00")
	wantArgs := []string{"-sS", "-i", "-X", "POST",
		"-H", "Content-Type: application/json",
		"-H", "X-Github-Delivery: d'1",
		"-H", "X-Github-Event: ping",
		"-H", "X-Hub-Signature-256: " + h.Get("X-Hub-Signature-256"),
		"--data-raw", tricky, "http://127.0.0.1:1/hooks/git hub?x=1&y='"}
	if fmt.Sprintf("%q", args) != fmt.Sprintf("%q", wantArgs) {
		t.Errorf("the shell reads\n%q\nwant\n%q", args, wantArgs)
	}
}

func TestCLISignRefusesWithoutWhatItNeeds(t *testing.T) {
	t.Setenv("HG_EMPTY", "")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no provider", []string{"--secret", "s"}, "--provider is required"},
		{"an unknown provider", []string{"--provider", "nope", "--secret", "s"}, "no signer"},
		{"no secret", []string{"--provider", "stripe"}, "--secret or --secret-env is required"},
		{"an empty secret variable", []string{"--provider", "stripe", "--secret-env", "HG_EMPTY"}, "HG_EMPTY is empty"},
		{"hmac without its header", []string{"--provider", "hmac", "--secret", "s"}, "header is required"},
		{"a bad timestamp", []string{"--provider", "stripe", "--secret", "s", "--timestamp", "soon"}, "--timestamp"},
		{"a standard secret that is not base64", []string{"--provider", "standard", "--secret", "whsec_???"}, "not whsec_"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, err := runCLI(t, "{}", append([]string{"sign"}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if strings.Contains(out+stderr+fmt.Sprint(err), "whsec_???") {
				t.Error("the secret was printed")
			}
		})
	}
}

func TestCLISendPostsTheSignedBodyAndFailsOnNon2xx(t *testing.T) {
	var got http.Header
	var gotBody []byte
	status := 202
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, gotBody = r.Header.Clone(), must(io.ReadAll(r.Body))
		w.WriteHeader(status)
		fmt.Fprint(w, `{"status":"accepted","id":"evt_s"}`)
	}))
	defer srv.Close()
	body := `{"id":"evt_s","type":"invoice.paid"}`
	out, _, err := runCLI(t, body, "send", "--provider", "stripe", "--secret", "whsec_test_secret",
		"--timestamp", "1700000000", "--url", srv.URL+"/hooks/stripe")
	if err != nil {
		t.Fatal(err)
	}
	if out != "HTTP/1.1 202 Accepted\n{\"status\":\"accepted\",\"id\":\"evt_s\"}\n" {
		t.Errorf("printed %q", out)
	}
	want, _ := sign.Sign("stripe", "whsec_test_secret", []byte(body), time.Unix(1700000000, 0), "", sign.Options{})
	if string(gotBody) != body || got.Get("Stripe-Signature") != want.Get("Stripe-Signature") || got.Get("Content-Type") != "application/json" {
		t.Errorf("sent %q with %v", gotBody, got)
	}
	status = 401
	out, _, err = runCLI(t, body, "send", "--provider", "stripe", "--secret", "whsec_test_secret", "--url", srv.URL)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.HasPrefix(out, "HTTP/1.1 401 Unauthorized\n") {
		t.Errorf("a 401 gave err %v, printed %q", err, out)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestMain(m *testing.M) {
	// Tests that want a terminal say so; go test's stderr may be one.
	isTerminal = func(io.Writer) bool { return false }
	os.Exit(m.Run())
}

// The hmac options of the route have flags of the same names, so any hmac
// route can be signed for: Slack's v0:{ts}:{body} here, with the vector
// from Slack's documentation.
func TestCLISignTakesEveryHMACOption(t *testing.T) {
	body := "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	out, _, err := runCLI(t, body, "sign", "--provider", "hmac", "--secret", "8f742231b10e8888abcd99yyyzzz85a5",
		"--timestamp", "1531420618", "--header", "X-Slack-Signature", "--prefix", "v0=",
		"--template", "v0:{ts}:{body}", "--timestamp-from", "header:X-Slack-Request-Timestamp")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"X-Slack-Signature: v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503\n", "X-Slack-Request-Timestamp: 1531420618\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("printed %q, want a line %q", out, want)
		}
	}
}
