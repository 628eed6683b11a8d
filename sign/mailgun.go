package sign

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

func init() { Register("mailgun", Mailgun) }

// mailgunSignature is Mailgun's signature object.
type mailgunSignature struct {
	Timestamp string `json:"timestamp"`
	Token     string `json:"token"`
	Signature string `json:"signature"`
}

// MailgunBody returns body (a JSON object) with its "signature" member
// set to Mailgun's signature object for at: a fresh 50-character token
// (token when given) and the hex HMAC-SHA256 of timestamp+token keyed with
// the signing key. Mailgun's signature is inside the body, so signing
// changes the body; the signature covers only timestamp and token.
func MailgunBody(secret string, body []byte, at time.Time, token string) ([]byte, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, errors.New("mailgun: the body must be a JSON object")
	}
	if token == "" {
		var b [25]byte
		_, _ = rand.Read(b[:])
		token = hex.EncodeToString(b[:])
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	sig, _ := json.Marshal(mailgunSignature{Timestamp: ts, Token: token, Signature: hex.EncodeToString(MAC(sha256.New, []byte(secret), []byte(ts), []byte(token)))})
	obj["signature"] = sig
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(obj); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

// Mailgun is the table's signer: Mailgun sends no signature header, so it
// only checks that body already carries a signature object made with
// secret (MailgunBody makes one) and returns the Content-Type. A body
// without one is an error: signing it means changing it.
func Mailgun(secret string, body []byte, _ time.Time, _ string, _ Options) (http.Header, error) {
	var b struct {
		Signature *mailgunSignature `json:"signature"`
	}
	if err := json.Unmarshal(body, &b); err != nil || b.Signature == nil {
		return nil, errors.New(`mailgun: the signature is inside the body: give a body with its "signature" object (sign.MailgunBody makes one)`)
	}
	s := b.Signature
	want := MAC(sha256.New, []byte(secret), []byte(s.Timestamp), []byte(s.Token))
	got, err := hex.DecodeString(s.Signature)
	if err != nil || !hmac.Equal(got, want) {
		return nil, errors.New(`mailgun: the body's "signature" object is not signed with this secret`)
	}
	return jsonHeader(), nil
}
