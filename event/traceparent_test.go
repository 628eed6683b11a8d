package event

import (
	"strings"
	"testing"
)

func TestTraceparent(t *testing.T) {
	const valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	for _, tc := range []struct {
		name, in string
		kept     bool
	}{
		{"a valid version 00 value is kept", valid, true},
		{"a later version with an extra field is kept", "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-xyz", true},
		{"empty is dropped", "", false},
		{"version ff is dropped", "ff" + valid[2:], false},
		{"version 00 with extra bytes is dropped", valid + "-00", false},
		{"uppercase hex is dropped", strings.ToUpper(valid), false},
		{"an all-zero trace id is dropped", "00-00000000000000000000000000000000-b7ad6b7169203331-01", false},
		{"an all-zero parent id is dropped", "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01", false},
		{"a missing dash is dropped", strings.Replace(valid, "-", "_", 1), false},
		{"a short value is dropped", valid[:54], false},
		{"3000 bytes are dropped", "01" + valid[2:] + "-" + strings.Repeat("a", 3000), false},
		{"a control byte after the fields is dropped", "01" + valid[2:] + "-a\nb", false},
		{"a CRLF header injection is dropped", valid[:54] + "\r\nX-Evil: 1", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := Traceparent(tc.in)
			if tc.kept && got != tc.in || !tc.kept && got != "" {
				t.Fatalf("Traceparent(%q) = %q", tc.in, got)
			}
		})
	}
}

func FuzzTraceparent(f *testing.F) {
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
	f.Add("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra")
	f.Add("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\nX: y")
	f.Fuzz(func(t *testing.T, in string) {
		got := Traceparent(in)
		if got == "" {
			return
		}
		if got != in || len(got) > 256 {
			t.Fatalf("Traceparent(%q) = %q", in, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] < 0x21 || got[i] > 0x7e {
				t.Fatalf("kept byte %#x in %q", got[i], got)
			}
		}
	})
}
