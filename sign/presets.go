package sign

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// Every preset of verifier's table signs through the one generic signer
// below, from the preset's own options: the table is not copied here.
func init() {
	for _, p := range verifier.Presets() {
		signers[p.Name] = presetSigner(p)
	}
}

func presetSigner(p verifier.Preset) Func {
	if p.Token != nil {
		t := *p.Token
		return func(secret string, _ []byte, _ time.Time, id string, _ Options) (http.Header, error) {
			h := jsonHeader()
			h.Set(t.Header, secret)
			if name, ok := headerSource(t.IDFrom); ok {
				setID(h, name, id)
			}
			return h, nil
		}
	}
	o := *p.HMAC
	return func(secret string, body []byte, at time.Time, id string, opts Options) (http.Header, error) {
		return signHMAC(p.Name, o, secret, body, at, id, opts.Event)
	}
}

func headerSource(from string) (string, bool) {
	if len(from) > len("header:") && from[:len("header:")] == "header:" {
		return from[len("header:"):], true
	}
	return "", false
}

// signHMAC signs body as a route with the generic HMAC options o verifies:
// the template's signed string under the secret's bytes, the timestamp in
// its header or the signature list, a fresh id in the id header unless one
// is given, and typ (when given) in the type header.
func signHMAC(scheme string, o verifier.HMACOptions, secret string, body []byte, at time.Time, id, typ string) (http.Header, error) {
	s, err := o.Scheme()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", scheme, err)
	}
	var ts string
	switch {
	case s.TimestampField != "":
		// The body carries it, signed with the body: the signer cannot add
		// it without changing what the caller asked to send.
		var fields map[string]json.RawMessage
		if json.Unmarshal(body, &fields) != nil || len(fields[s.TimestampField]) == 0 {
			return nil, fmt.Errorf("%s: the body needs its %q field (the signing time, as %s)", scheme, s.TimestampField, s.FormatTimestamp(at))
		}
		ts = string(fields[s.TimestampField])
		if uq, err := strconv.Unquote(ts); err == nil {
			ts = uq
		}
	case s.SignsTimestamp():
		ts = s.FormatTimestamp(at)
	}
	h := jsonHeader()
	if s.IDHeader != "" {
		if id == "" {
			id = NewID("")
		}
		h.Set(s.IDHeader, id)
	}
	if s.TypeHeader != "" && typ != "" {
		h.Set(s.TypeHeader, typ)
	}
	if s.TimestampHeader != "" {
		h.Set(s.TimestampHeader, ts)
	}
	mac := MAC(s.NewHash, []byte(secret), s.Template.Append(nil, ts, id, body))
	sig := hex.EncodeToString(mac)
	if s.Base64 {
		sig = base64.StdEncoding.EncodeToString(mac)
	}
	sig = s.Prefix + sig
	if f := s.Format; f.KV {
		list := f.SigKey + "=" + sig
		if f.TSKey != "" {
			list = f.TSKey + "=" + ts + string(f.Sep) + list
		}
		sig = list
	}
	h.Set(s.Header, sig)
	return h, nil
}
