package verifier

import (
	"errors"
	"time"
)

// maxTimestampDigits bounds a signed unix-seconds timestamp: eleven digits
// reach the year 5138, so anything longer is not a clock reading.
const maxTimestampDigits = 11

// parseTimestamp reads unix seconds as plain decimal digits. Signs, spaces
// and fractions are refused rather than normalised, because the exact bytes
// are what the sender signed.
func parseTimestamp(s string) (int64, bool) {
	if len(s) == 0 || len(s) > maxTimestampDigits {
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
func (w window) contains(unix int64) bool {
	d := w.now().Sub(time.Unix(unix, 0))
	return d <= w.tolerance && d >= -w.tolerance
}
