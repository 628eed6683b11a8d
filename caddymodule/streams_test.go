package caddymodule

import (
	"strings"
	"testing"
)

func TestStreamBlocksAdaptToJSON(t *testing.T) {
	got, err := adaptHookgate(t, global("stream orders {", "	partitions 8", "	retention 48h", "}", "stream events {", "	partitions 2", "}"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"streams":{"events":{"partitions":2},"orders":{"partitions":8,"retention":172800000000000}}}`
	if compact(t, string(got)) != compact(t, want) {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestStreamBlockErrorsNameTheLine(t *testing.T) {
	for _, c := range []struct {
		name, want string
		lines      []string
	}{
		{"partitions is a count", `partitions must be an integer >= 1, got "many"`, []string{"stream orders {", "	partitions many", "}"}},
		{"partitions is bounded", "partitions must be at most 1024", []string{"stream orders {", "	partitions 5000", "}"}},
		{"an unknown option", `unknown stream option "shards"`, []string{"stream orders {", "	shards 2", "}"}},
		{"a name that is another's partition", "must not contain braces, '|' or '~'", []string{"stream orders~1 {", "}"}},
		{"a stream once", "stream orders is configured twice", []string{"stream orders {", "}", "stream orders {", "}"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := adaptHookgate(t, global(c.lines...))
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "Caddyfile:") {
				t.Fatalf("error %v, want %q with its line", err, c.want)
			}
		})
	}
}

func TestAPartitionedStreamTakesOnlySignedOrderingKeysAndOneOfThem(t *testing.T) {
	app := func(specs ...string) *App {
		a := &App{Streams: map[string]*StreamConfig{"events": {Partitions: 4}}, Relays: map[string]*RelayConfig{}}
		for i, s := range specs {
			a.Relays[string(rune('a'+i))] = &RelayConfig{OrderBy: s}
		}
		return a
	}
	for _, c := range []struct {
		specs []string
		want  string
	}{
		{[]string{"data.object.customer"}, ""},
		{[]string{"source", "source"}, ""},
		{[]string{"header:X-Shop"}, "must be covered by the signature"},
		{[]string{"tenant"}, "must be covered by the signature"},
		{[]string{"data.object.customer", "data.account"}, "the relays of a partitioned stream share it"},
	} {
		err := app(c.specs...).checkOrdering()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want %q", c.specs, err, c.want)
		}
	}
	unpartitioned := app("header:X-Shop")
	unpartitioned.Streams = nil
	if err := unpartitioned.checkOrdering(); err != nil {
		t.Errorf("one partition takes any key: %v", err)
	}
}
