package caddymodule

import "sync"

// signerStreams records, for one loaded config, the stream each signer's
// dedupe scope stores into. Dedupe keys live beside their stream (one
// Redis Cluster slot, one atomic step), so one signer on two streams would
// have its same signed event accepted once per stream.
type signerStreams struct {
	mu      sync.Mutex
	byScope map[string]string
}

// claim records that scope of source stores into stream, and reports the
// other stream it already stores into, if any.
func (s *signerStreams) claim(source, scope, stream string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byScope == nil {
		s.byScope = map[string]string{}
	}
	key := source + "\x00" + scope
	if other, ok := s.byScope[key]; ok && other != stream {
		return other, false
	}
	s.byScope[key] = stream
	return "", true
}
