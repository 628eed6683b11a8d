package relay

import (
	"net/http"
	"strconv"
	"time"
)

// backoff is exponential with full jitter: attempt n (from 1) waits a
// uniformly random time in [0, min(cap, base·2^(n-1))]. Jitter spreads the
// retries of a burst so a recovering target is not hit by all at once.
type backoff struct {
	base, cap time.Duration
	rand      func() float64 // in [0, 1); injected so tests are exact
}

func (b backoff) delay(attempt int) time.Duration {
	ceiling := b.cap
	if attempt >= 1 && attempt < 63 {
		if d := b.base << (attempt - 1); d > 0 && d < b.cap {
			ceiling = d
		}
	}
	return time.Duration(b.rand() * float64(ceiling))
}

// retryAfter reads a Retry-After header, seconds or an HTTP date; zero when
// absent or unreadable.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		return time.Duration(min(secs, int64(24*time.Hour/time.Second))) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil && at.After(now) {
		return min(at.Sub(now), 24*time.Hour)
	}
	return 0
}
