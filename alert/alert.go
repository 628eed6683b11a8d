// Package alert tells an operator that a relay dead-lettered events: a
// short summary POSTed to a webhook URL (a Slack incoming webhook, or any
// receiver of JSON), at most once per window per relay.
//
// The first dead letter after a quiet window is sent at once, so the page
// comes while the cause is fresh; what follows within the window is
// gathered into one summary sent when the window ends, so a burst is one
// message, not hundreds. A summary names events by id only: never a
// payload, a header or a secret.
package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

// Formats of a summary.
const (
	FormatSlack = "slack" // {"text": "..."}, what Slack's incoming webhooks take
	FormatJSON  = "json"  // the Summary as JSON
)

// DefaultEvery is the shortest time between two summaries of one relay.
const DefaultEvery = 5 * time.Minute

// attemptTimeout bounds one attempt to send a summary.
const attemptTimeout = 10 * time.Second

// maxIDs bounds the event ids a summary names.
const maxIDs = 5

// Config is one relay's alert.
type Config struct {
	Relay  string
	URL    string // where summaries are POSTed; a secret itself for Slack, so never logged
	Format string // FormatSlack (default) or FormatJSON
	Every  time.Duration
	// Waits are the pauses between the attempts to send one summary;
	// its length is the number of retries. Default 1s, 5s, 25s.
	Waits  []time.Duration
	Client *http.Client // default http.DefaultClient's transport; each attempt is bounded by 10s
	Logger *zap.Logger
	Now    func() time.Time
}

// Alerter gathers one relay's dead letters into summaries. It is a
// relay.Observer: Observe only takes a lock and never waits on the network.
type Alerter struct {
	cfg Config

	mu     sync.Mutex
	win    window
	sent   time.Time   // when the last summary left; zero before the first
	timer  *time.Timer // the window's end, while a summary waits for it
	closed bool
	sends  sync.WaitGroup
}

// window is what was dead-lettered since the last summary.
type window struct {
	count    int
	ids      []string
	from, to time.Time
	last     relay.Report
}

// New checks cfg and returns its Alerter.
func New(cfg Config) (*Alerter, error) {
	switch cfg.Format {
	case "":
		cfg.Format = FormatSlack
	case FormatSlack, FormatJSON:
	default:
		return nil, fmt.Errorf("alert format must be %s or %s, not %q", FormatSlack, FormatJSON, cfg.Format)
	}
	if cfg.URL == "" {
		return nil, errors.New("alert needs a URL (empty after replacing placeholders: is its environment variable set?)")
	}
	if cfg.Every < 0 {
		return nil, errors.New("alert_every must be positive")
	}
	if cfg.Every == 0 {
		cfg.Every = DefaultEvery
	}
	if cfg.Waits == nil {
		cfg.Waits = []time.Duration{time.Second, 5 * time.Second, 25 * time.Second}
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Alerter{cfg: cfg}, nil
}

// Observe counts a dead letter and sends or schedules its summary.
func (a *Alerter) Observe(r relay.Report) {
	if r.Outcome != relay.OutcomeDead {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return
	}
	at := r.At
	if at.IsZero() {
		at = a.cfg.Now()
	}
	if a.win.count == 0 {
		a.win.from = at
	}
	a.win.count++
	a.win.to = at
	a.win.last = r
	if len(a.win.ids) < maxIDs {
		a.win.ids = append(a.win.ids, r.Event.ID)
	}
	if a.timer != nil {
		return
	}
	wait := a.sent.Add(a.cfg.Every).Sub(a.cfg.Now())
	if a.sent.IsZero() || wait <= 0 {
		a.flushLocked()
		return
	}
	a.timer = time.AfterFunc(wait, a.windowEnded)
}

func (a *Alerter) windowEnded() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.timer = nil
	if !a.closed && a.win.count > 0 {
		a.flushLocked()
	}
}

// flushLocked sends what the window holds, in the background.
func (a *Alerter) flushLocked() {
	w := a.win
	a.win = window{}
	a.sent = a.cfg.Now()
	a.sends.Add(1)
	go func() {
		defer a.sends.Done()
		a.send(w)
	}()
}

// Close sends what is still gathered without waiting for its window, so
// a reload or a stop loses no dead letter's alert, and stops the timer.
// It waits for the summaries in flight until ctx ends: a process that
// exits right after would otherwise drop the last one.
func (a *Alerter) Close(ctx context.Context) {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		if a.timer != nil {
			a.timer.Stop()
			a.timer = nil
		}
		if a.win.count > 0 {
			a.flushLocked()
		}
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() {
		a.sends.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// Wait returns when every summary started has been sent or given up.
func (a *Alerter) Wait() { a.sends.Wait() }

// send POSTs w's summary, retrying a failed attempt after each of the
// configured waits.
func (a *Alerter) send(w window) {
	body, err := a.encode(w)
	if err != nil {
		a.cfg.Logger.Error("encoding a dead-letter alert", zap.String("relay", a.cfg.Relay), zap.Error(err))
		return
	}
	log := a.cfg.Logger.With(zap.String("relay", a.cfg.Relay), zap.Int("dead_lettered", w.count))
	for attempt := 0; ; attempt++ {
		status, err := a.post(body)
		if err == nil {
			log.Info("dead-letter alert sent", zap.Int("status", status), zap.Int("attempt", attempt+1))
			return
		}
		if attempt >= len(a.cfg.Waits) || (status >= 400 && status < 500 && status != http.StatusTooManyRequests && status != http.StatusRequestTimeout) {
			log.Warn("dead-letter alert not delivered", zap.Int("status", status), zap.Int("attempts", attempt+1), zap.String("error", err.Error()))
			return
		}
		time.Sleep(a.cfg.Waits[attempt])
	}
}

// post makes one attempt. Its errors never carry the URL: a Slack webhook
// URL is the credential.
func (a *Alerter) post(body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("invalid alert URL")
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Hookgate-Alert")
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return 0, fmt.Errorf("sending: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return resp.StatusCode, fmt.Errorf("answered %d", resp.StatusCode)
	}
	return resp.StatusCode, nil
}
