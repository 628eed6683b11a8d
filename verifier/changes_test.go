package verifier

import "testing"

// signedParts is one accepted request of a scheme that signs a body, a
// timestamp and a signature, and how to verify a variant of it.
type signedParts struct {
	body, ts, sig string
	verify        func(body, ts, sig string) error
}

// checkOneByteChanges fails unless p verifies as it is and every one-byte
// change of its body, timestamp or signature is refused.
func checkOneByteChanges(t *testing.T, p signedParts) {
	t.Helper()
	checkErr(t, p.verify(p.body, p.ts, p.sig), nil)
	for _, tc := range []struct {
		name, original string
		verify         func(string) error
	}{
		{"any change of the body is rejected", p.body, func(s string) error { return p.verify(s, p.ts, p.sig) }},
		{"any change of the timestamp is rejected", p.ts, func(s string) error { return p.verify(p.body, s, p.sig) }},
		{"any change of the signature is rejected", p.sig, func(s string) error { return p.verify(p.body, p.ts, s) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, changed := range oneByteChanges(tc.original) {
				if tc.verify(changed) == nil {
					t.Fatalf("accepted %q", changed)
				}
			}
		})
	}
}
