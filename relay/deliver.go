package relay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"

	"github.com/hookgate/caddy-hookgate/event"
)

// UserAgent is sent with every delivery.
const UserAgent = "Hookgate/0.1"

// verdict is what an attempt's outcome means for the entry.
type verdict int

const (
	delivered verdict = iota // 2xx: ack
	retryable                // 408, 425, 429, 5xx, timeout, connection error
	permanent                // any other answer: dead-letter at once
)

// outcome is one attempt's result.
type outcome struct {
	verdict    verdict
	status     int
	body       string        // first 1 KiB of the answer
	err        string        // what went wrong, for the dead letter
	retryAfter time.Duration // the target's Retry-After
	timeout    bool          // no answer within the attempt's timeout
	latency    time.Duration
	requestID  string
}

// sender delivers envelopes over HTTP.
type sender struct {
	client  *http.Client
	to      string
	routes  []Route
	key     []byte
	header  http.Header
	timeout time.Duration
	now     func() time.Time
	macs    sync.Pool // of *signer, keyed with key
}

// signer is one attempt's signing state, reused: a fresh HMAC costs its
// two hashes and pads per delivery.
type signer struct {
	mac hash.Hash
	msg []byte // "<webhook-id>.<timestamp>."
	sum [sha256.Size]byte
}

func newSender(cfg Config, now func() time.Time) (*sender, error) {
	key, err := signingKey(cfg.Secret)
	if err != nil {
		return nil, err
	}
	routes := make([]Route, len(cfg.Routes))
	for i, r := range cfg.Routes {
		u, _ := targetURL(cfg.To, r.URL)
		routes[i] = Route{Glob: r.Glob, URL: u}
	}
	to, _ := targetURL(cfg.To, "")
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = cfg.Workers * 2
	s := &sender{
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout,
			// A redirect would resend a signed event somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		to: to, routes: routes, key: key, header: cfg.Header, timeout: cfg.Timeout, now: now,
	}
	s.macs.New = func() any { return &signer{mac: hmac.New(sha256.New, key)} }
	return s, nil
}

// signingKey decodes a whsec_ secret as the Standard Webhooks libraries do.
func signingKey(secret string) ([]byte, error) {
	if secret == "" {
		return nil, errors.New("relay needs a secret to sign deliveries")
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(key) == 0 {
		return nil, errors.New("relay secret must be whsec_ followed by base64")
	}
	return key, nil
}

// target picks the URL for an event type: the first matching route, else
// the relay's target.
func (s *sender) target(typ string) string {
	for _, r := range s.routes {
		if ok, _ := path.Match(r.Glob, typ); ok {
			return r.URL
		}
	}
	return s.to
}

// request is a delivery ready to send: everything that can fail without
// the target (normalizing, encoding, choosing the URL, the headers) is done,
// so what remains can only fail because of the target or the network.
type request struct {
	url    string
	id     string // webhook-id and Idempotency-Key
	body   []byte
	header http.Header // without the per-attempt ones (request id, timestamp, signature)
}

// prepare builds the request for st. An error is permanent: the stored
// event cannot be delivered, whatever the target does. The stored type
// picks the route, as it decided the filter.
func (s *sender) prepare(st event.Stored, normalize func(event.Stored) (event.Envelope, error)) (*request, error) {
	env, err := normalize(st)
	if err != nil {
		return nil, fmt.Errorf("normalizing: %w", err)
	}
	// Room for the envelope's own members besides the data.
	body, err := env.AppendJSON(make([]byte, 0, len(st.Body)+512))
	if err != nil {
		return nil, fmt.Errorf("encoding envelope: %w", err)
	}
	req := &request{url: s.target(st.Type), id: deliveryID(st.Source, st.Tenant, st.ID), body: body,
		header: make(http.Header, len(s.header)+8)}
	for k, v := range s.header {
		req.header[k] = v
	}
	h := req.header
	// As h.Set with canonical names, the values sharing one array.
	vals := [...]string{"application/json", UserAgent, req.id, req.id, st.Traceparent}
	own := vals[:]
	h["Content-Type"], h["User-Agent"] = own[0:1:1], own[1:2:2]
	h["Idempotency-Key"], h["Webhook-Id"] = own[2:3:3], own[3:4:4]
	// Trace context is optional: a value no header can carry is dropped
	// rather than failing the delivery of a good event.
	if st.Traceparent != "" && httpguts.ValidHeaderFieldValue(st.Traceparent) {
		h["Traceparent"] = own[4:5:5]
	}
	for k, vs := range h {
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return nil, fmt.Errorf("header %s: invalid value", k)
			}
		}
	}
	return req, nil
}

// deliver makes one attempt.
func (s *sender) deliver(ctx context.Context, r *request) outcome {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.url, bytes.NewReader(r.body))
	if err != nil {
		return outcome{verdict: permanent, err: err.Error()}
	}
	req.Header = r.header.Clone()
	injectTraceparent(ctx, req.Header)
	rid := s.sign(req.Header, r)
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		var ne net.Error
		timeout := errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
		return outcome{verdict: retryable, err: redactURL(err).Error(), timeout: timeout, latency: time.Since(start), requestID: rid}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	o := outcome{status: resp.StatusCode, body: string(snippet), retryAfter: retryAfter(resp.Header, s.now()),
		latency: time.Since(start), requestID: rid}
	switch c := resp.StatusCode; {
	case c >= 200 && c < 300:
		o.verdict = delivered
	case c == 408 || c == 425 || c == 429 || c >= 500:
		o.verdict, o.err = retryable, resp.Status
	default:
		o.verdict, o.err = permanent, resp.Status
	}
	return o
}

// redactURL drops the query from a transport error's URL: a target may
// carry a token there, and the error goes to logs and dead letters.
func redactURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if u, perr := url.Parse(ue.URL); perr == nil {
			u.RawQuery, u.User = "", nil
			return &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	return err
}

// close releases idle connections of a stopped relay.
func (s *sender) close() { s.client.CloseIdleConnections() }

// sign sets the per-attempt headers: a fresh request id and the Standard
// Webhooks signature over "<webhook-id>.<timestamp>.<body>", timestamped at
// the attempt so a receiver's tolerance counts from the send, not from a
// wait behind the breaker.
// It returns the request id.
func (s *sender) sign(h http.Header, r *request) string {
	ts := strconv.FormatInt(s.now().Unix(), 10)
	sg := s.macs.Get().(*signer)
	sg.mac.Reset()
	sg.msg = append(append(append(append(sg.msg[:0], r.id...), '.'), ts...), '.')
	sg.mac.Write(sg.msg)
	sg.mac.Write(r.body)
	var sig [3 + 44]byte // "v1," and the base64 of 32 bytes
	copy(sig[:], "v1,")
	base64.StdEncoding.Encode(sig[3:], sg.mac.Sum(sg.sum[:0]))
	s.macs.Put(sg)
	rid := requestID()
	// As h.Set with canonical names, the values sharing one array.
	vals := []string{rid, ts, string(sig[:])}
	h["X-Request-Id"], h["Webhook-Timestamp"], h["Webhook-Signature"] = vals[0:1:1], vals[1:2:2], vals[2:3:3]
	return rid
}

func requestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	var x [24]byte
	hex.Encode(x[:], b[:])
	return string(x[:])
}
