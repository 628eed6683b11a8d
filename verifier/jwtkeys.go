// The keys a JWT route verifies with: its secrets (HS256), or a PEM key
// file or a JSON Web Key Set file, re-read when it changes. The check is
// a stat, at most once a second, made by the request that finds it due
// (the others go on with the keys they have): no goroutine, nothing to
// stop. A file that cannot be read or parsed leaves the keys it had in
// place, and is tried again at the next check; once a rewritten file
// parses, the keys it no longer holds are refused. Write the file by
// renaming a complete one into place, so that a reader never sees half.

package verifier

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// keyRecheck is how often a key file is looked at.
const keyRecheck = time.Second

// minRSABits refuses keys too short to trust.
const minRSABits = 2048

var errUnknownKey = errors.New("no key with that kid")

// jwtKeys hands golang-jwt the key(s) a token may be verified with.
type jwtKeys interface {
	keyfunc(t *jwt.Token) (any, error)
}

// hmacKeySet holds HS256 secrets; several are a rotation.
type hmacKeySet struct{ set jwt.VerificationKeySet }

func hmacKeys(secrets []string) jwtKeys {
	ks := &hmacKeySet{}
	for _, s := range secrets {
		ks.set.Keys = append(ks.set.Keys, []byte(s))
	}
	return ks
}

func (k *hmacKeySet) keyfunc(*jwt.Token) (any, error) { return k.set, nil }

// keySet is one reading of a key file.
type keySet struct {
	all   jwt.VerificationKeySet
	byKID map[string]jwt.VerificationKey // JWKS only
}

// keyFile is a key_file or jwks_file.
type keyFile struct {
	path string
	alg  string
	jwks bool
	now  func() time.Time

	set     atomic.Pointer[keySet]
	checked atomic.Int64 // unix ns of the last look
	mu      sync.Mutex   // held by the request looking
	info    os.FileInfo  // what was last read; under mu
}

// newKeyFile reads the file now: a route whose keys cannot be read does
// not start.
func newKeyFile(path, alg string, jwks bool, now func() time.Time) (*keyFile, error) {
	k := &keyFile{path: path, alg: alg, jwks: jwks, now: now}
	info, set, err := k.read()
	if err != nil {
		return nil, err
	}
	k.info = info
	k.set.Store(set)
	k.checked.Store(now().UnixNano())
	return k, nil
}

// keyfunc picks by kid in a JWKS (a kid the set lacks is refused); a
// token without kid, or a PEM file, may be verified by any key.
func (k *keyFile) keyfunc(t *jwt.Token) (any, error) {
	set := k.current()
	if k.jwks {
		if raw, ok := t.Header["kid"]; ok {
			kid, isString := raw.(string)
			key, found := set.byKID[kid]
			if !isString || !found {
				return nil, errUnknownKey
			}
			return key, nil
		}
	}
	return set.all, nil
}

// current returns the keys, first re-reading the file when it is due
// and changed.
func (k *keyFile) current() *keySet {
	now := k.now()
	if now.Sub(time.Unix(0, k.checked.Load())) >= keyRecheck && k.mu.TryLock() {
		defer k.mu.Unlock()
		k.checked.Store(now.UnixNano())
		k.reload()
	}
	return k.set.Load()
}

// reload reads the file again if it changed; under mu.
func (k *keyFile) reload() {
	info, err := os.Stat(k.path)
	if err != nil || (os.SameFile(info, k.info) && info.ModTime().Equal(k.info.ModTime()) && info.Size() == k.info.Size()) {
		return
	}
	info, set, err := k.read()
	if err != nil {
		return // the keys in place stay; tried again at the next look
	}
	k.info = info
	k.set.Store(set)
}

func (k *keyFile) read() (os.FileInfo, *keySet, error) {
	f, err := os.Open(k.path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if info.Size() > 1<<20 {
		return nil, nil, fmt.Errorf("%s: larger than 1 MiB", k.path)
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		return nil, nil, err
	}
	var set *keySet
	if k.jwks {
		set, err = parseJWKS(buf.Bytes(), k.alg)
	} else {
		set, err = parsePEMKeys(buf.Bytes(), k.alg)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", k.path, err)
	}
	return info, set, nil
}

// parsePEMKeys reads PUBLIC KEY, RSA PUBLIC KEY and CERTIFICATE blocks;
// every one must be a key of alg. A private key is refused: the gateway
// only verifies.
func parsePEMKeys(data []byte, alg string) (*keySet, error) {
	set := &keySet{}
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		var pub any
		var err error
		switch block.Type {
		case "PUBLIC KEY":
			pub, err = x509.ParsePKIXPublicKey(block.Bytes)
		case "RSA PUBLIC KEY":
			pub, err = x509.ParsePKCS1PublicKey(block.Bytes)
		case "CERTIFICATE":
			var c *x509.Certificate
			if c, err = x509.ParseCertificate(block.Bytes); err == nil {
				pub = c.PublicKey
			}
		default:
			return nil, fmt.Errorf("a %s block: want PUBLIC KEY or CERTIFICATE blocks (never a private key)", block.Type)
		}
		if err != nil {
			return nil, fmt.Errorf("a %s block does not parse", block.Type)
		}
		key, err := algorithmKey(pub, alg)
		if err != nil {
			return nil, err
		}
		set.all.Keys = append(set.all.Keys, key)
	}
	if len(set.all.Keys) == 0 {
		return nil, errors.New("no PEM public key in it")
	}
	return set, nil
}

// parseJWKS reads a JSON Web Key Set with go-jose. Keys for another use
// (enc) or another alg are left out; a private or symmetric key is
// refused, and so is a kid given twice.
func parseJWKS(data []byte, alg string) (*keySet, error) {
	var jwks jose.JSONWebKeySet
	if err := json.Unmarshal(data, &jwks); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %w", err)
	}
	set := &keySet{byKID: map[string]jwt.VerificationKey{}}
	for i, jwk := range jwks.Keys {
		if !jwk.IsPublic() {
			return nil, fmt.Errorf("key %d is private or symmetric: a key set for verifying holds public keys only", i+1)
		}
		if (jwk.Use != "" && jwk.Use != "sig") || (jwk.Algorithm != "" && jwk.Algorithm != alg) {
			continue
		}
		key, err := algorithmKey(jwk.Key, alg)
		if err != nil {
			continue // another kind of key, for another route
		}
		if jwk.KeyID != "" {
			if _, dup := set.byKID[jwk.KeyID]; dup {
				return nil, fmt.Errorf("kid %q appears twice", jwk.KeyID)
			}
			set.byKID[jwk.KeyID] = key
		}
		set.all.Keys = append(set.all.Keys, key)
	}
	if len(set.all.Keys) == 0 {
		return nil, fmt.Errorf("no %s signing key in it", alg)
	}
	return set, nil
}

// algorithmKey returns pub as the key type golang-jwt verifies alg with,
// or an error when it is another kind of key: an RSA key never verifies
// an ES256 token, and no public key is ever an HS256 secret.
func algorithmKey(pub any, alg string) (jwt.VerificationKey, error) {
	switch alg {
	case JWTRS256:
		if k, ok := pub.(*rsa.PublicKey); ok {
			if k.N.BitLen() < minRSABits {
				return nil, fmt.Errorf("an RSA key of %d bits: at least %d are required", k.N.BitLen(), minRSABits)
			}
			return k, nil
		}
	case JWTES256:
		if k, ok := pub.(*ecdsa.PublicKey); ok && k.Curve == elliptic.P256() {
			return k, nil
		}
	case JWTEdDSA:
		if k, ok := pub.(ed25519.PublicKey); ok {
			return k, nil
		}
	}
	return nil, fmt.Errorf("a %T is not a %s public key", pub, alg)
}
