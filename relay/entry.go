package relay

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/caddy-hookgate/event"
)

// Stream entry field names. Headers are stored one field each under
// headerField + canonical name, so an entry reads plainly in redis-cli.
const (
	fieldID          = "id"
	fieldSource      = "source"
	fieldTenant      = "tenant"
	fieldType        = "type"
	fieldReceivedAt  = "received_at"
	fieldTraceparent = "traceparent"
	fieldBody        = "body"
	headerField      = "h:"
)

// appendFields adds the stream fields of s to args as field, value pairs and
// returns how many values it added.
func appendFields(args []any, s *event.Stored) ([]any, int) {
	n := len(args)
	args = append(args,
		fieldID, s.ID,
		fieldSource, s.Source,
		fieldTenant, s.Tenant,
		fieldType, s.Type,
		fieldReceivedAt, strconv.FormatInt(s.ReceivedAt.UnixMilli(), 10))
	if s.Traceparent != "" {
		args = append(args, fieldTraceparent, s.Traceparent)
	}
	for name, values := range s.Header {
		if len(values) > 0 {
			args = append(args, headerField+name, values[0])
		}
	}
	args = append(args, fieldBody, s.Body)
	return args, len(args) - n
}

// Decode turns the values of a stream entry back into the stored event.
func Decode(values map[string]any) (event.Stored, error) {
	var s event.Stored
	str := func(k string) string { v, _ := values[k].(string); return v }
	s.ID, s.Source, s.Tenant, s.Type = str(fieldID), str(fieldSource), str(fieldTenant), str(fieldType)
	s.Traceparent = str(fieldTraceparent)
	if s.ID == "" || s.Source == "" {
		return s, fmt.Errorf("stream entry lacks %q or %q", fieldID, fieldSource)
	}
	ms, err := strconv.ParseInt(str(fieldReceivedAt), 10, 64)
	if err != nil {
		return s, fmt.Errorf("stream entry %q: bad %s: %w", s.ID, fieldReceivedAt, err)
	}
	s.ReceivedAt = time.UnixMilli(ms).UTC()
	body, ok := values[fieldBody].(string)
	if !ok {
		return s, fmt.Errorf("stream entry %q has no body", s.ID)
	}
	s.Body = []byte(body)
	for k, v := range values {
		if name, ok := strings.CutPrefix(k, headerField); ok {
			if s.Header == nil {
				s.Header = http.Header{}
			}
			s.Header.Set(name, fmt.Sprint(v))
		}
	}
	return s, nil
}
