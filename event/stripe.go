package event

import "encoding/json"

// stripeEvent is the part of a Stripe Event object the envelope needs
// (https://docs.stripe.com/api/events/object).
type stripeEvent struct {
	Created int64 `json:"created"`
	Data    struct {
		Object json.RawMessage `json:"object"`
	} `json:"data"`
}

// stripeObject holds the fields that identify who and what across the
// object kinds Stripe events carry (invoice, charge, customer, checkout
// session, subscription, dispute, refund, ...).
type stripeObject struct {
	ID              string                  `json:"id"`
	Object          string                  `json:"object"`
	Customer        stripeCustomer          `json:"customer"`
	Email           string                  `json:"email"`
	CustomerEmail   string                  `json:"customer_email"`
	ReceiptEmail    string                  `json:"receipt_email"`
	BillingDetails  struct{ Email string }  `json:"billing_details"`
	CustomerDetails struct{ Email string }  `json:"customer_details"`
	Reason          string                  `json:"reason"`
	Cancellation    struct{ Reason string } `json:"cancellation_details"`
}

// stripeCustomer accepts "customer" both as an id and as an expanded
// Customer object.
type stripeCustomer struct {
	ID    string
	Email string
}

func (c *stripeCustomer) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '{' {
		var full struct{ ID, Email string }
		if json.Unmarshal(b, &full) == nil {
			c.ID, c.Email = full.ID, full.Email
		}
		return nil
	}
	var id string
	if json.Unmarshal(b, &id) == nil {
		c.ID = id
	}
	return nil
}

// normalizeStripe maps a Stripe Event: occurred_at is "created", the
// subject is data.object, the actor its customer, the action the last part
// of the stored type, and data is data.object itself (the whole body when absent).
// It reads the body in one walk; a body the walk is unsure of is decoded
// by decodeStripe, which maps it alike.
func normalizeStripe(s Stored, e *Envelope) error {
	var m [stripeMembers]span
	plain, err := walkMembers(s.Body, stripeTree, m[:])
	if err != nil {
		return decodeStripe(s, e)
	}
	b := s.Body
	if t, ok := unixTime(intValue(b, m[stCreated])); ok {
		e.OccurredAt = t
	}
	e.Action = actionOf(e.Type)
	if !m[stObject].present() {
		e.setCompactData(b, plain)
		return nil
	}
	e.setCompactData(b[m[stObject].start:m[stObject].end], plain)
	if m[stObject].kind(b) != '{' {
		return nil
	}
	id, object := m[stObjID].str(b), m[stObjObject].str(b)
	if id != "" {
		e.Subject = &Subject{ID: id, Type: object}
	}
	var customer stripeCustomer
	switch m[stCustomer].kind(b) {
	case '"':
		customer.ID = m[stCustomer].str(b)
	case '{':
		// Its UnmarshalJSON keeps nothing of an object it cannot decode.
		if stringOrNull(b, m[stCustomerID]) && stringOrNull(b, m[stCustomerEmail]) {
			customer = stripeCustomer{ID: m[stCustomerID].str(b), Email: m[stCustomerEmail].str(b)}
		}
	}
	actor := Actor{
		ID: customer.ID,
		Email: firstNonEmpty(m[stEmail].str(b), m[stObjCustomerEmail].str(b), m[stReceiptEmail].str(b),
			m[stBillingEmail].str(b), m[stDetailsEmail].str(b), customer.Email),
	}
	if object == "customer" {
		actor.ID = id // the customer is acting on itself
	}
	if actor != (Actor{}) {
		e.Actor = &actor
	}
	if reason := firstNonEmpty(m[stCancelReason].str(b), m[stReason].str(b)); reason != "" && e.Action != nil {
		e.Action.Reason = reason
	}
	return nil
}

// The members normalizeStripe reads, as stripeEvent and stripeObject name
// them.
const (
	stCreated = iota
	stData
	stObject
	stObjID
	stObjObject
	stCustomer
	stCustomerID
	stCustomerEmail
	stEmail
	stObjCustomerEmail
	stReceiptEmail
	stBilling
	stBillingEmail
	stDetails
	stDetailsEmail
	stReason
	stCancel
	stCancelReason
	stripeMembers
)

var stripeTree = newMemberTree([]string{
	stCreated:          "created",
	stData:             "data",
	stObject:           "data.object",
	stObjID:            "data.object.id",
	stObjObject:        "data.object.object",
	stCustomer:         "data.object.customer",
	stCustomerID:       "data.object.customer.id",
	stCustomerEmail:    "data.object.customer.email",
	stEmail:            "data.object.email",
	stObjCustomerEmail: "data.object.customer_email",
	stReceiptEmail:     "data.object.receipt_email",
	stBilling:          "data.object.billing_details",
	stBillingEmail:     "data.object.billing_details.email",
	stDetails:          "data.object.customer_details",
	stDetailsEmail:     "data.object.customer_details.email",
	stReason:           "data.object.reason",
	stCancel:           "data.object.cancellation_details",
	stCancelReason:     "data.object.cancellation_details.reason",
}...)

// decodeStripe is normalizeStripe through encoding/json.
func decodeStripe(s Stored, e *Envelope) error {
	var ev stripeEvent
	if err := decodeObject(s.Body, &ev); err != nil {
		return err
	}
	if t, ok := unixTime(ev.Created); ok {
		e.OccurredAt = t
	}
	e.Action = actionOf(e.Type)
	obj := ev.Data.Object
	e.Data = dataOf(obj, s.Body)
	var o stripeObject
	if ok, err := decodeInner(obj, &o); !ok || err != nil {
		return err
	}
	if o.ID != "" {
		e.Subject = &Subject{ID: o.ID, Type: o.Object}
	}
	actor := Actor{
		ID: o.Customer.ID,
		Email: firstNonEmpty(o.Email, o.CustomerEmail, o.ReceiptEmail,
			o.BillingDetails.Email, o.CustomerDetails.Email, o.Customer.Email),
	}
	if o.Object == "customer" {
		actor.ID = o.ID // the customer is acting on itself
	}
	if actor != (Actor{}) {
		e.Actor = &actor
	}
	if reason := firstNonEmpty(o.Cancellation.Reason, o.Reason); reason != "" && e.Action != nil {
		e.Action.Reason = reason
	}
	return nil
}
