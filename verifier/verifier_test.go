package verifier

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// at is a clock stopped at the given unix second.
func at(unix int64) func() time.Time {
	return func() time.Time { return time.Unix(unix, 0) }
}

// headers builds an http.Header through Set, as a server would.
func headers(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// oneByteChanges returns every variant of s with one byte altered. The masks
// leave out 0x20, which would only flip the case of a hex digit: that names
// the same MAC and is accepted on purpose.
func oneByteChanges(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		for _, mask := range []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x40, 0x80} {
			b := []byte(s)
			b[i] ^= mask
			out = append(out, string(b))
		}
	}
	return out
}

// checkErr fails unless err is want (nil for acceptance) under errors.Is.
func checkErr(t *testing.T, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Fatalf("Verify = %v, want success", err)
	case want != nil && !errors.Is(err, want):
		t.Fatalf("Verify = %v, want %v", err, want)
	}
}

func TestConstructors(t *testing.T) {
	build := map[string]func(Config) error{
		"stripe":    func(c Config) error { _, err := NewStripe(c); return err },
		"github":    func(c Config) error { _, err := NewGitHub(c); return err },
		"standard":  func(c Config) error { _, err := NewStandard(c); return err },
		"wordpress": func(c Config) error { _, err := NewWordPress(c); return err },
		"hmac":      func(c Config) error { _, err := NewHMAC(c, HMACOptions{Header: "X-Sig"}); return err },
		"token":     func(c Config) error { _, err := NewToken(c, TokenOptions{Header: "X-Token"}); return err },
	}
	const valid = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw" // base64 too, for standard
	for name, newV := range build {
		t.Run(name+": no secret is refused", func(t *testing.T) {
			if err := newV(Config{}); !errors.Is(err, ErrNoSecret) {
				t.Fatalf("err = %v, want ErrNoSecret", err)
			}
		})
		t.Run(name+": an empty secret is refused", func(t *testing.T) {
			if err := newV(Config{Secrets: []string{valid, ""}}); !errors.Is(err, ErrNoSecret) {
				t.Fatalf("err = %v, want ErrNoSecret", err)
			}
		})
		t.Run(name+": negative tolerance is refused", func(t *testing.T) {
			if name == "token" {
				t.Skip("token signs no timestamp")
			}
			if err := newV(Config{Secrets: []string{valid}, Tolerance: -time.Second}); err == nil {
				t.Fatal("err = nil")
			}
		})
		t.Run(name+": a valid secret builds", func(t *testing.T) {
			if err := newV(Config{Secrets: []string{valid}}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestLocators(t *testing.T) {
	stripe, _ := NewStripe(Config{Secrets: []string{"s"}})
	github, _ := NewGitHub(Config{Secrets: []string{"s"}})
	standard, _ := NewStandard(Config{Secrets: []string{"c2VjcmV0"}})
	wordpress, _ := NewWordPress(Config{Secrets: []string{"s"}})
	hm, _ := NewHMAC(Config{Secrets: []string{"s"}}, HMACOptions{Header: "x-sig", TimestampHeader: "x-ts", IDHeader: "x-id", TypeField: "kind"})
	token, _ := NewToken(Config{Secrets: []string{"s"}}, TokenOptions{Header: "X-Gitlab-Token", IDHeader: "X-Gitlab-Event-UUID", TypeHeader: "X-Gitlab-Event"})
	for name, v := range map[string]Verifier{
		"stripe": stripe, "github": github, "standard": standard,
		"wordpress": wordpress, "hmac": hm, "token": token,
	} {
		loc := v.Locate()
		t.Run(name+": header names are canonical, so Header.Get does not allocate", func(t *testing.T) {
			for _, n := range append([]string{loc.IDHeader, loc.TypeHeader}, loc.Audit...) {
				if n != http.CanonicalHeaderKey(n) {
					t.Errorf("%q is not canonical", n)
				}
			}
		})
		t.Run(name+": audit never keeps a signature or token", func(t *testing.T) {
			for _, n := range loc.Audit {
				l := strings.ToLower(n)
				if strings.Contains(l, "signature") || strings.Contains(l, "token") || n == "X-Sig" {
					t.Errorf("audit keeps %q", n)
				}
			}
		})
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"unix seconds are read", "1700000000", 1700000000, true},
		{"zero is a number", "0", 0, true},
		{"eleven digits are the limit", "99999999999", 99999999999, true},
		{"twelve digits are absurd", "100000000000", 0, false},
		{"empty is refused", "", 0, false},
		{"a minus sign is refused", "-1700000000", 0, false},
		{"a plus sign is refused", "+1700000000", 0, false},
		{"a fraction is refused", "1700000000.5", 0, false},
		{"milliseconds are refused as absurd", "1700000000000", 0, false},
		{"spaces are refused", " 1700000000", 0, false},
		{"letters are refused", "17000000O0", 0, false},
		{"huge numbers do not overflow", "99999999999999999999999", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := parseTimestamp(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("parseTimestamp(%q) = %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestWindow(t *testing.T) {
	const ts = 1700000000
	for _, tc := range []struct {
		name      string
		now       int64
		tolerance time.Duration
		want      bool
	}{
		{"same second is fresh", ts, 0, true},
		{"exactly the default tolerance old is fresh", ts + 300, 0, true},
		{"one second past the default tolerance is stale", ts + 301, 0, false},
		{"exactly the default tolerance ahead is fresh", ts - 300, 0, true},
		{"one second beyond the default tolerance ahead is stale", ts - 301, 0, false},
		{"a configured tolerance replaces the default", ts + 30, 10 * time.Second, false},
		{"a wide configured tolerance accepts more", ts + 3600, 2 * time.Hour, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := newWindow("test", Config{Tolerance: tc.tolerance, Now: at(tc.now)})
			if err != nil {
				t.Fatal(err)
			}
			if got := w.contains(ts); got != tc.want {
				t.Fatalf("contains = %v, want %v", got, tc.want)
			}
		})
	}
}

// verifyErr keeps the error of a Verify, for tests about the verdict only.
func verifyErr(_ Signed, err error) error { return err }
