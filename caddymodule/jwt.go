package caddymodule

import (
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/caddy-hookgate/verifier"
)

func init() {
	caddy.RegisterModule(JWT{})
}

// JWT verifies Authorization: Bearer <JWT> senders (verifier.JWT): one
// pinned algorithm, exp/nbf/iat with the route's tolerance as leeway, a
// required jti that is accepted once, and optionally an HMAC of the body
// in a second header.
type JWT struct {
	// Algorithm is the only alg accepted: RS256, ES256, EdDSA or HS256.
	// With HS256 the route's secrets are the keys.
	Algorithm string `json:"algorithm,omitempty"`
	// KeyFile is a PEM file of public keys (or certificates), re-read
	// when it changes. For RS256, ES256 and EdDSA, instead of JWKSFile.
	KeyFile string `json:"key_file,omitempty"`
	// JWKSFile is a JSON Web Key Set file; the token's kid picks the key.
	// Re-read when it changes.
	JWKSFile string `json:"jwks_file,omitempty"`
	// Issuer, when set, must be the token's iss.
	Issuer string `json:"issuer,omitempty"`
	// Audience, when set, must be one of the token's aud.
	Audience string `json:"audience,omitempty"`
	// MaxAge, when set, is how old the token's iat may be.
	MaxAge caddy.Duration `json:"max_age,omitempty"`
	// BodySignatureHeader, with BodySignatureSecrets, requires
	// <header>: sha256=<hex HMAC-SHA256 of the body> as well.
	BodySignatureHeader string `json:"body_signature_header,omitempty"`
	// BodySignatureSecrets are the body HMAC's keys; several = rotation.
	// Placeholders such as {env.NAME} are replaced at provisioning.
	BodySignatureSecrets []string `json:"body_signature_secrets,omitempty"`
	// IDFrom names the event: jti (default), hash, or json:<field>.
	IDFrom string `json:"id_from,omitempty"`
	// TypeFrom is the body field with the type: json:<field>, default
	// json:type.
	TypeFrom string `json:"type_from,omitempty"`
}

func (JWT) CaddyModule() caddy.ModuleInfo {
	return providerInfo("jwt", func() caddy.Module { return new(JWT) })
}

func (j JWT) options() verifier.JWTOptions {
	return verifier.JWTOptions{
		Algorithm: j.Algorithm, KeyFile: j.KeyFile, JWKSFile: j.JWKSFile,
		Issuer: j.Issuer, Audience: j.Audience, MaxAge: time.Duration(j.MaxAge),
		BodySignatureHeader: j.BodySignatureHeader, BodySignatureSecrets: j.BodySignatureSecrets,
		IDFrom: j.IDFrom, TypeFrom: j.TypeFrom,
	}
}

// NewVerifier replaces the placeholders of the file paths and body
// secrets (a body secret that comes out empty is an unused rotation slot)
// and reads the key file.
func (j JWT) NewVerifier(cfg verifier.Config) (verifier.Verifier, error) {
	repl := caddy.NewReplacer()
	opts := j.options()
	opts.KeyFile, opts.JWKSFile = repl.ReplaceAll(opts.KeyFile, ""), repl.ReplaceAll(opts.JWKSFile, "")
	opts.BodySignatureSecrets = nil
	for _, s := range j.BodySignatureSecrets {
		if v := repl.ReplaceAll(s, ""); v != "" {
			opts.BodySignatureSecrets = append(opts.BodySignatureSecrets, v)
		}
	}
	return verifier.NewJWT(cfg, opts)
}

// UnmarshalOption parses the jwt options inside a webhook block:
//
//	webhook /hooks/wordpress jwt {
//	    secret         {env.WP_JWT_SECRET}   # HS256: the key(s); RS256/ES256/EdDSA: names the signer only (see below)
//	    algorithm      RS256|ES256|EdDSA|HS256          # required
//	    key_file       /etc/hookgate/wp-jwt.pem         # RS256/ES256/EdDSA: PEM public keys, or
//	    jwks_file      /etc/hookgate/wp-jwks.json       # a JSON Web Key Set (kid picks the key)
//	    issuer         https://wp.example.com
//	    audience       hookgate
//	    max_age        5m                               # iat no older than this
//	    body_signature X-Signature {env.WP_BODY_SECRET} # also require sha256=<hex HMAC of the body>
//	    id_from        jti|hash|json:<field>            # default jti
//	    type_from      json:<field>                     # default json:type
//	}
//
// The webhook block needs a secret for every provider: its keyed hash
// names the dedupe and replay scope. With RS256, ES256 and EdDSA the
// keys are in key_file or jwks_file and the secret only names that scope
// (any stable value, e.g. {env.WP_JWT_SCOPE}).
func (j *JWT) UnmarshalOption(d *caddyfile.Dispenser) error {
	name := d.Val()
	switch name {
	case "body_signature":
		args := d.RemainingArgs()
		if len(args) < 2 {
			return d.Err("body_signature needs a header and at least one secret, e.g. 'body_signature X-Signature {env.BODY_SECRET}'")
		}
		if j.BodySignatureHeader != "" && !strings.EqualFold(j.BodySignatureHeader, args[0]) {
			return d.Errf("body_signature is one header: %s, not also %s (more secrets on one line are a rotation)", j.BodySignatureHeader, args[0])
		}
		j.BodySignatureHeader, j.BodySignatureSecrets = args[0], append(j.BodySignatureSecrets, args[1:]...)
	case "max_age":
		return durationArg(d, &j.MaxAge)
	default:
		dst := map[string]*string{
			"algorithm": &j.Algorithm, "key_file": &j.KeyFile, "jwks_file": &j.JWKSFile,
			"issuer": &j.Issuer, "audience": &j.Audience, "id_from": &j.IDFrom, "type_from": &j.TypeFrom,
		}[name]
		if dst == nil {
			return d.Errf("unknown jwt option %q", name)
		}
		if err := singleArg(d, dst); err != nil {
			return err
		}
	}
	switch name {
	case "key_file", "jwks_file":
		return nil // which the algorithm needs is checked at load
	case "algorithm":
		switch j.Algorithm {
		case verifier.JWTRS256, verifier.JWTES256, verifier.JWTEdDSA, verifier.JWTHS256:
			return nil
		}
		return d.Errf("algorithm %q is not accepted (want RS256, ES256, EdDSA or HS256)", j.Algorithm)
	}
	if err := verifier.CheckJWTOptions(j.checkable()); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// checkable is the options with what only the whole block decides (the
// algorithm's key source) filled in, so one line's value can be checked
// on its own.
func (j JWT) checkable() verifier.JWTOptions {
	opts := j.options()
	opts.Algorithm, opts.KeyFile, opts.JWKSFile = verifier.JWTHS256, "", ""
	return opts
}

// SecretHeaders: the bearer token is a credential, kept out of the logs.
func (JWT) SecretHeaders() []string { return []string{"Authorization"} }

// Interface guards
var (
	_ Provider        = JWT{}
	_ ProviderOptions = (*JWT)(nil)
	_ SecretHeaders   = JWT{}
)
