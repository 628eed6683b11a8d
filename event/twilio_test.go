package event

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Twilio's form posts, with the fields its docs list (messaging webhook
// request, status callbacks, voice request parameters, recording
// status callbacks).
const (
	twilioIncomingSMS = "ToCountry=US&ToState=CA&SmsMessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&NumMedia=0&ToCity=SAN+FRANCISCO" +
		"&FromZip=94105&SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f&FromState=CA&SmsStatus=received&FromCity=SAN+FRANCISCO" +
		"&Body=Hello%2C+world%21&FromCountry=US&To=%2B15557654321&ToZip=94105&NumSegments=1&MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f" +
		"&AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&From=%2B15551234567&ApiVersion=2010-04-01"
	twilioUndelivered = "ErrorCode=30003&SmsSid=SM3e5c9b8d2f1a4c6e8b0d2f4a6c8e0b1d&SmsStatus=undelivered&MessageStatus=undelivered" +
		"&To=%2B15557654321&MessageSid=SM3e5c9b8d2f1a4c6e8b0d2f4a6c8e0b1d&AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&From=%2B15551234567&ApiVersion=2010-04-01"
	twilioCallCompleted = "Called=%2B15557654321&CallStatus=completed&Duration=1&From=%2B15551234567&CallDuration=42&Direction=inbound" +
		"&Timestamp=Tue%2C+04+Jul+2023+12%3A34%3A56+%2B0000&AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&CallbackSource=call-progress-events" +
		"&To=%2B15557654321&CallSid=CA0123456789abcdef0123456789abcdef&SequenceNumber=0&ApiVersion=2010-04-01"
	twilioRecording = "AccountSid=ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&CallSid=CA0123456789abcdef0123456789abcdef&RecordingSid=RE0123456789abcdef0123456789abcdef" +
		"&RecordingUrl=https%3A%2F%2Fapi.twilio.com%2F2010-04-01%2FAccounts%2FAC%2FRecordings%2FRE&RecordingStatus=completed&RecordingDuration=42" +
		"&RecordingChannels=1&RecordingStartTime=Tue%2C+04+Jul+2023+12%3A34%3A14+%2B0000&RecordingSource=RecordVerb"
)

func formJSONOf(t *testing.T, body string) json.RawMessage {
	t.Helper()
	data, err := FormData([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestNormalizeTwilio(t *testing.T) {
	runNormalizeCases(t, []normalizeCase{
		{
			name:   "an incoming message: the message is the subject, From the actor, data the form as an object",
			stored: storedEvent("twilio", "", twilioIncomingSMS),
			want: Envelope{
				Actor:   &Actor{ID: "+15551234567"},
				Subject: &Subject{ID: "SM1f0e8ae6ade43cb3c0ce4525424e404f", Type: "message"},
				Action:  &Action{Type: "received"},
				Data:    formJSONOf(t, twilioIncomingSMS),
			},
		},
		{
			name:   "an undelivered status callback carries its ErrorCode as the reason",
			stored: storedEvent("twilio", "undelivered", twilioUndelivered),
			want: Envelope{
				Type:    "undelivered",
				Actor:   &Actor{ID: "+15551234567"},
				Subject: &Subject{ID: "SM3e5c9b8d2f1a4c6e8b0d2f4a6c8e0b1d", Type: "message"},
				Action:  &Action{Type: "undelivered", Reason: "30003"},
				Data:    formJSONOf(t, twilioUndelivered),
			},
		},
		{
			name:   "a call status callback: the call, its CallStatus, occurred_at its Timestamp",
			stored: storedEvent("twilio", "completed", twilioCallCompleted),
			want: Envelope{
				Type:       "completed",
				OccurredAt: time.Date(2023, 7, 4, 12, 34, 56, 0, time.UTC),
				Actor:      &Actor{ID: "+15551234567"},
				Subject:    &Subject{ID: "CA0123456789abcdef0123456789abcdef", Type: "call"},
				Action:     &Action{Type: "completed"},
				Data:       formJSONOf(t, twilioCallCompleted),
			},
		},
		{
			name:   "a recording status callback is about the recording, not its call",
			stored: storedEvent("twilio", "", twilioRecording),
			want: Envelope{
				Subject: &Subject{ID: "RE0123456789abcdef0123456789abcdef", Type: "recording"},
				Action:  &Action{Type: "completed"},
				Data:    formJSONOf(t, twilioRecording),
			},
		},
		{
			name:   "a JSON body (body json, the bodySHA256 variant) is data as it is, read by the same names",
			stored: storedEvent("twilio", "", `{"CallSid":"CA1234567890ABCDE","Caller":"+12349013030","From":"+12349013030","CallStatus":"ringing"}`),
			want: Envelope{
				Actor:   &Actor{ID: "+12349013030"},
				Subject: &Subject{ID: "CA1234567890ABCDE", Type: "call"},
				Action:  &Action{Type: "ringing"},
			},
		},
	})
}

func TestFormData(t *testing.T) {
	cases := []struct{ name, body, want string }{
		{"each name maps to its value", "b=2&a=1", `{"a":"1","b":"2"}`},
		{"a repeated name maps to its values in the order sent", "a=2&b=x&a=1", `{"a":["2","1"],"b":"x"}`},
		{"escapes and + are decoded", "Body=Hello%2C+world%21&To=%2B1", `{"Body":"Hello, world!","To":"+1"}`},
		{"a name without = has an empty value", "a&b=", `{"a":"","b":""}`},
		{"an empty body is an empty object", "", `{}`},
		{"invalid UTF-8 still gives valid JSON", "a=%FF", `{"a":"\ufffd"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FormData([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []string{"a=%zz", "a=1;b=2", strings.Repeat("a&", 1000)} {
		if _, err := FormData([]byte(bad)); err == nil {
			t.Errorf("%.20q accepted", bad)
		}
	}
}

func TestNormalizeTwilioRejectsWhatIngestWouldNotStore(t *testing.T) {
	for name, body := range map[string]string{
		"a bad escape":   "MessageSid=%zz",
		"a ';'":          "MessageSid=SM1;From=x",
		"truncated JSON": `{"CallSid":"CA1"`,
		"trailing bytes": `{"CallSid":"CA1"} x`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Normalize(storedEvent("twilio", "", body)); err == nil || !strings.Contains(err.Error(), "evt-under-test") {
				t.Fatalf("err = %v, want a refusal naming the event", err)
			}
		})
	}
}
