package event

import (
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"
)

// formSources are the sources whose bodies are forms (a JSON object
// only on a route set to take JSON): their normalizers read what ingest
// stored from a form post, not only JSON objects.
var formSources = map[string]bool{"twilio": true}

// maxFormFields is ingest's bound on a form body's fields: a body it
// stored never has more.
const maxFormFields = 1000

// FormData is an application/x-www-form-urlencoded body as the
// envelope's data: a JSON object from each field name to its value, or,
// for a name sent more than once, to the list of its values in the order
// sent ("a=1&b=2&b=3" is {"a":"1","b":["2","3"]}). A name that may
// repeat (Twilio's MediaUrl0… do not; a multi-select might) is read as
// either. The form is read as ingest reads it: a bad escape, a ';' or
// more than 1000 fields is an error.
func FormData(body []byte) (json.RawMessage, error) {
	values, err := parseStrictForm(body)
	if err != nil {
		return nil, err
	}
	return formJSON(values)
}

// formJSON is FormData of a parsed form.
func formJSON(values url.Values) (json.RawMessage, error) {
	obj := make(map[string]any, len(values))
	for name, vs := range values {
		if len(vs) == 1 {
			obj[name] = vs[0]
		} else {
			obj[name] = vs
		}
	}
	// Keys come out sorted; strings are escaped as JSON needs, and
	// invalid UTF-8 becomes U+FFFD, so data is always valid JSON.
	return json.Marshal(obj)
}

// parseStrictForm is url.ParseQuery with ingest's limits.
func parseStrictForm(body []byte) (url.Values, error) {
	if strings.Count(string(body), "&") >= maxFormFields {
		return nil, errors.New("form body has more than " + strconv.Itoa(maxFormFields) + " fields")
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, errors.New("malformed form body")
	}
	return values, nil
}
