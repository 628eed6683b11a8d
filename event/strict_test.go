package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestScanStrict(t *testing.T) {
	many := func(n int, extra string) string {
		var b strings.Builder
		b.WriteString(`{"data":{`)
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"k` + strconv.Itoa(i) + `":1`)
		}
		b.WriteString(extra + `}}`)
		return b.String()
	}
	for _, tc := range []struct {
		name  string
		body  string
		depth int
		err   string
	}{
		{"a plain object passes", `{"id":"evt_1","type":"invoice.paid","data":{"object":{"id":"in_1"}}}`, 64, ""},
		{"a repeated top-level type is refused", `{"type":"invoice.paid","id":"e","type":"customer.deleted"}`, 64, "duplicate object key"},
		{"a repeated nested key is refused", `{"data":{"object":{"customer":"a","customer":"b"}}}`, 64, "duplicate object key"},
		{"a repeat spelled with an escape is refused", `{"type":"a","t\u0079pe":"b"}`, 64, "duplicate object key"},
		{"invalid UTF-8 in a name is refused", "{\"\xff\":1,\"\xfe\":2}", 64, "not I-JSON"},
		{"invalid UTF-8 in a value is refused", "{\"a\":\"\xff\"}", 64, "not I-JSON"},
		{"a lone surrogate escape is refused", `{"a":"\ud800"}`, 64, "not I-JSON"},
		{"a lone low surrogate in a name is refused", `{"\udc00":1}`, 64, "not I-JSON"},
		{"an escaped surrogate pair passes", `{"a":"\ud83d\ude00"}`, 64, ""},
		{"names differing only in case are a repeat", `{"data":{"email":"a","EMAIL":"b"}}`, 64, "duplicate object key"},
		{"names equal under Unicode folding are a repeat", "{\"k\":1,\"\u212a\":2}", 64, "duplicate object key"},
		{"a long ſ folds to s", "{\"is\":1,\"iſ\":2}", 64, "duplicate object key"},
		{"distinct names in any case pass", `{"Id":1,"Type":2,"type_x":3}`, 64, ""},
		{"the same name in sibling objects is fine", `{"a":{"id":1},"b":{"id":2},"c":[{"id":3},{"id":4}]}`, 64, ""},
		{"the same name at two depths is fine", `{"id":1,"data":{"id":2,"data":{"id":3}}}`, 64, ""},
		{"a repeat after a nested object is refused", `{"a":1,"b":{"a":2},"a":3}`, 64, "duplicate object key"},
		{"a large object without repeats passes", many(500, ""), 64, ""},
		{"a large object with one repeat is refused", many(500, `,"k7":2`), 64, "duplicate object key"},
		{"a large object with a repeat spelled with an escape is refused", many(500, `,"k\u0037":2`), 64, "duplicate object key"},
		{"a large object with escaped names and no repeat passes", many(40, `,"k\u0037x":2,"\u006b8x":3`), 64, ""},
		{"16 members with a repeat are refused", many(15, `,"k3":2`), 64, "duplicate object key"},
		{"17 members with a repeat are refused", many(16, `,"k3":2`), 64, "duplicate object key"},
		{"17 members without a repeat pass", many(17, ""), 64, ""},
		{"nesting at the limit passes", strings.Repeat(`{"a":`, 3) + `1` + strings.Repeat(`}`, 3), 3, ""},
		{"nesting past the limit is refused", strings.Repeat(`{"a":`, 4) + `1` + strings.Repeat(`}`, 4), 3, "nesting deeper than 3 levels"},
		{"arrays count toward the depth", `{"a":[[[1]]]}`, 3, "nesting deeper than 3 levels"},
		{"empty containers count toward the depth", `{"a":[[{}]]}`, 3, "nesting deeper than 3 levels"},
		{"an array body is refused", `[{"id":1}]`, 64, "not a JSON object"},
		{"a syntax error is still refused", `{"a":1,}`, 64, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ScanStrict([]byte(tc.body), tc.depth, nil, nil)
			if tc.err == "" && err != nil || tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)) {
				t.Fatalf("ScanStrict = %v, want %q", err, tc.err)
			}
		})
	}
	t.Run("the offset of a repeat is where the second name starts", func(t *testing.T) {
		err := ScanStrict([]byte(`{"a":1,"a":2}`), 64, nil, nil)
		var se *SyntaxError
		if !errors.As(err, &se) || se.Offset != 7 {
			t.Fatalf("err = %v, want offset 7", err)
		}
	})
	t.Run("wanted fields are read as Scan reads them", func(t *testing.T) {
		out := make([]string, 2)
		if err := ScanStrict([]byte(`{"id":"evt_1","type":"a.b"}`), 64, []string{"id", "type"}, out); err != nil || out[0] != "evt_1" || out[1] != "a.b" {
			t.Fatalf("out = %q, %v", out, err)
		}
	})
}

func FuzzScanStrict(f *testing.F) {
	for _, s := range scanSeeds() {
		f.Add(s, uint8(64))
	}
	f.Add([]byte(`{"a":1,"a":2}`), uint8(64))
	f.Add([]byte(`{"a":{"b":1,"b":2}}`), uint8(2))
	f.Add([]byte(`{"a":[{"b":[{}]}]}`), uint8(3))
	f.Add([]byte(`{"\u0061":1,"a":2}`), uint8(8))
	f.Fuzz(func(t *testing.T, body []byte, depth uint8) {
		limit := int(depth%100) + 1
		err := ScanStrict(body, limit, nil, nil)
		want := strictReference(body, limit)
		if (err == nil) != want {
			t.Fatalf("ScanStrict(%.80q, %d) = %v, want valid = %v", body, limit, err, want)
		}
	})
}

// strictReference decides ScanStrict's verdict with encoding/json's tokens:
// a valid object, no repeated decoded name in any object, depth ≤ limit.
func strictReference(body []byte, limit int) bool {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if !json.Valid(body) || len(trimmed) == 0 || trimmed[0] != '{' {
		return false
	}
	if !utf8.Valid(body) || loneSurrogate(body) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	// Numbers as their text: a number past float64's range (1e700) is
	// valid JSON and ScanStrict's verdict; I-JSON only advises against it.
	dec.UseNumber()
	type frame struct {
		object bool
		names  []string
		key    bool // the next string token in this object is a name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return true
		}
		if err != nil {
			return false
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if len(stack) > 0 && stack[len(stack)-1].object {
				stack[len(stack)-1].key = true
			}
			continue
		}
		if top != nil && top.object && top.key {
			name := tok.(string)
			for _, n := range top.names {
				if strings.EqualFold(n, name) {
					return false
				}
			}
			top.names = append(top.names, name)
			top.key = false
			continue
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{object: d == '{', key: d == '{'})
			if len(stack) > limit {
				return false
			}
			continue
		}
		if top != nil && top.object {
			top.key = true
		}
	}
}

// loneSurrogate reports whether a valid JSON document escapes a surrogate
// half that is not part of a high-low pair, walking the bytes itself.
func loneSurrogate(b []byte) bool {
	in := false
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"':
			in = !in
		case in && c == '\\':
			if b[i+1] != 'u' {
				i++
				continue
			}
			v, _ := strconv.ParseUint(string(b[i+2:i+6]), 16, 32)
			i += 5
			switch {
			case v >= 0xdc00 && v <= 0xdfff:
				return true
			case v >= 0xd800 && v <= 0xdbff:
				if i+6 >= len(b) || b[i+1] != '\\' || b[i+2] != 'u' {
					return true
				}
				w, _ := strconv.ParseUint(string(b[i+3:i+7]), 16, 32)
				if w < 0xdc00 || w > 0xdfff {
					return true
				}
				i += 6
			}
		}
	}
	return false
}
