package event

import (
	"bytes"
	"testing"
)

func TestIJSONString(t *testing.T) {
	for _, tc := range []struct {
		name, quoted string
		ok           bool
	}{
		{"ASCII", `"abc"`, true},
		{"UTF-8", `"héllo ✓"`, true},
		{"an escaped pair", `"\ud83d\ude00"`, true},
		{"an escaped BMP rune", `"\u00e9\n\t"`, true},
		{"a lone high surrogate", `"\ud800"`, false},
		{"a lone high surrogate before text", `"\ud800abcdef"`, false},
		{"a high surrogate before another high one", `"\ud800\ud800"`, false},
		{"a lone low surrogate", `"a\udc00b"`, false},
		{"a high surrogate before a plain escape", `"\ud800\n"`, false},
		{"a byte past ASCII that is not UTF-8", "\"\xff\"", false},
		{"a truncated sequence", "\"n\xc3\"", false},
		{"an escaped backslash before u", `"\\ud800"`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := []byte(tc.quoted)
			escaped := bytes.IndexByte(q, '\\') >= 0
			high := bytes.IndexFunc(q, func(r rune) bool { return r >= 0x80 || r == 0xfffd }) >= 0
			if got := ijsonString(q, escaped, high); got != tc.ok {
				t.Fatalf("ijsonString(%q) = %v, want %v", tc.quoted, got, tc.ok)
			}
		})
	}
}

func TestAppendFoldedMatchesEqualFold(t *testing.T) {
	names := []string{"email", "EMAIL", "Email", "e\u212Amail", "ekmail", "straße", "STRASSE", "ſ", "s", "S", "ß", "ẞ", "id", "Id", "İd", "ıd"}
	for _, a := range names {
		for _, b := range names {
			folded := string(appendFolded(nil, a)) == string(appendFolded(nil, b))
			if folded != bytes.EqualFold([]byte(a), []byte(b)) {
				t.Errorf("%q vs %q: folded alike %v, bytes.EqualFold %v", a, b, folded, !folded)
			}
		}
	}
}
