package verifier

import (
	"cmp"
	"fmt"
	"net/http"
	"strings"
)

// fieldSource is where a generic scheme reads an id, a type or a
// timestamp: a header ("header:<Name>"), a top-level field of the JSON
// body ("json:<field>") or a field of a form body ("form:<field>"). An
// *_from option sets one of the three.
type fieldSource struct {
	header string // canonical header name
	json   string // top-level body field
	form   string // form body field
}

// parseSource reads an *_from option; "" is no source.
func parseSource(option, s string) (fieldSource, error) {
	if s == "" {
		return fieldSource{}, nil
	}
	kind, name, _ := strings.Cut(s, ":")
	switch {
	case kind == "header" && validHeaderName(name):
		return fieldSource{header: http.CanonicalHeaderKey(name)}, nil
	case kind == "json" && name != "" && !strings.Contains(name, "."):
		return fieldSource{json: name}, nil
	case kind == "json" && name != "":
		return fieldSource{}, fmt.Errorf("%s %q: only top-level fields are read (no dotted paths yet)", option, s)
	case kind == "form" && name != "":
		return fieldSource{form: name}, nil
	}
	return fieldSource{}, fmt.Errorf("%s %q: want header:<Name>, json:<top-level field> or form:<field>", option, s)
}

// CheckTimestampSource is CheckSource for timestamp_from, which reads a
// header or a JSON field: a timestamp in a form field is not supported.
func CheckTimestampSource(s string) error {
	_, err := parseSource("timestamp_from", s)
	switch {
	case err != nil && strings.Contains(err.Error(), "only top-level"):
		return err
	case err != nil || strings.HasPrefix(s, "form:"):
		return fmt.Errorf("timestamp_from %q: want header:<Name> or json:<top-level field>", s)
	}
	return nil
}

// Body kinds a generic scheme (hmac, token) may be told to take.
const (
	GenericBodyJSON = "json" // a JSON object, the default
	GenericBodyForm = "form" // application/x-www-form-urlencoded
	GenericBodyAny  = "any"  // any bytes, named by their hash unless a header or the template names them
)

// bodyKind is the Locator body of a generic scheme told body, checked
// against where its fields are read: json: needs a JSON body, form: a
// form body, and a body of any bytes has no fields.
func bodyKind(body string, sources ...fieldSource) (string, error) {
	var kind string
	switch body {
	case "", GenericBodyJSON:
		kind = BodyJSONObject
	case GenericBodyForm:
		kind = BodyForm
	case GenericBodyAny:
		kind = BodyAny
	default:
		return "", fmt.Errorf("body %q: want json, form or any", body)
	}
	for _, s := range sources {
		switch {
		case s.json != "" && kind != BodyJSONObject:
			return "", fmt.Errorf("json:%s reads a JSON body, but the body is %s", s.json, body)
		case s.form != "" && kind != BodyForm:
			return "", fmt.Errorf("form:%s reads a form body, but the body is %s", s.form, cmp.Or(body, GenericBodyJSON))
		}
	}
	return kind, nil
}

// mergeSource applies an *_from option or its older spellings
// (id_header and id_field, and the like), refusing a mix of the two. The
// older pair may both be set, as before: a body id then names the event
// and the header is a label that must agree with it (see Identify).
func mergeSource(option, from, header, field string) (fieldSource, error) {
	if from != "" && (header != "" || field != "") {
		return fieldSource{}, fmt.Errorf("%s: give %s or the older header/field options, not both", option, option)
	}
	if from != "" {
		return parseSource(option, from)
	}
	if header != "" && !validHeaderName(header) {
		return fieldSource{}, fmt.Errorf("%s: %q is not a header name", option, header)
	}
	return fieldSource{header: canonicalOrEmpty(header), json: field}, nil
}

func canonicalOrEmpty(name string) string {
	if name == "" {
		return ""
	}
	return http.CanonicalHeaderKey(name)
}

// validHeaderName accepts RFC 9110 token characters.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// eventLocator is the Locator of a generic scheme, from its id and type
// sources. A header id is a label (kept for audit, never what makes an
// event new) unless the scheme signs it; a header type is read only
// because no body field is named, and cannot re-type a replay since the
// dedupe key leaves it out.
func eventLocator(id, typ fieldSource, idSigned bool) Locator {
	loc := Locator{IDField: id.json + id.form, TypeField: typ.json + typ.form, TypeHeader: typ.header}
	if !idSigned {
		loc.IDHeader = id.header
	}
	return loc
}

// CheckSource reports whether s is a valid *_from value ("header:<Name>",
// "json:<top-level field>" or "form:<field>"), for the Caddyfile adapter
// to name the line.
func CheckSource(option, s string) error {
	if s == "" {
		return fmt.Errorf("%s needs header:<Name>, json:<top-level field> or form:<field>", option)
	}
	_, err := parseSource(option, s)
	return err
}
