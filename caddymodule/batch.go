package caddymodule

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/relay"
	"github.com/hookgate/caddy-hookgate/verifier"
)

// ingestBatch answers a request whose body is a JSON array of events
// (HubSpot, SendGrid): each element becomes its own entry, deduped by its
// own id, all in one script call. 202 when any element was new, 200 when
// every one was a duplicate. body is given back to the pool here.
func (h *Handler) ingestBatch(w http.ResponseWriter, r *http.Request, body []byte, bufp *[]byte) ingested {
	events, dedupe, reply, code, msg := h.checkBatch(r, body)
	if reply != nil {
		putBody(bufp, body)
		return h.handshake(w, reply)
	}
	if code != 0 {
		res := h.rejectBody(w, r, code, msg, body)
		putBody(bufp, body)
		return res
	}
	res := ingested{id: events[0].ID, tenant: events[0].Tenant, typ: events[0].Type}
	if h.LogPayloads > 0 && h.logger.Core().Enabled(zap.DebugLevel) {
		res.payload = payload(body, h.LogPayloads)
	}
	ctx, cancel := context.WithTimeout(r.Context(), time.Duration(h.app.Timeout))
	defer cancel()
	outcomes, err := h.appendBatch(ctx, events, dedupe)
	if err != nil {
		// As for one event: the body may still be read, so it is not reused.
		h.logger.Error("batch may not be stored; asking the provider to retry",
			zap.String("source", h.source), zap.String("tenant", res.tenant), zap.Int("events", len(events)),
			zap.String("outcome", outcomeUnavailable.String()), zap.String("request_id", requestID(r)), zap.Error(err))
		w.Header().Set("Retry-After", retryAfter)
		res.outcome, res.status = outcomeUnavailable, http.StatusServiceUnavailable
		res.err = replyError(w, http.StatusServiceUnavailable, "event store unavailable, retry later")
		return res
	}
	if outcomes[0] == relay.Replayed {
		res := h.rejectBody(w, r, http.StatusUnauthorized, errReplayed, body)
		putBody(bufp, body)
		return res
	}
	putBody(bufp, body)
	accepted := 0
	for _, o := range outcomes {
		if o == relay.Accepted {
			accepted++
		}
	}
	res.outcome, res.status = outcomeAccepted, http.StatusAccepted
	if accepted == 0 {
		res.outcome, res.status = outcomeDuplicate, http.StatusOK
	}
	res.err = replyBatch(w, res.status, res.outcome.String(), accepted, len(events)-accepted)
	return res
}

// appendBatch stores a batch: in one script call, or on a partitioned
// stream one per partition its elements go to, since one call touches one
// slot and each element's dedupe keys live in its own partition. A batch
// with a one-time value goes whole to that value's partition.
func (h *Handler) appendBatch(ctx context.Context, events []event.Stored, dedupe []relay.Dedupe) ([]relay.Outcome, error) {
	ttl := time.Duration(h.DedupeTTL)
	if h.layout.N() == 1 || dedupe[0].Replay != "" {
		keys, err := h.place(ctx, &events[0], &dedupe[0])
		if err != nil {
			return nil, err
		}
		for i := 1; i < len(events); i++ {
			if dedupe[0].Replay == "" {
				// One partition: each element is its own under the other
				// layouts, which place it by its own key.
				if _, err := h.place(ctx, &events[i], &dedupe[i]); err != nil {
					return nil, err
				}
				continue
			}
			if err := h.placeIn(ctx, keys, dedupe[0].Replay, &events[i], &dedupe[i]); err != nil {
				return nil, err
			}
		}
		return h.app.store.appender.AppendBatch(ctx, keys, ttl, events, dedupe)
	}
	groups := map[string][]int{}
	parts := map[string]relay.Keys{}
	var order []string
	for i := range events {
		keys, err := h.place(ctx, &events[i], &dedupe[i])
		if err != nil {
			return nil, err
		}
		tag := keys.Stream()
		if _, ok := parts[tag]; !ok {
			parts[tag] = keys
			order = append(order, tag)
		}
		groups[tag] = append(groups[tag], i)
	}
	out := make([]relay.Outcome, len(events))
	for _, tag := range order {
		idx := groups[tag]
		evs, ds := make([]event.Stored, len(idx)), make([]relay.Dedupe, len(idx))
		for j, i := range idx {
			evs[j], ds[j] = events[i], dedupe[i]
		}
		res, err := h.app.store.appender.AppendBatch(ctx, parts[tag], ttl, evs, ds)
		if err != nil {
			return nil, err // some groups may be stored: the retry finds them duplicates
		}
		for j, i := range idx {
			out[i] = res[j]
		}
	}
	return out, nil
}

// placeIn places a batch element in the partition keys of its batch.
func (h *Handler) placeIn(ctx context.Context, keys relay.Keys, replay string, st *event.Stored, d *relay.Dedupe) error {
	if _, err := h.layout.Place(ctx, h.app.store.rdb, st, replay, d); err != nil {
		return err
	}
	if h.ordered != nil {
		d.Queues = keys.QueuesOf(h.ordered, st)
	}
	return nil
}

// replyBatch writes {"status":…,"accepted":n,"duplicates":m}.
func replyBatch(w http.ResponseWriter, code int, status string, accepted, duplicates int) error {
	b := make([]byte, 0, 64)
	b = append(b, `{"status":`...)
	b = appendJSONString(b, status)
	b = append(b, `,"accepted":`...)
	b = strconv.AppendInt(b, int64(accepted), 10)
	b = append(b, `,"duplicates":`...)
	b = strconv.AppendInt(b, int64(duplicates), 10)
	b = append(b, '}', '\n')
	return write(w, code, b)
}

// checkBatch verifies the request once and makes one event of each
// element. Elements are the signed bytes as sent (sub-slices of body) and
// are checked as strictly as a single event's body.
func (h *Handler) checkBatch(r *http.Request, body []byte) ([]event.Stored, []relay.Dedupe, *verifier.Reply, int, string) {
	v, reply, code, msg := h.authenticate(r, body)
	if reply != nil || code != 0 {
		return nil, nil, reply, code, msg
	}
	elements, err := splitArray(body, relay.MaxBatchEvents)
	if err != nil {
		return nil, nil, nil, http.StatusBadRequest, "malformed JSON array body: " + err.Error()
	}
	now, tp, kept := h.now(), storedTraceparent(r), h.auditHeaders(r)
	events := make([]event.Stored, len(elements))
	dedupe := make([]relay.Dedupe, len(elements))
	if h.MaxDepth < 2 {
		return nil, nil, nil, http.StatusBadRequest, "malformed JSON array body: nesting deeper than " + strconv.Itoa(h.MaxDepth)
	}
	for i, el := range elements {
		var found [3]string
		if err := event.ScanStrict(el, h.MaxDepth-1, h.fields, found[:]); err != nil {
			return nil, nil, nil, http.StatusBadRequest, "element " + strconv.Itoa(i) + ": " + err.Error()
		}
		id, err := verifier.Identify(v.signed, h.locator, r.Header, el, verifier.BodyFields{ID: found[0], Type: found[1], Action: found[2]})
		if err != nil {
			return nil, nil, nil, http.StatusBadRequest, "element " + strconv.Itoa(i) + ": " + err.Error()
		}
		events[i] = event.Stored{
			ID: id.ID, Source: h.source, Tenant: v.tenant, Type: id.Type,
			ReceivedAt: now, Traceparent: tp, Header: kept, Body: el,
		}
		dedupe[i] = relay.Dedupe{Scopes: v.signer.scopes, ID: id.Dedupe}
	}
	// One signature covers the request: its replay value goes with the
	// first element, and names the batch.
	dedupe[0].Replay, dedupe[0].ReplayTTL = v.signed.Replay, v.signed.ReplayTTL
	if v.signed.Replay != "" {
		// The value was signed for this whole body: a batch resending its
		// first element with others is another request, and a replay.
		sum := sha256.Sum256(body)
		dedupe[0].ReplayOwner = "batch:" + hex.EncodeToString(sum[:])
	}
	return events, dedupe, nil, 0, ""
}

// splitArray returns the elements of a JSON array body as sub-slices of
// it, refusing anything but an array of 1 to limit values.
func splitArray(body []byte, limit int) ([][]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('[') {
		return nil, errors.New("body is not a JSON array")
	}
	var out [][]byte
	for dec.More() {
		if len(out) == limit {
			return nil, errors.New("more than " + strconv.Itoa(limit) + " elements")
		}
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, errors.New("invalid JSON")
		}
		el := bytes.TrimLeft(body[start:dec.InputOffset()], " \t\r\n,")
		out = append(out, el)
	}
	if _, err := dec.Token(); err != nil {
		return nil, errors.New("invalid JSON")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the array")
	}
	if len(out) == 0 {
		return nil, errors.New("empty array: no event")
	}
	return out, nil
}
