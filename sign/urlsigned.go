package sign

import (
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// The providers that sign the URL the request goes to: Options.URL is
// that URL, exactly as the request is sent (the route's public_url, or
// what the client asks Caddy for).
func init() {
	signers["twilio"] = Twilio
	signers["square"] = Square
	signers["hubspot"] = HubSpot
}

func needURL(provider string, opts Options) (string, error) {
	if opts.URL == "" {
		return "", errors.New(provider + ": the URL is required (--url): the signature covers it")
	}
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%s: %q is not an absolute http(s) URL", provider, opts.URL)
	}
	return opts.URL, nil
}

// Twilio sends X-Twilio-Signature: the base64 HMAC-SHA1, keyed with the
// auth token, of the URL followed by the form body's params sorted by
// name (then value), each name then its value; and I-Twilio-Idempotency-Token,
// unsigned. A JSON body is the bodySHA256 variant: the URL must carry
// bodySHA256=<hex SHA-256 of the body>, and the URL alone is signed.
func Twilio(secret string, body []byte, _ time.Time, id string, opts Options) (http.Header, error) {
	u, err := needURL("twilio", opts)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	signed := []byte(u)
	if json.Valid(body) {
		sum := sha256.Sum256(body)
		want := hex.EncodeToString(sum[:])
		parsed, _ := url.Parse(u)
		if got := parsed.Query()["bodySHA256"]; len(got) != 1 || got[0] != want {
			sep := "?"
			if parsed.RawQuery != "" {
				sep = "&"
			}
			return nil, fmt.Errorf("twilio: a JSON body is signed with its hash in the URL: send it to %s%sbodySHA256=%s", u, sep, want)
		}
		h.Set("Content-Type", "application/json")
	} else {
		params, err := verifier.SortedFormParams(body)
		if err != nil {
			return nil, fmt.Errorf("twilio: the body is neither JSON nor a form Twilio would send: %w", err)
		}
		signed = append(signed, params...)
		h.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if id == "" {
		id = NewID("")
	}
	h.Set("I-Twilio-Idempotency-Token", id)
	h.Set("X-Twilio-Signature", base64.StdEncoding.EncodeToString(MAC(sha1.New, []byte(secret), signed)))
	return h, nil
}

// Square sends x-square-hmacsha256-signature: the base64 HMAC-SHA256,
// keyed with the subscription's signature key, of the URL followed by the
// body. The id is the body's event_id.
func Square(secret string, body []byte, _ time.Time, _ string, opts Options) (http.Header, error) {
	u, err := needURL("square", opts)
	if err != nil {
		return nil, err
	}
	h := jsonHeader()
	h.Set("X-Square-Hmacsha256-Signature", base64.StdEncoding.EncodeToString(MAC(sha256.New, []byte(secret), []byte(u), body)))
	return h, nil
}

// HubSpot sends X-HubSpot-Signature-v3: the base64 HMAC-SHA256, keyed
// with the app's client secret, of POST + the URL (HubSpot's escapes
// decoded) + the body + X-HubSpot-Request-Timestamp (unix ms).
func HubSpot(secret string, body []byte, at time.Time, _ string, opts Options) (http.Header, error) {
	u, err := needURL("hubspot", opts)
	if err != nil {
		return nil, err
	}
	ts := strconv.FormatInt(at.UnixMilli(), 10)
	h := jsonHeader()
	h.Set("X-HubSpot-Request-Timestamp", ts)
	h.Set("X-HubSpot-Signature-v3", base64.StdEncoding.EncodeToString(
		MAC(sha256.New, []byte(secret), []byte(http.MethodPost+verifier.HubSpotURI(u)), body, []byte(ts))))
	return h, nil
}
