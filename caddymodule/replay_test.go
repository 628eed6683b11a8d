package caddymodule

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// jtiVerifier stands for a scheme with a replay value (the jwt provider):
// it accepts every request and signs the X-Jti header as its replay value.
type jtiVerifier struct{}

func (jtiVerifier) Verify(h http.Header, _ []byte) (verifier.Signed, error) {
	return verifier.Signed{Replay: h.Get("X-Jti"), ReplayTTL: time.Minute}, nil
}

func (jtiVerifier) Locate() verifier.Locator { return verifier.Locator{IDField: "id"} }

// The handler refuses, with a 401 and storing nothing, an event whose
// replay value already named another; the same event again is a duplicate.
func TestAReplayedSignatureIsA401(t *testing.T) {
	h := benchHandler(t)
	h.signer = &signer{verifier: jtiVerifier{}, scopes: h.scopes}
	h.locator = jtiVerifier{}.Locate()
	h.fields = h.locator.Fields()
	h.rejects = newRejectLog(h.logger)
	post := func(id, jti string) (int, string) {
		r := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/jwt", bytes.NewReader([]byte(`{"id":"`+id+`"}`)))
		r.Header.Set("X-Jti", jti)
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, nil); err != nil && w.Code < 400 {
			t.Fatal(err)
		}
		return w.Code, w.Body.String()
	}
	for _, tc := range []struct {
		name, id, jti string
		want          int
		reply         string
	}{
		{"a first event is stored", "ev1", "jti-1", 202, `"accepted"`},
		{"it again under its jti is a duplicate", "ev1", "jti-1", 200, `"duplicate"`},
		{"another event under that jti is refused", "ev2", "jti-1", 401, errReplayed},
		{"that event under its own jti is stored", "ev2", "jti-2", 202, `"accepted"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if code, reply := post(tc.id, tc.jti); code != tc.want || !strings.Contains(reply, tc.reply) {
				t.Fatalf("%d %s, want %d with %s", code, reply, tc.want, tc.reply)
			}
		})
	}
}
