package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestScan(t *testing.T) {
	keys := []string{"id", "type", "created"}
	tests := []struct {
		name    string
		body    string
		want    []string // out for keys; nil means an error is expected
		wantErr error    // when set, errors.Is must hold
	}{
		{"fields of a flat object are extracted", `{"id":"evt_1","type":"invoice.paid","created":1700000000}`, []string{"evt_1", "invoice.paid", "1700000000"}, nil},
		{"surrounding whitespace is allowed", " \t\r\n{\"id\":\"a\"} \n", []string{"a", "", ""}, nil},
		{"empty object has no fields", `{}`, []string{"", "", ""}, nil},
		{"whitespace inside an empty object is allowed", "{ \n }", []string{"", "", ""}, nil},
		{"missing keys stay empty", `{"other":"x"}`, []string{"", "", ""}, nil},
		{"numbers keep their literal text", `{"id":820982911946154508,"created":-1.5e+10}`, []string{"820982911946154508", "", "-1.5e+10"}, nil},
		{"object and array values are not extracted", `{"id":{"id":"inner"},"type":["x"]}`, []string{"", "", ""}, nil},
		{"true false and null are not extracted", `{"id":true,"type":null,"created":false}`, []string{"", "", ""}, nil},
		{"nested keys of the same name are not matched", `{"data":{"object":{"id":"in_1","type":"invoice"}},"id":"evt_2"}`, []string{"evt_2", "", ""}, nil},
		{"nested keys in arrays are not matched", `{"list":[{"id":"x"},{"type":"y"}],"type":"z"}`, []string{"", "z", ""}, nil},
		{"the first of duplicate keys wins", `{"id":"first","id":"second"}`, []string{"first", "", ""}, nil},
		{"a non-string first duplicate still wins", `{"id":{},"id":"second"}`, []string{"", "", ""}, nil},
		{"string escapes are decoded", `{"id":"a\"b\\c\/d\n\u00e9\ud83d\ude00"}`, []string{"a\"b\\c/d\né😀", "", ""}, nil},
		{"escaped key names are matched after decoding", `{"\u0069d":"x"}`, []string{"x", "", ""}, nil},
		{"utf-8 values pass through", `{"type":"café"}`, []string{"", "café", ""}, nil},
		{"invalid utf-8 is replaced like encoding/json", "{\"id\":\"a\xffb\"}", []string{"a\ufffdb", "", ""}, nil},
		{"lone surrogate is replaced like encoding/json", `{"id":"\ud800"}`, []string{"\ufffd", "", ""}, nil},
		{"empty string value is extracted as empty", `{"id":"","type":"t"}`, []string{"", "t", ""}, nil},

		{"an array is not an object", `[{"id":"x"}]`, nil, ErrNotObject},
		{"a string is not an object", `"id"`, nil, ErrNotObject},
		{"a number is not an object", `42`, nil, ErrNotObject},
		{"empty body is rejected", ``, nil, nil},
		{"whitespace-only body is rejected", "  \n", nil, nil},
		{"trailing garbage is rejected", `{"id":"x"}x`, nil, nil},
		{"a second object is rejected", `{"id":"x"}{}`, nil, nil},
		{"truncated object is rejected", `{"id":"x"`, nil, nil},
		{"truncated string is rejected", `{"id":"x`, nil, nil},
		{"missing colon is rejected", `{"id" "x"}`, nil, nil},
		{"trailing comma is rejected", `{"id":"x",}`, nil, nil},
		{"unquoted key is rejected", `{id:"x"}`, nil, nil},
		{"single quotes are rejected", `{'id':'x'}`, nil, nil},
		{"leading zero is rejected", `{"id":01}`, nil, nil},
		{"bare decimal point is rejected", `{"id":1.}`, nil, nil},
		{"empty exponent is rejected", `{"id":1e}`, nil, nil},
		{"plus sign is rejected", `{"id":+1}`, nil, nil},
		{"bad escape is rejected", `{"id":"\x"}`, nil, nil},
		{"short unicode escape is rejected", `{"id":"\u12"}`, nil, nil},
		{"raw control character in a string is rejected", "{\"id\":\"a\tb\"}", nil, nil},
		{"misspelled literal is rejected", `{"id":tru}`, nil, nil},
		{"mismatched bracket is rejected", `{"a":[1}`, nil, nil},
		{"mismatched brace is rejected", `{"a":{"b":1]}`, nil, nil},
		{"a byte order mark is not an object", "\ufeff{}", nil, ErrNotObject},
		{"nesting at the limit is accepted", `{"a":` + strings.Repeat("[", maxDepth-1) + strings.Repeat("]", maxDepth-1) + `,"id":"deep"}`, []string{"deep", "", ""}, nil},
		{"nesting past the limit is rejected", `{"a":` + strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth) + `}`, nil, nil},
		{"a million open brackets is rejected without recursion", `{"a":` + strings.Repeat("[", 1_000_000), nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := []string{"stale", "stale", "stale"}
			err := Scan([]byte(tt.body), keys, out)
			if tt.want == nil {
				if err == nil {
					t.Fatalf("Scan accepted %.60q", tt.body)
				}
				if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var se *SyntaxError
				if tt.wantErr == nil && !errors.As(err, &se) {
					t.Fatalf("err = %T %v, want *SyntaxError", err, err)
				}
				if !slices.Equal(out, []string{"", "", ""}) {
					t.Fatalf("out after error = %q, want all empty", out)
				}
				return
			}
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if !slices.Equal(out, tt.want) {
				t.Fatalf("out = %q, want %q", out, tt.want)
			}
		})
	}
}

func TestScanVerdictMatchesJSONValid(t *testing.T) {
	for _, body := range scanSeeds() {
		checkScan(t, body)
	}
}

func TestScanSyntaxErrorOffset(t *testing.T) {
	err := Scan([]byte(`{"id":"x",}`), nil, nil)
	var se *SyntaxError
	if !errors.As(err, &se) || se.Offset != 10 {
		t.Fatalf("err = %v, want *SyntaxError at offset 10", err)
	}
	if !strings.Contains(se.Error(), "byte 10") {
		t.Fatalf("message %q does not name the offset", se.Error())
	}
}

func TestScanErrorDoesNotEchoControlBytes(t *testing.T) {
	err := Scan([]byte("{\"id\":\"\x1b[31m\"}"), nil, nil)
	if err == nil || strings.ContainsRune(err.Error(), 0x1b) {
		t.Fatalf("err = %q, want an error without the raw escape byte", err)
	}
}

func TestScanDoesNotAllocateWithoutMatches(t *testing.T) {
	body := readTestdata(t, "stripe_invoice_paid.json")
	keys := []string{"not_there"}
	out := make([]string, 1)
	allocs := testing.AllocsPerRun(100, func() {
		if err := Scan(body, keys, out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("allocs = %v, want 0", allocs)
	}
}

func TestScanAllocatesOncePerFoundField(t *testing.T) {
	body := readTestdata(t, "stripe_invoice_paid.json")
	keys := []string{"id", "type"}
	out := make([]string, 2)
	allocs := testing.AllocsPerRun(100, func() {
		if err := Scan(body, keys, out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 2 {
		t.Fatalf("allocs = %v, want 2", allocs)
	}
	if out[0] != "evt_1PqZ3LJ2eZvKYlo2C8R0xY7a" || out[1] != "invoice.paid" {
		t.Fatalf("out = %q", out)
	}
}

func FuzzScan(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		checkScan(t, body)
	})
}

// checkScan holds Scan to encoding/json: the same verdict as json.Valid for
// objects, and the same decoded values, taking the first of duplicate keys.
func checkScan(t *testing.T, body []byte) {
	t.Helper()
	first, order, members := firstMembers(body)
	keys := append([]string{"id", "type"}, order...)
	keys = uniq(keys)
	keys = keys[:min(len(keys), maxScanKeys)]
	out := make([]string, len(keys))
	err := Scan(body, keys, out)

	trimmed := bytes.TrimLeft(body, " \t\r\n")
	valid := json.Valid(body) && len(trimmed) > 0 && trimmed[0] == '{'
	if (err == nil) != valid {
		t.Fatalf("Scan(%.80q) err = %v, want valid = %v", body, err, valid)
	}
	if !valid {
		return
	}
	for i, k := range keys {
		if want := scalarText(first[k]); out[i] != want {
			t.Fatalf("Scan(%.80q) key %q = %q, want %q", body, k, out[i], want)
		}
	}
	// Where no key repeats, first-wins and encoding/json's last-wins agree,
	// so the plain map decoding must give the same answer.
	var m map[string]json.RawMessage
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("json.Unmarshal of a valid object: %v", err)
	}
	if members == len(order) {
		for i, k := range keys {
			if want := scalarText(m[k]); out[i] != want {
				t.Fatalf("Scan(%.80q) key %q = %q, map decoding gives %q", body, k, out[i], want)
			}
		}
	}
}

// firstMembers decodes the top-level members of a valid object keeping the
// first value of each key, the keys in order of first appearance, and the
// number of members counting repeats.
func firstMembers(body []byte) (first map[string]json.RawMessage, order []string, members int) {
	if !json.Valid(body) {
		return nil, nil, 0
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, nil, 0
	}
	first = map[string]json.RawMessage{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, nil, 0
		}
		k := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, nil, 0
		}
		members++
		if _, dup := first[k]; !dup {
			first[k] = v
			order = append(order, k)
		}
	}
	if _, err := dec.Token(); err != nil && err != io.EOF {
		return nil, nil, 0
	}
	return first, order, members
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func scalarText(v json.RawMessage) string {
	if len(v) == 0 {
		return ""
	}
	switch c := v[0]; {
	case c == '"':
		var s string
		_ = json.Unmarshal(v, &s)
		return s
	case c == '-' || c >= '0' && c <= '9':
		return string(v)
	}
	return ""
}

func uniq(keys []string) []string {
	seen := map[string]bool{}
	var u []string
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			u = append(u, k)
		}
	}
	return u
}

func scanSeeds() [][]byte {
	seeds := []string{
		`{}`, ` {} `, `[]`, `"x"`, `1`, `null`, ``, `{`, `}`, `{"a"}`, `{"a":}`, `{,}`,
		`{"id":"evt_1","type":"invoice.paid"}`,
		`{"id":820982911946154508,"email":"jon@example.com"}`,
		`{"id":-0.0e+1,"type":1E-2}`,
		`{"id":"a","id":"b"}`,
		`{"id":[],"id":"b"}`,
		`{"\u0069d":"\ud83d\ude00","type":"\ud800"}`,
		"{\"id\":\"\xff\xfe\"}",
		"{\"\xffid\":\"x\",\"\xfeid\":\"y\"}",
		`{"a":{"id":"nested"},"b":[{"type":"x"}],"id":"top"}`,
		`{"a":[1,2,[3,{"b":null}],true,false]}`,
		`{"a":1}x`, `{"a":1} {}`, `{"a":01}`, `{"a":1.}`, `{"a":"\u00zz"}`,
		"{\"a\":\"\x01\"}",
		`{"a":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
		`{"event":"post.published","post_id":7}`,
		`{"action":"opened","number":1}`,
		`{"type":"user.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"u1"}}`,
	}
	out := make([][]byte, len(seeds))
	for i, s := range seeds {
		out[i] = []byte(s)
	}
	return out
}
