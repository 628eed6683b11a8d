package main

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/event"
	"github.com/hookgate/caddy-hookgate/relay"
)

// A realistic Stripe invoice.paid event; the metadata pads it to bodySize.
const (
	bodySize   = 1024
	bodyPrefix = `{"id":"`
	bodyHead   = `","object":"event","api_version":"2024-06-20","created":1718000000,` +
		`"data":{"object":{"id":"in_1PQbEn2eZvKYlo2C0rBmNrXy","object":"invoice","account_country":"DE",` +
		`"amount_due":4900,"amount_paid":4900,"amount_remaining":0,"attempt_count":1,"attempted":true,` +
		`"billing_reason":"subscription_cycle","currency":"eur","customer":"cus_Q6x2bEnchCustomer",` +
		`"customer_email":"billing@example.com","customer_name":"Example Customer",` +
		`"lines":{"object":"list","data":[{"id":"il_1PQbEn2eZvKYlo2CbLine001","object":"line_item",` +
		`"amount":4900,"currency":"eur","description":"1 x Pro plan","period":{"end":1720592000,"start":1718000000},` +
		`"quantity":1,"type":"subscription"}],"has_more":false,"total_count":1},"livemode":false,` +
		`"number":"BENCH-0001","paid":true,"payment_intent":"pi_3PQbEn2eZvKYlo2C1aBcDeFg",` +
		`"status":"paid","subscription":"sub_1PQbEn2eZvKYlo2CSubBench","total":4900,"metadata":{"order_ref":"`
	bodyTail = `"}}},"livemode":false,"pending_webhooks":1,` +
		`"request":{"id":null,"idempotency_key":null},"type":"invoice.paid"}`
	// A small body for the 1M backlog.
	smallHead = `","object":"event","created":1718000000,"data":{"object":{"id":"in_1","object":"invoice",` +
		`"customer":"cus_1","total":4900}},"type":"invoice.paid"}`
	traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	userAgent   = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
)

// eventID is "evt_<tag>_<seq>": the sink reads seq back.
func eventID(tag string, seq int) string {
	return fmt.Sprintf("evt_%s_%09d", tag, seq)
}

func stripeBody(id string) []byte {
	pad := bodySize - len(bodyPrefix) - len(id) - len(bodyHead) - len(bodyTail)
	return []byte(bodyPrefix + id + bodyHead + strings.Repeat("x", max(pad, 0)) + bodyTail)
}

func storedEvent(tag string, seq int) *event.Stored {
	id := eventID(tag, seq)
	return &event.Stored{
		ID: id, Source: "stripe", Tenant: "default", Type: "invoice.paid",
		ReceivedAt: time.Now(), Traceparent: traceparent,
		Header: http.Header{"User-Agent": {userAgent}},
		Body:   stripeBody(id),
	}
}

// fillAppender appends n ~1 KB Stripe events through relay.Appender, the
// way ingest stores them (dedupe key + XADD), from 64 goroutines.
func fillAppender(parent context.Context, app *relay.Appender, keys relay.Keys, tag string, n int) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				seq := int(next.Add(1) - 1)
				if seq >= n {
					return
				}
				out, err := app.Append(ctx, keys, time.Hour, storedEvent(tag, seq))
				if err == nil && out != relay.Accepted {
					err = fmt.Errorf("append %d: outcome %v, want accepted", seq, out)
				}
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					cancel()
					return
				}
			}
		}()
	}
	wg.Wait()
	return cmpOr(firstErr, parent.Err())
}

// fillPipelined appends n small events straight with XADD, pipelined in
// batches, with the same fields in the same order as relay.Appender
// (relay/entry.go) but no dedupe keys.
func fillPipelined(ctx context.Context, rdb redis.UniversalClient, stream, tag string, n int) error {
	const batch = 2000
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				from := int(next.Add(batch) - batch)
				if from >= n {
					return
				}
				pipe := rdb.Pipeline()
				now := strconv.FormatInt(time.Now().UnixMilli(), 10)
				for seq := from; seq < min(from+batch, n); seq++ {
					id := eventID(tag, seq)
					pipe.XAdd(ctx, &redis.XAddArgs{Stream: stream, Values: []any{
						"id", id, "source", "stripe", "tenant", "default", "type", "invoice.paid",
						"received_at", now, "traceparent", traceparent, "h:User-Agent", userAgent,
						"body", bodyPrefix + id + smallHead,
					}})
				}
				pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				_, err := pipe.Exec(pctx)
				cancel()
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}

func cmpOr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// customerKey is the ordering key (0 ≤ key < nkeys) of event seq: a fixed
// pseudo-random choice (splitmix64 of seq), as independent from one event
// to the next as real customers are, so a key's events are sometimes next
// to each other and an ordered relay has to hold some of them back. (A
// multiplicative hash would spread every key's events evenly, about nkeys
// apart, and never put two of one key near each other.)
func customerKey(seq, nkeys int) int {
	z := uint64(seq) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	z ^= z >> 31
	return int(z % uint64(nkeys))
}

func customerName(key int) string { return fmt.Sprintf("cus_bench%07d", key) }

// orderedEvent is storedEvent with customerKey(seq, nkeys) as the body's
// data.object.customer, the path the ordered relay orders by.
func orderedEvent(tag string, seq, nkeys int) *event.Stored {
	st := storedEvent(tag, seq)
	id := st.ID
	head := strings.Replace(bodyHead, `"customer":"cus_Q6x2bEnchCustomer"`, `"customer":"`+customerName(customerKey(seq, nkeys))+`"`, 1)
	pad := bodySize - len(bodyPrefix) - len(id) - len(head) - len(bodyTail)
	st.Body = []byte(bodyPrefix + id + head + strings.Repeat("x", max(pad, 0)) + bodyTail)
	return st
}

// fillOrdered appends n events over nkeys customers through relay.Appender
// as ingest stores them for the relays in ordered: dedupe key, XADD and
// each entry pushed to its key's queue in the same script. 64 goroutines,
// but each key's events are appended in seq order (a key's goroutine
// waits for its predecessor), so every queue is in seq order, as ingest
// order would make it.
func fillOrdered(parent context.Context, app *relay.Appender, keys relay.Keys, ordered []relay.Ordered, tag string, n, nkeys int) error {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	// done[seq] closes once seq is stored; the next seq of its key waits for it.
	done := make([]chan struct{}, n)
	prev := make([]int, n)
	lastOf := make(map[int]int, nkeys)
	for seq := range n {
		done[seq] = make(chan struct{})
		k := customerKey(seq, nkeys)
		p, ok := lastOf[k]
		if !ok {
			p = -1
		}
		prev[seq], lastOf[k] = p, seq
	}
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				seq := int(next.Add(1) - 1)
				if seq >= n {
					return
				}
				if p := prev[seq]; p >= 0 {
					select {
					case <-done[p]:
					case <-ctx.Done():
						return
					}
				}
				st := orderedEvent(tag, seq, nkeys)
				d := relay.Dedupe{Scopes: relay.DefaultScopes, ID: st.ID, Queues: keys.QueuesOf(ordered, st)}
				out, err := app.AppendAs(ctx, keys, time.Hour, st, d)
				if err == nil && out != relay.Accepted {
					err = fmt.Errorf("append %d: outcome %v, want accepted", seq, out)
				}
				if err == nil && len(d.Queues) != len(ordered) {
					err = fmt.Errorf("append %d: %d ordering queues, want %d", seq, len(d.Queues), len(ordered))
				}
				if err != nil {
					mu.Lock()
					firstErr = cmpOr(firstErr, err)
					mu.Unlock()
					cancel()
					return
				}
				close(done[seq])
			}
		}()
	}
	wg.Wait()
	return cmpOr(firstErr, parent.Err())
}
