package verifier

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// The form parser reads what url.ParseQuery reads, refuses what it
// refuses (and more than MaxFormFields fields), and sorts by name then
// value; what it signs is each name then its value.
func FuzzFormParams(f *testing.F) {
	for _, s := range []string{"", twilioDocParams, "a=1&b=2", "b=2&a=1&a=0", "a", "a=", "=v", "a&&b", "&", "a=%zz", "a=%2", "a;b=1",
		"a+b=c+d", "%41=%42", "MessageSid=SM1&MessageStatus=delivered&Body=Hello%2C+world%21", "To=%2B1&ToCity=X&To=%2B0", strings.Repeat("a&", 1000)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p formParams
		err := p.parse(body)
		want, werr := url.ParseQuery(string(body))
		tooMany := bytes.Count(body, []byte{'&'}) >= MaxFormFields
		if (err != nil) != (werr != nil || tooMany) {
			t.Fatalf("%q: error %v, url.ParseQuery's %v", body, err, werr)
		}
		if err != nil {
			return
		}
		type field struct{ name, value string }
		var names []field
		for name, values := range want {
			for _, v := range values {
				names = append(names, field{name, v})
			}
		}
		p.sortByName()
		var got []field
		var concat strings.Builder
		for _, pr := range p.pairs {
			got = append(got, field{string(p.buf[pr.name:pr.value]), string(p.buf[pr.value:pr.end])})
			concat.WriteString(got[len(got)-1].name + got[len(got)-1].value)
		}
		slices.SortFunc(names, func(a, b field) int {
			if c := strings.Compare(a.name, b.name); c != 0 {
				return c
			}
			return strings.Compare(a.value, b.value)
		})
		if !slices.Equal(got, names) {
			t.Fatalf("%q: fields %q, url.ParseQuery sorted %q", body, got, names)
		}
		if signed := p.appendSigned(nil); string(signed) != concat.String() {
			t.Fatalf("%q: signs %q, want %q", body, signed, concat.String())
		}
	})
}

// A Twilio signature made over the URL and the body's sorted params
// verifies, whatever the order the params come in, and a body with one
// field changed does not.
func FuzzTwilioSignature(f *testing.F) {
	f.Add("https://h.example/x?y=1", []byte(twilioDocParams))
	f.Add("https://h.example/x", []byte("B=2&A=1&A=0"))
	f.Add("http://h.example:80/", []byte(""))
	f.Fuzz(func(t *testing.T, u string, body []byte) {
		r, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		if err != nil || r.URL.Host == "" || (r.URL.Scheme != "http" && r.URL.Scheme != "https") {
			return
		}
		r.RequestURI = r.URL.RequestURI()
		public := RequestURL(r)
		if public == "" {
			return
		}
		params, err := SortedFormParams(body)
		if err != nil {
			return
		}
		v, _ := NewTwilio(Config{Secrets: []string{"tok"}}, TwilioOptions{URL: func(*http.Request) string { return public }})
		r.Header.Set("X-Twilio-Signature", twilioSig("tok", public+string(params)))
		if _, hasHash := bodySHA256(public); hasHash {
			return // the JSON variant, signed otherwise
		}
		if _, err := v.VerifyRequest(r, body); err != nil {
			t.Fatalf("%q %q: %v", public, body, err)
		}
		edited := append(slices.Clone(body), []byte("&hookgate=1")...)
		if _, err := v.VerifyRequest(r, edited); err == nil {
			t.Fatalf("%q %q: accepted with a field added", public, body)
		}
	})
}

// HubSpotURI decodes exactly HubSpot's escapes, and nothing else changes.
func FuzzHubSpotURI(f *testing.F) {
	for _, s := range []string{"", "https://h/x", "%3A%2f%3F%40%21%24%27%28%29%2A%2C%3B", "%26%3D%23%2B%25%20", "%", "%3", "%%3A", "%253A", "a%3Ab%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		var want strings.Builder
		for i := 0; i < len(u); i++ {
			if u[i] == '%' && i+2 < len(u) {
				if b, err := url.PathUnescape(u[i : i+3]); err == nil && strings.Contains(hubspotDecoded, b) && len(b) == 1 {
					want.WriteString(b)
					i += 2
					continue
				}
			}
			want.WriteByte(u[i])
		}
		if got := HubSpotURI(u); got != want.String() {
			t.Fatalf("HubSpotURI(%q) = %q, want %q", u, got, want.String())
		}
	})
}
