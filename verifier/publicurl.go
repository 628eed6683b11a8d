// Public URLs: the schemes that sign the URL a provider sent a request
// to (Twilio, Square, HubSpot v3) verify the URL as the provider saw it,
// which behind a proxy is not the one this server was asked for. Where it
// comes from is the caller's to say (a URLFunc); verifier reads no
// forwarded header itself.
//
// Trust: the host, path and query are the sender's (anyone can send any
// Host), so the URL is never trusted, only MACed: a request to another
// host or path carrying a signature made for this one fails the MAC like
// any edited byte. Nothing secret-derived is ever computed from the URL
// and given back.

package verifier

import (
	"net/http"
	"strings"
)

// URLFunc returns the public URL r was sent to: scheme, host, path and
// query, as the provider signed it. "" is no URL, and fails verification.
type URLFunc func(r *http.Request) string

// RequestURL is r's URL as it reached this server: https when it came
// over TLS, else http; r.Host; and r.RequestURI as the client wrote it
// (escapes and query order kept). No forwarded header is read: behind a
// proxy, give the scheme a URLFunc that knows which proxies to believe.
// An absolute-form or "*" request target is no URL.
func RequestURL(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" && r.URL != nil {
		uri = r.URL.RequestURI()
	}
	return JoinURL(r.TLS != nil, r.Host, uri)
}

// JoinURL is scheme://host followed by uri, which must start with "/"
// (origin form); otherwise, or without a host, it is "".
func JoinURL(https bool, host, uri string) string {
	if host == "" || !strings.HasPrefix(uri, "/") {
		return ""
	}
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	return scheme + host + uri
}

// portVariant is u with its scheme's default port written out when it
// has none, or left out when it has it (https://h/x and https://h:443/x),
// and "" when u has another port or is not an http(s) URL. Twilio's own
// validators accept either form, as its signature may carry either.
func portVariant(u string) string {
	var rest, port string
	switch {
	case strings.HasPrefix(u, "https://"):
		rest, port = u[len("https://"):], "443"
	case strings.HasPrefix(u, "http://"):
		rest, port = u[len("http://"):], "80"
	default:
		return ""
	}
	scheme := u[:len(u)-len(rest)]
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	authority, tail := rest[:end], rest[end:]
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		return "" // userinfo: Twilio's URLs carry none we could vary safely
	}
	host, p, hasPort := authority, "", false
	if i := strings.LastIndexByte(authority, ':'); i >= 0 && !strings.Contains(authority[i:], "]") {
		host, p, hasPort = authority[:i], authority[i+1:], true
	}
	switch {
	case host == "":
		return ""
	case !hasPort:
		return scheme + host + ":" + port + tail
	case p == port:
		return scheme + host + tail
	}
	return ""
}
