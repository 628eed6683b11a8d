package sign

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// MAC is the HMAC of parts, in order, under key.
func MAC(newHash func() hash.Hash, key []byte, parts ...[]byte) []byte {
	m := hmac.New(newHash, key)
	for _, p := range parts {
		m.Write(p)
	}
	return m.Sum(nil)
}

func unix(at time.Time) []byte { return strconv.AppendInt(nil, at.Unix(), 10) }

var dot = []byte(".")

// Stripe sends Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of t.body>,
// keyed with the whsec_… string as it is. The id is the body's.
func Stripe(secret string, body []byte, at time.Time, _ string, _ Options) (http.Header, error) {
	ts := unix(at)
	h := jsonHeader()
	h.Set("Stripe-Signature", fmt.Sprintf("t=%s,v1=%x", ts, MAC(sha256.New, []byte(secret), ts, dot, body)))
	return h, nil
}

// GitHub sends X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of body>, with
// the event name and delivery id beside it, unsigned. It signs no time.
func GitHub(secret string, body []byte, _ time.Time, id string, opts Options) (http.Header, error) {
	if id == "" {
		id = NewID("")
	}
	event := opts.Event
	if event == "" {
		event = "ping"
	}
	h := jsonHeader()
	h.Set("X-GitHub-Event", event)
	h.Set("X-GitHub-Delivery", id)
	h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(MAC(sha256.New, []byte(secret), body)))
	return h, nil
}

// Standard sends webhook-id, webhook-timestamp and webhook-signature:
// v1,<base64 HMAC-SHA256 of id.ts.body> keyed with the base64 secret after
// its whsec_ prefix (svix-* names with Family "svix").
func Standard(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		// The decoder's error would quote an offset into the secret.
		return nil, errors.New("standard: the secret is not whsec_ followed by base64")
	}
	family := opts.Family
	switch strings.ToLower(family) {
	case "", "webhook":
		family = "Webhook"
	case "svix":
		family = "Svix"
	default:
		return nil, fmt.Errorf("standard: unknown header family %q (want webhook or svix)", family)
	}
	if id == "" {
		id = NewID("msg_")
	}
	ts := unix(at)
	h := jsonHeader()
	h.Set(family+"-Id", id)
	h.Set(family+"-Timestamp", string(ts))
	h.Set(family+"-Signature", "v1,"+base64.StdEncoding.EncodeToString(MAC(sha256.New, key, []byte(id), dot, ts, dot, body)))
	return h, nil
}

// WordPress sends what the Hookgate WordPress plugin does: X-WP-Signature,
// the base64 HMAC-SHA256 of X-WP-Timestamp.body, and X-Event-Id. The plugin
// names the event in the body's "id" too, and the two must agree, so
// without an id the body's is sent.
func WordPress(secret string, body []byte, at time.Time, id string, _ Options) (http.Header, error) {
	if id == "" {
		var named struct {
			ID any `json:"id"`
		}
		_ = json.Unmarshal(body, &named)
		if s, ok := named.ID.(string); ok {
			id = s
		} else {
			id = NewID("evt_")
		}
	}
	ts := unix(at)
	h := jsonHeader()
	h.Set("X-Event-Id", id)
	h.Set("X-WP-Timestamp", string(ts))
	h.Set("X-WP-Signature", base64.StdEncoding.EncodeToString(MAC(sha256.New, []byte(secret), ts, dot, body)))
	return h, nil
}

// HMAC signs as a route with the hmac provider verifies, through the
// same generic signer as the presets: the template (default the body, or
// "<unix>.<body>" with a timestamp header) under the secret's bytes, in
// Options.Header with Options.Prefix.
func HMAC(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	return signHMAC("hmac", verifier.HMACOptions{
		Header: opts.Header, Algorithm: opts.Algorithm, Encoding: opts.Encoding, Prefix: opts.Prefix,
		SignatureFormat: opts.SignatureFormat, Template: opts.Template,
		TimestampHeader: opts.TimestampHeader, TimestampFrom: opts.TimestampFrom, TimestampFormat: opts.TimestampFormat,
		IDHeader: opts.IDHeader, IDFrom: opts.IDFrom, TypeFrom: opts.TypeFrom,
	}, secret, body, at, id, opts.Event)
}

// Token sends the shared token itself in Options.Header: it signs nothing.
func Token(secret string, _ []byte, _ time.Time, id string, opts Options) (http.Header, error) {
	if opts.Header == "" {
		return nil, errors.New("token: the token header is required (the route's header option)")
	}
	h := jsonHeader()
	h.Set(opts.Header, secret)
	setID(h, opts.IDHeader, id)
	return h, nil
}

func setID(h http.Header, name, id string) {
	if name == "" {
		return
	}
	if id == "" {
		id = NewID("")
	}
	h.Set(name, id)
}
