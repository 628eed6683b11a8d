package relay

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

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
	return &sender{
		client: &http.Client{Transport: transport, Timeout: cfg.Timeout,
			// A redirect would resend a signed event somewhere else.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		to: to, routes: routes, key: key, header: cfg.Header, timeout: cfg.Timeout, now: now,
	}, nil
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

// envelope builds the JSON delivered for st. An error is permanent: the
// stored event cannot be normalized, whatever the target does.
func envelope(st event.Stored) ([]byte, string, error) {
	env, err := event.Normalize(st)
	if err != nil {
		return nil, "", fmt.Errorf("normalizing: %w", err)
	}
	body, err := json.Marshal(env)
	if err != nil {
		return nil, "", fmt.Errorf("encoding envelope: %w", err)
	}
	return body, env.Type, nil
}

// deliver makes one attempt to deliver an envelope of type typ.
func (s *sender) deliver(ctx context.Context, st event.Stored, body []byte, typ string) outcome {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.target(typ), bytes.NewReader(body))
	if err != nil {
		return outcome{verdict: permanent, err: err.Error()}
	}
	for k, v := range s.header {
		req.Header[k] = v
	}
	s.sign(req.Header, st, body)
	resp, err := s.client.Do(req)
	if err != nil {
		return outcome{verdict: retryable, err: redactURL(err).Error()}
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	o := outcome{status: resp.StatusCode, body: string(snippet), retryAfter: retryAfter(resp.Header, s.now())}
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

// sign sets the delivery headers: the Standard Webhooks signature over
// "<webhook-id>.<timestamp>.<body>", and the ids a receiver dedupes and
// traces by.
func (s *sender) sign(h http.Header, st event.Stored, body []byte) {
	msgID := st.Source + ":" + st.Tenant + ":" + st.ID
	ts := strconv.FormatInt(s.now().Unix(), 10)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msgID + "." + ts + "."))
	m.Write(body)
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", UserAgent)
	h.Set("Idempotency-Key", msgID)
	h.Set("X-Request-Id", requestID())
	h.Set("Webhook-Id", msgID)
	h.Set("Webhook-Timestamp", ts)
	h.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
	if st.Traceparent != "" {
		h.Set("Traceparent", st.Traceparent)
	}
}

func requestID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
