package verifier

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

// With {id} right before a unix {ts}, and a timestamp allowed leading
// zeros, the boundary between the two would be the sender's:
// "inv_100"+"1700000000" is also "inv_10"+"01700000000", the same MAC and
// instant under another signed id, a second event from one capture. Such
// a template is refused, and so is a timestamp with a leading zero.
func TestTheSenderCannotMoveTheBoundaryBetweenIDAndTimestamp(t *testing.T) {
	cfg := Config{Secrets: []string{"s3cret-key"}, Now: func() time.Time { return time.Unix(1700000000, 0) }}
	for _, tmpl := range []string{"{id}{ts}.{body}", "{ts}{id}.{body}", "x{id}{body}"} {
		_, err := NewHMAC(cfg, HMACOptions{Header: "X-Sig", Template: tmpl, IDFrom: "header:X-Id", TimestampFrom: "header:X-Ts"})
		if err == nil || !strings.Contains(err.Error(), "put a literal between") {
			t.Errorf("template %q: %v, want it refused", tmpl, err)
		}
	}
	if _, err := NewHMAC(cfg, HMACOptions{Header: "X-Sig", Template: "{id}{ts}{body}", IDFrom: "header:X-Id",
		TimestampFrom: "header:X-Ts", TimestampFormat: TimestampRFC3339}); err != nil {
		t.Errorf("an RFC 3339 timestamp fixes the boundary (Twitch's scheme): %v", err)
	}

	v, err := NewHMAC(cfg, HMACOptions{Header: "X-Sig", Template: "{id}.{ts}.{body}", IDFrom: "header:X-Id", TimestampFrom: "header:X-Ts"})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"amount":1}`)
	sign := func(id, ts string) http.Header {
		m := hmac.New(sha256.New, []byte("s3cret-key"))
		m.Write([]byte(id + "." + ts + "." + string(body)))
		return http.Header{"X-Sig": {hex.EncodeToString(m.Sum(nil))}, "X-Id": {id}, "X-Ts": {ts}}
	}
	if _, err := v.Verify(sign("inv_1", "1700000000"), body); err != nil {
		t.Fatalf("a plain timestamp: %v", err)
	}
	if _, err := v.Verify(sign("inv_1", "01700000000"), body); !errors.Is(err, ErrMalformed) {
		t.Errorf("a timestamp with a leading zero: %v, want ErrMalformed", err)
	}
}
