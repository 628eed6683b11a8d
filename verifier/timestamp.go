package verifier

import (
	"errors"
	"fmt"
	"time"
)

// maxTimestampDigits bounds a signed unix-seconds timestamp: eleven digits
// reach the year 5138, so anything longer is not a clock reading. Three
// more digits do the same for milliseconds.
const (
	maxTimestampDigits       = 11
	maxMillisTimestampDigits = maxTimestampDigits + 3
	maxRFC3339Len            = len("2006-01-02T15:04:05.999999999+07:00")
)

// parseTimestamp reads unix seconds as plain decimal digits. Signs, spaces
// and fractions are refused rather than normalised, because the exact bytes
// are what the sender signed.
func parseTimestamp(s string) (int64, bool) {
	if len(s) > 1 && s[0] == '0' {
		// No sender writes one; allowed, a signed string could be read
		// with its boundaries moved.
		return 0, false
	}
	return parseDigits(s, maxTimestampDigits)
}

func parseDigits(s string, maxDigits int) (int64, bool) {
	if len(s) == 0 || len(s) > maxDigits {
		return 0, false
	}
	var n int64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// Timestamp formats of the generic HMAC's timestamp_format. There is no
// guessing by magnitude: a provider sends one format, and a route that
// says which refuses the others.
const (
	TimestampUnix    = "unix"    // unix seconds, the default
	TimestampUnixMS  = "unix_ms" // unix milliseconds (Linear's webhookTimestamp)
	TimestampRFC3339 = "rfc3339" // RFC 3339 (Zendesk's 2021-03-25T05:09:27Z)
)

// timestampFormat is a parsed timestamp_format.
type timestampFormat uint8

const (
	unixSeconds timestampFormat = iota
	unixMillis
	rfc3339
)

func parseTimestampFormat(s string) (timestampFormat, error) {
	switch s {
	case "", TimestampUnix:
		return unixSeconds, nil
	case TimestampUnixMS:
		return unixMillis, nil
	case TimestampRFC3339:
		return rfc3339, nil
	}
	return 0, fmt.Errorf("unknown timestamp_format %q (want unix, unix_ms or rfc3339)", s)
}

// parse reads a timestamp exactly as sent: digits only for the unix
// formats, and RFC 3339 as time.Parse reads it (bounded in length first).
func (f timestampFormat) parse(s string) (time.Time, bool) {
	switch f {
	case unixMillis:
		n, ok := parseDigits(s, maxMillisTimestampDigits)
		return time.UnixMilli(n), ok
	case rfc3339:
		if len(s) > maxRFC3339Len {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339, s)
		return t, err == nil
	}
	n, ok := parseTimestamp(s)
	return time.Unix(n, 0), ok
}

// window is the accepted span of signed timestamps around our clock.
type window struct {
	now       func() time.Time
	tolerance time.Duration
}

func newWindow(scheme string, cfg Config) (window, error) {
	if cfg.Tolerance < 0 {
		return window{}, errors.New(scheme + ": tolerance must not be negative")
	}
	w := window{now: cfg.Now, tolerance: cfg.Tolerance}
	if w.now == nil {
		w.now = time.Now
	}
	if w.tolerance == 0 {
		w.tolerance = DefaultTolerance
	}
	return w, nil
}

// contains applies the tolerance both ways: a timestamp from the future is
// as suspect as an old one, since it lets a captured request be replayed
// for longer.
func (w window) contains(unix int64) bool { return w.containsTime(time.Unix(unix, 0)) }

func (w window) containsTime(t time.Time) bool {
	d := w.now().Sub(t)
	return d <= w.tolerance && d >= -w.tolerance
}

// CheckTimestampFormat reports whether s is a timestamp_format.
func CheckTimestampFormat(s string) error {
	_, err := parseTimestampFormat(s)
	return err
}
