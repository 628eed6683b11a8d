// Generic HMAC, for senders without a scheme of their own and the engine
// of every HMAC preset (presets.go). A configured header carries the
// signature: [prefix]<hex or base64 HMAC> (SHA-1, SHA-256 or SHA-512), or a
// key-value list of a timestamp and signatures (sigformat.go). What is
// MACed is the template (template.go) with {body} the raw body, {ts} the
// timestamp and {id} the id header as sent. A timestamp comes from a
// header, the signature list or a body field, as unix seconds,
// milliseconds or RFC 3339; it is held to the tolerance both ways, after
// the MAC is checked. Any one signature matching under any one secret
// accepts.
//
// Trust: a header timestamp or id is only signed when the template says
// {ts} or {id}, so a header the template leaves out is refused as a
// timestamp source (its age would prove nothing) and kept as a label
// only as an id source. A body field is signed with the body.

package verifier

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"errors"
	"fmt"
	"hash"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// HMACOptions describe a generic HMAC scheme.
type HMACOptions struct {
	Header    string // header carrying the signature; required
	Algorithm string // "sha1", "sha256" (default) or "sha512"
	Encoding  string // "hex" (default, either case) or "base64" (standard, padded)
	Prefix    string // text before each signature, such as "sha256="
	// SignatureFormat is "plain" (default) or a key-value list such as
	// "kv sep=; ts=ts sig=h1" (see ParseSignatureFormat).
	SignatureFormat string
	// Template is what is MACed: literal text and {body}, {ts}, {id}.
	// Default "{body}", or "{ts}.{body}" with a timestamp source.
	Template string
	// TimestampFrom is "header:<Name>" or "json:<field>"; a kv signature
	// format with ts= is a source of its own. TimestampHeader is the older
	// spelling of header:<Name>.
	TimestampFrom, TimestampHeader string
	// TimestampFormat is "unix" (default), "unix_ms" or "rfc3339".
	TimestampFormat string

	// IDFrom and TypeFrom are "header:<Name>" or "json:<field>";
	// IDHeader/IDField and TypeHeader/TypeField are their older spellings.
	IDFrom, IDHeader, IDField       string
	TypeFrom, TypeHeader, TypeField string
	// Body is "json" (default), "form" (fields are form:<field>) or
	// "any" (stored as received, named by its hash unless a header or
	// the template names it).
	Body string
}

// HMAC verifies a configurable HMAC signature header.
type HMAC struct {
	header   string
	prefix   string
	size     int
	base64   bool
	format   SignatureFormat
	template Template
	// Where the timestamp is: tsHeader, tsField, or the kv list's ts key
	// (format.TSKey); none of them for a scheme that signs no time.
	tsHeader, tsField string
	tsKeys            []string // []string{tsField}, for event.Scan
	tsFormat          timestampFormat
	idHeader          string // the signed {id} header; "" without {id}
	keys              []*macKey
	window            window
	locator           Locator
}

// NewHMAC builds a generic HMAC verifier; the secrets are used as plain bytes.
func NewHMAC(cfg Config, opts HMACOptions) (*HMAC, error) {
	return newHMAC("hmac", cfg, opts)
}

// newHash returns the hash of an algorithm option.
func newHash(algorithm string) (func() hash.Hash, error) {
	switch algorithm {
	case "sha1":
		return sha1.New, nil
	case "", "sha256":
		return sha256.New, nil
	case "sha512":
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unknown algorithm %q (want sha1, sha256 or sha512)", algorithm)
}

func newHMAC(scheme string, cfg Config, opts HMACOptions) (*HMAC, error) {
	v, err := buildHMAC(opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", scheme, err)
	}
	nh, _ := newHash(opts.Algorithm)
	if v.keys, err = macKeys(scheme, cfg.Secrets, nh); err != nil {
		return nil, err
	}
	if v.window, err = newWindow(scheme, cfg); err != nil {
		return nil, err
	}
	return v, nil
}

// CheckHMACOptions reports what NewHMAC would refuse in opts, secrets
// aside: the Caddyfile adapter calls it so that a bad option names its
// line, and sign/ so that it signs only what a route can verify.
func CheckHMACOptions(opts HMACOptions) error {
	_, err := buildHMAC(opts)
	return err
}

func buildHMAC(opts HMACOptions) (*HMAC, error) {
	if opts.Header == "" {
		return nil, errors.New("signature header is required")
	}
	if !validHeaderName(opts.Header) {
		return nil, fmt.Errorf("header %q is not a header name", opts.Header)
	}
	nh, err := newHash(opts.Algorithm)
	if err != nil {
		return nil, err
	}
	v := &HMAC{
		header: http.CanonicalHeaderKey(opts.Header),
		prefix: opts.Prefix,
		size:   nh().Size(),
	}
	switch opts.Encoding {
	case "", "hex":
	case "base64":
		v.base64 = true
	default:
		return nil, fmt.Errorf("unknown encoding %q (want hex or base64)", opts.Encoding)
	}
	if v.format, err = ParseSignatureFormat(opts.SignatureFormat); err != nil {
		return nil, err
	}
	if v.tsFormat, err = parseTimestampFormat(opts.TimestampFormat); err != nil {
		return nil, err
	}
	ts, err := mergeSource("timestamp_from", opts.TimestampFrom, opts.TimestampHeader, "")
	if err != nil {
		return nil, err
	}
	if ts.form != "" {
		return nil, fmt.Errorf("timestamp_from %q: want header:<Name> or json:<top-level field>", opts.TimestampFrom)
	}
	v.tsHeader, v.tsField = ts.header, ts.json
	v.tsKeys = []string{ts.json}
	sources := 0
	for _, set := range []bool{v.tsHeader != "", v.tsField != "", v.format.TSKey != ""} {
		if set {
			sources++
		}
	}
	if sources > 1 {
		return nil, errors.New("the timestamp comes from one place: timestamp_from or the signature format's ts=, not both")
	}
	template := opts.Template
	if template == "" && (v.tsHeader != "" || v.format.TSKey != "") {
		template = "{ts}.{body}" // what timestamp_header always signed
	}
	if v.template, err = ParseTemplate(template); err != nil {
		return nil, err
	}
	if v.tsFormat != rfc3339 && (strings.Contains(template, placeID+placeTS) || strings.Contains(template, placeTS+placeID)) {
		// Digits run into the id: "inv_100"+"1700000000" signs what
		// "inv_10"+"01700000000" does, so the sender would choose the id.
		return nil, fmt.Errorf("template %q: put a literal between {id} and {ts}, or use timestamp_format rfc3339", template)
	}
	switch {
	case v.template.HasTimestamp() && sources == 0:
		return nil, errors.New("the template signs {ts}, but no timestamp_from (or signature format ts=) says where it is")
	case !v.template.HasTimestamp() && v.tsField == "" && sources > 0:
		// A body field is signed with the body; a header is not.
		return nil, errors.New("the timestamp is not signed: a header timestamp must be {ts} in the template")
	}
	id, err := mergeSource("id_from", opts.IDFrom, opts.IDHeader, opts.IDField)
	if err != nil {
		return nil, err
	}
	typ, err := mergeSource("type_from", opts.TypeFrom, opts.TypeHeader, opts.TypeField)
	if err != nil {
		return nil, err
	}
	if v.template.HasID() {
		if id.header == "" {
			return nil, errors.New("the template signs {id}, which needs id_from header:<Name>")
		}
		v.idHeader = id.header
	}
	v.locator = eventLocator(id, typ, v.template.HasID())
	if v.locator.Body, err = bodyKind(opts.Body, id, typ, ts); err != nil {
		return nil, err
	}
	for _, name := range []string{id.header, typ.header, v.tsHeader} {
		if name == v.header {
			// It would be stored with the event, and the signature with it.
			return nil, errors.New("the id, type or timestamp header must not be the signature header")
		}
		if name != "" && !contains(v.locator.Audit, name) {
			v.locator.Audit = append(v.locator.Audit, name)
		}
	}
	return v, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Verify checks the signature header and, where the scheme has one, the
// timestamp. The MAC is checked before the age, so ErrStale always means
// an authentic but late (or replayed) request.
func (v *HMAC) Verify(h http.Header, body []byte) (Signed, error) {
	values := h[v.header]
	if len(values) == 0 || values[0] == "" {
		return Signed{}, ErrMissing
	}
	var ts, id string
	switch {
	case v.format.KV:
		var ok bool
		if ts, ok = v.format.kvTimestamp(values[0], v.wellFormed); !ok {
			return Signed{}, ErrMalformed
		}
	case !v.anyWellFormed(values):
		return Signed{}, ErrMalformed
	}
	if v.tsHeader != "" {
		if ts = headerValue(h, v.tsHeader); ts == "" {
			return Signed{}, ErrMissing
		}
	}
	if v.idHeader != "" {
		if id = headerValue(h, v.idHeader); id == "" {
			return Signed{}, ErrMissing
		}
	}
	var at time.Time
	parsed := false
	if v.tsField != "" && v.template.HasTimestamp() {
		// Needed for the MAC; otherwise it is read once the body is known
		// to be the sender's.
		var err error
		if ts, at, err = v.bodyTimestamp(body); err != nil {
			return Signed{}, err
		}
		parsed = true
	} else if ts != "" {
		var ok bool
		if at, ok = v.tsFormat.parse(ts); !ok {
			return Signed{}, ErrMalformed
		}
		parsed = true
	}
	var before, after [maxTemplateParts]string
	nb, na := v.template.expand(&before, &after, ts, id)
	if !signedAround(v.keys, func(mac []byte) bool { return v.anyMatches(values, mac) }, before[:nb], body, after[:na]) {
		return Signed{}, ErrMismatch
	}
	if v.tsField != "" && !parsed {
		var err error
		if ts, at, err = v.bodyTimestamp(body); err != nil {
			return Signed{}, err
		}
		parsed = true
	}
	if parsed && !v.window.containsTime(at) {
		return Signed{}, ErrStale
	}
	return Signed{ID: id, Timestamp: ts}, nil
}

// bodyTimestamp reads the timestamp field of a JSON body: a number (or a
// string) in the configured format. A body without it, or not JSON, has no
// timestamp to check, which is ErrMissing.
func (v *HMAC) bodyTimestamp(body []byte) (string, time.Time, error) {
	var out [1]string
	if err := event.Scan(body, v.tsKeys, out[:]); err != nil || out[0] == "" {
		return "", time.Time{}, ErrMissing
	}
	at, ok := v.tsFormat.parse(out[0])
	if !ok {
		return "", time.Time{}, ErrMalformed
	}
	return out[0], at, nil
}

// Locate returns the locations given in the options; the slices are shared
// and must not be modified.
func (v *HMAC) Locate() Locator { return v.locator }

func (v *HMAC) anyWellFormed(values []string) bool {
	for _, value := range values {
		if v.wellFormed(value) {
			return true
		}
	}
	return false
}

func (v *HMAC) wellFormed(value string) bool {
	var sig [sha512.Size]byte
	return v.decode(sig[:v.size], value)
}

func (v *HMAC) anyMatches(values []string, mac []byte) bool {
	matches := func(value string) bool {
		var sig [sha512.Size]byte
		return v.decode(sig[:v.size], value) && hmac.Equal(sig[:v.size], mac)
	}
	if v.format.KV {
		return v.format.kvAnyMatches(values[0], matches)
	}
	for _, value := range values {
		if matches(value) {
			return true
		}
	}
	return false
}

func (v *HMAC) decode(dst []byte, value string) bool {
	s, ok := strings.CutPrefix(value, v.prefix)
	if !ok {
		return false
	}
	if v.base64 {
		return decodeBase64(dst, s)
	}
	return decodeHex(dst, s)
}

var _ Verifier = (*HMAC)(nil)

// HMACScheme is a generic HMAC scheme as the engine reads its options:
// what a sender must produce. sign/ signs from it, so the sending side
// follows the same parse of the same options.
type HMACScheme struct {
	Header   string // signature header, canonical
	Prefix   string
	NewHash  func() hash.Hash
	Base64   bool
	Format   SignatureFormat
	Template Template
	// TimestampHeader or TimestampField is where the timestamp goes (or
	// is read from); neither when it is in the signature list
	// (Format.TSKey) or the scheme has none.
	TimestampHeader, TimestampField string
	// IDHeader is the id header, signed ({id} in the template) or a label.
	IDHeader string
	// TypeHeader is the type header, when the type is not a body field.
	TypeHeader string
	tsFormat   timestampFormat
}

// Scheme returns the scheme opts describe, or what NewHMAC would refuse.
func (opts HMACOptions) Scheme() (HMACScheme, error) {
	v, err := buildHMAC(opts)
	if err != nil {
		return HMACScheme{}, err
	}
	nh, _ := newHash(opts.Algorithm)
	s := HMACScheme{
		Header: v.header, Prefix: v.prefix, NewHash: nh, Base64: v.base64, Format: v.format, Template: v.template,
		TimestampHeader: v.tsHeader, TimestampField: v.tsField,
		IDHeader: v.idHeader, TypeHeader: v.locator.TypeHeader, tsFormat: v.tsFormat,
	}
	if s.IDHeader == "" {
		s.IDHeader = v.locator.IDHeader
	}
	return s, nil
}

// FormatTimestamp writes at as the scheme's timestamp_format does.
func (s HMACScheme) FormatTimestamp(at time.Time) string {
	switch s.tsFormat {
	case unixMillis:
		return strconv.FormatInt(at.UnixMilli(), 10)
	case rfc3339:
		return at.UTC().Format(time.RFC3339)
	}
	return strconv.FormatInt(at.Unix(), 10)
}

// SignsTimestamp reports whether the scheme has a timestamp at all.
func (s HMACScheme) SignsTimestamp() bool {
	return s.TimestampHeader != "" || s.TimestampField != "" || s.Format.TSKey != ""
}
