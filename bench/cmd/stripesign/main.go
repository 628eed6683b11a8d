// Command stripesign writes the signed Stripe events the ingest benchmark
// sends with wrk (whose LuaJIT has no HMAC).
//
// It writes three files into -dir:
//
//	<name>.prefix  the body up to the event id (no newline)
//	<name>.suffix  the body after the event id (no newline)
//	<name>.sigs    N lines "id t sig": the event id, the unix timestamp and
//	               the hex HMAC-SHA256 of "<t>.<prefix><id><suffix>" keyed
//	               with the secret's bytes (Stripe's v1 scheme)
//
// The Lua script reads the prefix and suffix from these files, so the body
// that was signed and the body that is sent can never drift apart. Every id
// has the same length, so every body has the same size (-size bytes).
package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// prefix and suffix are a realistic invoice.paid event; the metadata field
// pads the body to the requested size.
const prefix = `{"id":"`

const suffixHead = `","object":"event","api_version":"2024-06-20","created":1718000000,` +
	`"data":{"object":{"id":"in_1PQbEn2eZvKYlo2C0rBmNrXy","object":"invoice","account_country":"DE",` +
	`"account_name":"Hookgate Bench GmbH","amount_due":4900,"amount_paid":4900,"amount_remaining":0,` +
	`"attempt_count":1,"attempted":true,"billing_reason":"subscription_cycle","collection_method":"charge_automatically",` +
	`"currency":"eur","customer":"cus_Q6x2bEnchCustomer","customer_email":"billing@example.com",` +
	`"customer_name":"Example Customer","hosted_invoice_url":"https://invoice.stripe.com/i/acct_1Bench/test_YWNjdF8x",` +
	`"lines":{"object":"list","data":[{"id":"il_1PQbEn2eZvKYlo2CbLine001","object":"line_item","amount":4900,` +
	`"currency":"eur","description":"1 × Pro plan (at €49.00 / month)","period":{"end":1720592000,"start":1718000000},` +
	`"plan":{"id":"price_1PQbPro","object":"plan","active":true,"amount":4900,"currency":"eur","interval":"month",` +
	`"interval_count":1,"product":"prod_QbBenchPro"},"quantity":1,"type":"subscription"}],"has_more":false,` +
	`"total_count":1,"url":"/v1/invoices/in_1PQbEn2eZvKYlo2C0rBmNrXy/lines"},"livemode":false,` +
	`"number":"BENCH-0001","paid":true,"payment_intent":"pi_3PQbEn2eZvKYlo2C1aBcDeFg","period_end":1718000000,` +
	`"period_start":1715400000,"status":"paid","subscription":"sub_1PQbEn2eZvKYlo2CSubBench","subtotal":4900,` +
	`"tax":0,"total":4900,"metadata":{"order_ref":"`

const suffixTail = `"}}},"livemode":false,"pending_webhooks":1,` +
	`"request":{"id":null,"idempotency_key":null},"type":"invoice.paid"}`

func main() {
	dir := flag.String("dir", ".", "output directory")
	name := flag.String("name", "events", "base name of the output files")
	n := flag.Int("n", 400000, "number of signed events")
	secret := flag.String("secret", "whsec_bench_secret", "Stripe endpoint secret")
	tag := flag.String("tag", "run0", "4-character tag that keeps ids of different files apart")
	size := flag.Int("size", 2048, "body size in bytes")
	flag.Parse()
	if len(*tag) != 4 || *n <= 0 {
		fmt.Fprintln(os.Stderr, "stripesign: -tag must be 4 characters and -n positive")
		os.Exit(2)
	}
	if err := run(*dir, *name, *n, []byte(*secret), *tag, *size); err != nil {
		fmt.Fprintln(os.Stderr, "stripesign:", err)
		os.Exit(1)
	}
}

func eventID(tag string, i int) string {
	return fmt.Sprintf("evt_%s%020d", tag, i) // always 28 bytes, like Stripe's ids
}

func run(dir, name string, n int, secret []byte, tag string, size int) error {
	idLen := len(eventID(tag, 0))
	pad := size - len(prefix) - idLen - len(suffixHead) - len(suffixTail)
	if pad < 0 {
		return fmt.Errorf("-size %d is below the template's %d bytes", size, size-pad)
	}
	suffix := suffixHead + strings.Repeat("x", pad) + suffixTail
	if err := os.WriteFile(filepath.Join(dir, name+".prefix"), []byte(prefix), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".suffix"), []byte(suffix), 0o644); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, name+".sigs"))
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	sum := make([]byte, 0, sha256.Size)
	hexSum := make([]byte, hex.EncodedLen(sha256.Size))
	for i := range n {
		id := eventID(tag, i)
		mac.Reset()
		mac.Write([]byte(ts))
		mac.Write([]byte("."))
		mac.Write([]byte(prefix))
		mac.Write([]byte(id))
		mac.Write([]byte(suffix))
		hex.Encode(hexSum, mac.Sum(sum[:0]))
		w.WriteString(id)
		w.WriteByte(' ')
		w.WriteString(ts)
		w.WriteByte(' ')
		w.Write(hexSum)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
