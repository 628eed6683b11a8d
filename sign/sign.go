// Package sign signs webhook requests the way the senders Hookgate verifies
// do: the other side of verifier/. It is what `caddy hookgate sign` and
// `send` print and post, and what the tests sign with, so one table holds
// every provider's sending side and a provider added to Hookgate without a
// signer here fails a test.
package sign

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"
)

// Options are what a scheme needs besides the secret, body, time and id.
// Each provider reads only its own; the zero value gives what the Caddyfile
// defaults to.
type Options struct {
	// Header is the signature header of hmac and the token header of
	// token. The Caddyfile has no default for it, so neither has this.
	Header string
	// Algorithm of hmac: sha1, sha256 (default) or sha512.
	Algorithm string
	// Encoding of hmac: hex (default) or base64.
	Encoding string
	// Prefix before hmac's signature, such as "sha256=".
	Prefix string
	// TimestampHeader makes hmac sign "<unix>.<body>" and send the time in
	// this header, as its timestamp_header option verifies.
	TimestampHeader string
	// IDHeader is where hmac and token send the id, when one is given
	// (their id_header option); without it the id is not sent.
	IDHeader string
	// Template, SignatureFormat, TimestampFrom, TimestampFormat, IDFrom
	// and TypeFrom are hmac's options of those names.
	Template, SignatureFormat, TimestampFrom, TimestampFormat, IDFrom, TypeFrom string
	// Event is GitHub's X-GitHub-Event (default "ping"), and the type
	// header of a preset or hmac route that reads the type from a header
	// (Shopify's X-Shopify-Topic); there, without it, none is sent.
	Event string
	// Family is the Standard Webhooks header names: "webhook" (default)
	// or "svix".
	Family string
	// URL is where the request goes, for schemes that sign it (HubSpot,
	// Twilio); none of today's providers does.
	URL string
}

// Func returns the headers a sender of one provider sends with body,
// signed with secret at at. An empty id gets a fresh random one where the
// provider sends an id; providers whose id is in the body ignore it.
type Func func(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error)

var (
	mu      sync.RWMutex
	signers = map[string]Func{
		"stripe":    Stripe,
		"github":    GitHub,
		"standard":  Standard,
		"wordpress": WordPress,
		"hmac":      HMAC,
		"token":     Token,
	}
)

// Register adds the signer of a provider module named name (its name in
// http.handlers.webhook.verifiers), for third-party providers.
func Register(name string, f Func) {
	mu.Lock()
	defer mu.Unlock()
	if _, ok := signers[name]; ok {
		panic("sign: provider registered twice: " + name)
	}
	signers[name] = f
}

// Lookup returns the signer of provider name.
func Lookup(name string) (Func, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := signers[name]
	return f, ok
}

// Providers lists the providers that have a signer, sorted.
func Providers() []string {
	mu.RLock()
	defer mu.RUnlock()
	names := make([]string, 0, len(signers))
	for n := range signers {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Sign signs body as provider's senders do.
func Sign(provider, secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
	f, ok := Lookup(provider)
	if !ok {
		return nil, fmt.Errorf("no signer for provider %q (have %v)", provider, Providers())
	}
	return f(secret, body, at, id, opts)
}

// NewID is a random id with prefix, for deliveries the caller did not name.
func NewID(prefix string) string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand panics instead)
	return prefix + hex.EncodeToString(b[:])
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json"}}
}
