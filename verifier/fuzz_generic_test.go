package verifier

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"
)

func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"", "{body}", "{ts}.{body}", "v0:{ts}:{body}", "{ts}:{body}", "{id}.{ts}.{body}", "{ts}{body}",
		"{body}{ts}", "{method}{url}{body}", "{{body}}", "{body", "}{body}", "{ts}{ts}{body}", "{}", "a{body}b{id}c{ts}d"} {
		f.Add(s)
	}
	expand := strings.NewReplacer("{body}", "\x00B\x00", "{ts}", "\x00T\x00", "{id}", "\x00I\x00")
	f.Fuzz(func(t *testing.T, s string) {
		tpl, err := ParseTemplate(s)
		if err != nil {
			return
		}
		if s == "" {
			s = "{body}"
		}
		if strings.Count(s, "{body}") != 1 || strings.Count(s, "{ts}") > 1 || strings.Count(s, "{id}") > 1 {
			t.Fatalf("accepted %q", s)
		}
		got := string(tpl.Append(nil, "\x00T\x00", "\x00I\x00", []byte("\x00B\x00")))
		if want := expand.Replace(s); got != want {
			t.Fatalf("%q expands to %q, want %q", s, got, want)
		}
		if rest := strings.NewReplacer("{body}", "", "{ts}", "", "{id}", "").Replace(s); strings.ContainsAny(rest, "{}") {
			t.Fatalf("accepted %q with a stray brace", s)
		}
		if tpl.HasTimestamp() != strings.Contains(s, "{ts}") || tpl.HasID() != strings.Contains(s, "{id}") {
			t.Fatalf("%q: HasTimestamp %v, HasID %v", s, tpl.HasTimestamp(), tpl.HasID())
		}
	})
}

func FuzzSignatureFormat(f *testing.F) {
	for _, s := range []string{"", "plain", "kv sig=v1", "kv sep=, ts=t sig=v1", "kv sep=; ts=ts sig=h1", "kv", "kv sep== sig=a",
		"kv ts=a sig=a", "kv sep=; ts=a;b sig=c", "kv  sig=v1  ", "kv sig=v1 sig=v1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sf, err := ParseSignatureFormat(s)
		if err != nil {
			return
		}
		again, err := ParseSignatureFormat(sf.String())
		if err != nil || again != sf {
			t.Fatalf("%q parses to %+v, whose String %q parses to %+v, %v", s, sf, sf.String(), again, err)
		}
		if sf.KV && (sf.SigKey == "" || sf.SigKey == sf.TSKey || strings.IndexByte(sf.SigKey+sf.TSKey, sf.Sep) >= 0) {
			t.Fatalf("%q: unusable format %+v", s, sf)
		}
	})
}

// fuzzKVList fuzzes one key-value signature preset: whatever the header,
// Verify answers with a sentinel; it accepts only a list holding the right
// signature for its own timestamp; and the right list is always accepted.
func fuzzKVList(f *testing.F, preset, secret, header, body string, sign func(ts, body string) string, seeds ...string) {
	for _, s := range seeds {
		f.Add(s, []byte(body))
	}
	v, err := NewPreset(preset, Config{Secrets: []string{secret}, Now: at(1700000000)})
	if err != nil {
		f.Fatal(err)
	}
	p, _ := LookupPreset(preset)
	sf, _ := ParseSignatureFormat(p.HMAC.SignatureFormat)
	f.Fuzz(func(t *testing.T, list string, body []byte) {
		s, err := v.Verify(headers(header, list), body)
		checkSentinel(t, err)
		if err == nil {
			want := sf.SigKey + "=" + sign(s.Timestamp, string(body))
			fields := strings.Split(list, string(sf.Sep))
			if !containsFold(fields, want) || !contains(fields, sf.TSKey+"="+s.Timestamp) {
				t.Fatalf("accepted %q without %s for its own timestamp %q", list, want, s.Timestamp)
			}
		}
		good := sf.TSKey + "=1700000000" + string(sf.Sep) + sf.SigKey + "=" + sign("1700000000", string(body))
		if err := verifyErr(v.Verify(headers(header, good), body)); err != nil {
			t.Fatalf("a correctly signed body was rejected: %q: %v", good, err)
		}
	})
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

func FuzzPaddleSignature(f *testing.F) {
	const secret = "pdl_ntfset_test"
	sign := func(ts, body string) string { return hex.EncodeToString(stdlibMAC(sha256.New, secret, ts+":"+body)) }
	good := sign("1700000000", `{"event_id":"evt_01"}`)
	fuzzKVList(f, "paddle", secret, "Paddle-Signature", `{"event_id":"evt_01"}`, sign,
		"ts=1700000000;h1="+good, "ts=1700000000;h1=00;h1="+good, "h1="+good+";ts=1700000000", "ts=1700000000;ts=1;h1="+good,
		"ts=;h1=", ";;", "ts=1700000000;h1="+strings.ToUpper(good), "ts=1700000000,h1="+good, "garbage")
}

func FuzzCalendlySignature(f *testing.F) {
	const secret = "cal_signing_key"
	sign := func(ts, body string) string { return hex.EncodeToString(stdlibMAC(sha256.New, secret, ts+"."+body)) }
	good := sign("1700000000", `{"event":"invitee.created"}`)
	fuzzKVList(f, "calendly", secret, "Calendly-Webhook-Signature", `{"event":"invitee.created"}`, sign,
		"t=1700000000,v1="+good, "t=1700000000,v1="+good+",v1=00", "v1="+good, "t=1700000000,t=1700000000,v1="+good, "t=,v1=", ",,=")
}

func FuzzTimestampFormats(f *testing.F) {
	for _, s := range []string{"1700000000000", "1700000000", "2023-11-14T22:13:20Z", "2023-11-14T23:13:20+01:00", "2023-11-14T22:13:20.5Z",
		"2023-11-14 22:13:20Z", "99999999999999", "999999999999999", "", "-1", "2023-11-14T22:13:20+01:00 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if at, ok := unixMillis.parse(s); ok {
			if strconv.FormatInt(at.UnixMilli(), 10) != strings.TrimLeft(s, "0") && at.UnixMilli() != 0 {
				t.Fatalf("unix_ms %q reads as %d", s, at.UnixMilli())
			}
			if len(s) > maxMillisTimestampDigits {
				t.Fatalf("unix_ms accepted %d digits", len(s))
			}
		}
		if at, ok := rfc3339.parse(s); ok {
			if len(s) > maxRFC3339Len {
				t.Fatalf("rfc3339 accepted %d bytes", len(s))
			}
			if again, err := time.Parse(time.RFC3339, at.Format(time.RFC3339Nano)); err != nil || !again.Equal(at) {
				t.Fatalf("rfc3339 %q reads as %v, which does not round-trip: %v", s, at, err)
			}
		}
	})
}
