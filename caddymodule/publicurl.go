package caddymodule

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hookgate/caddy-hookgate/verifier"
)

// PublicURL is the public_url option of the providers that sign the URL
// a request was sent to (twilio, square, hubspot): where the provider
// sent it, which behind a proxy or a tunnel is not what Caddy was asked.
type PublicURL struct {
	// PublicURL is the whole URL the provider signs, placeholders
	// replaced per request; nothing is joined to it. To keep the
	// request's own path and query, end it with {http.request.orig_uri}
	// (the URI as sent, before any rewrite): a base such as
	// {env.PUBLIC_BASE} then has no trailing slash. Without it, the URL
	// is the request's: https when it came over TLS, the Host header,
	// the URI as sent; X-Forwarded-Proto and X-Forwarded-Host count only
	// from a proxy the server's trusted_proxies names.
	PublicURL string `json:"public_url,omitempty"`
}

// unmarshalOption parses public_url <url>; ok is false for another option.
func (p *PublicURL) unmarshalOption(d *caddyfile.Dispenser) (bool, error) {
	if d.Val() != "public_url" {
		return false, nil
	}
	if err := singleArg(d, &p.PublicURL); err != nil {
		return true, err
	}
	if err := checkPublicURL(p.PublicURL, p.PublicURL); err != nil {
		return true, d.Err(err.Error())
	}
	return true, nil
}

// Provision checks public_url once its global placeholders ({env.*})
// are known.
func (p *PublicURL) Provision(caddy.Context) error {
	if p.PublicURL == "" {
		return nil
	}
	return checkPublicURL(p.PublicURL, caddy.NewReplacer().ReplaceKnown(p.PublicURL, ""))
}

// checkPublicURL refuses a public_url (s, resolved as far as it is known)
// that cannot be a URL a provider signs: it starts with http:// or
// https:// unless with a placeholder, and once no placeholder is left it
// is an absolute URL with a host and no fragment or user. Request
// placeholders are only known per request; the MAC checks what they give.
func checkPublicURL(s, resolved string) error {
	if !strings.HasPrefix(resolved, "{") && !strings.HasPrefix(resolved, "http://") && !strings.HasPrefix(resolved, "https://") {
		return fmt.Errorf("public_url %q must start with http:// or https://", s)
	}
	if strings.IndexByte(resolved, '{') >= 0 {
		return nil
	}
	u, err := url.Parse(resolved)
	if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("public_url %q must be an absolute http(s) URL with a host and no fragment or user", s)
	}
	return nil
}

// urlFunc is where the route's verifier reads a request's public URL.
func (p PublicURL) urlFunc() verifier.URLFunc {
	if p.PublicURL == "" {
		return requestPublicURL
	}
	template := p.PublicURL
	return func(r *http.Request) string {
		repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
		if !ok {
			repl = caddy.NewReplacer()
		}
		// An unknown placeholder is "": a URL no provider signed, a 401.
		return repl.ReplaceAll(template, "")
	}
}

// requestPublicURL rebuilds the URL the sender used from the request as
// Caddy received it: the scheme from TLS, the Host header and the URI as
// sent (Caddy's original request, before any rewrite or handle_path).
// Only when the server's trusted_proxies says the peer is a trusted proxy
// (Caddy's trusted_proxy variable, set before any handler runs) do
// X-Forwarded-Proto and X-Forwarded-Host replace the scheme and host,
// as Caddy's own reverse_proxy decides whether to keep them.
//
// Host, path and query are the sender's whatever their source: they are
// MACed, never trusted, so a wrong one is a 401 like any edited byte.
func requestPublicURL(r *http.Request) string {
	https, host := r.TLS != nil, r.Host
	if trusted, _ := caddyhttp.GetVar(r.Context(), caddyhttp.TrustedProxyVarKey).(bool); trusted {
		switch strings.ToLower(firstForwarded(r.Header, "X-Forwarded-Proto")) {
		case "https":
			https = true
		case "http":
			https = false
		}
		if h := firstForwarded(r.Header, "X-Forwarded-Host"); h != "" {
			host = h
		}
	}
	uri := r.RequestURI
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok && orig.RequestURI != "" {
		uri = orig.RequestURI
	}
	return verifier.JoinURL(https, host, uri)
}

// firstForwarded is the first element of a forwarded header, the one the
// proxy nearest the sender wrote ("a, b" lists the hops).
func firstForwarded(h http.Header, name string) string {
	v := h.Get(name)
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i]
	}
	return strings.TrimSpace(v)
}
