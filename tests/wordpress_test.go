//go:build wordpress

package tests

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWordPress runs the product's real shape: providers post to Caddy,
// the relay in the same Caddy delivers to the Hookgate plugin in a real
// WordPress behind php_fastcgi, and the plugin signs WordPress's own
// events back to Caddy. The stack is started once; the subtests run in
// order on it.
func TestWordPress(t *testing.T) {
	w := startWordPress(t)
	w.saveSettings(t, url.Values{
		"hookgate_send_enabled":  {"1"},
		"hookgate_send_events[]": {"comment.created", "user.registered", "post.published"},
		"hookgate_user_sync":     {"1"},
	})

	t.Run("stripe, github and wordpress events reach WordPress once each", func(t *testing.T) {
		stripe := stripeEvent("evt_wp_stripe")
		github := `{"action":"opened","issue":{"number":7},"sender":{"login":"octocat","id":1}}`
		// As the plugin sends them: the event id in the signed body too.
		wp := `{"id":"wp-evt-1","event":"post.published","post_id":7}`
		w.ingest(t, "/hooks/stripe", stripeSigned(stripe, time.Now()), stripe, 202)
		w.ingest(t, "/hooks/github", githubSigned(github, "delivery-wp-1"), github, 202)
		w.ingest(t, "/hooks/wordpress", wordpressSigned(wp, "wp-evt-1", time.Now()), wp, 202)
		// GitHub signs no id: the event is named by its body's hash.
		for _, id := range []string{"evt_wp_stripe", bodyID("", github), "wp-evt-1"} {
			w.awaitEffects(t, id, 1)
		}
		if got := w.db.query(t, "SELECT type FROM wp_hookgate_e2e_effects WHERE event_id = 'evt_wp_stripe'"); got != "invoice.paid" {
			t.Fatalf("the stripe event reached WordPress as type %q, want invoice.paid", got)
		}
	})

	t.Run("the same provider event sent five times has one effect", func(t *testing.T) {
		body := stripeEvent("evt_wp_five")
		w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 202)
		for range 4 {
			w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 200)
		}
		w.awaitEffects(t, "evt_wp_five", 1)
		w.assertEffectsStay(t, "evt_wp_five", 1)
	})

	t.Run("a delivery repeated five times at once runs its handlers once", func(t *testing.T) {
		body := envelopeBody("stripe:default:evt_direct_5", "invoice.paid")
		replies := make([]string, 5)
		var wg sync.WaitGroup
		for i := range replies {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodPost, w.caddy.Base+"/wp-json/hookgate/v1/events", strings.NewReader(body))
				req.Header = relaySigned(body, "stripe:default:evt_direct_5", time.Now())
				if resp, err := http.DefaultClient.Do(req); err == nil {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					replies[i] = fmt.Sprintf("%d %s", resp.StatusCode, b)
				}
			})
		}
		wg.Wait()
		processed := 0
		for _, r := range replies {
			// 503 is "another delivery of this event is in progress": the
			// relay retries it and then gets the 200 duplicate.
			switch {
			case strings.HasPrefix(r, `200 {"status":"processed"`):
				processed++
			case strings.HasPrefix(r, `200 {"status":"duplicate"`), strings.HasPrefix(r, "503 "):
			default:
				t.Fatalf("concurrent deliveries answered %q", replies)
			}
		}
		if processed != 1 {
			t.Fatalf("%d of 5 concurrent deliveries were processed, want 1: %q", processed, replies)
		}
		w.awaitEffects(t, "stripe:default:evt_direct_5", 1)
		status, reply := w.deliver(t, "events", body, relaySigned(body, "stripe:default:evt_direct_5", time.Now()))
		if status != 200 || !strings.Contains(reply, `"duplicate"`) {
			t.Fatalf("a later repeat answered %d %s, want 200 duplicate", status, reply)
		}
		w.assertEffectsStay(t, "stripe:default:evt_direct_5", 1)
	})

	t.Run("a handler that throws gets a 500 and the relay's retry lands once", func(t *testing.T) {
		body := strings.Replace(stripeEvent("evt_wp_fail_once"), "invoice.paid", "test.fail_once", 1)
		w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 202)
		w.awaitEffects(t, "evt_wp_fail_once", 1)
		w.awaitInbox(t, "stripe:default:evt_wp_fail_once", "done\t2")
	})

	t.Run("a handler that exits mid-request is retried, not left in progress", func(t *testing.T) {
		body := strings.Replace(stripeEvent("evt_wp_exit_once"), "invoice.paid", "test.exit_once", 1)
		w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 202)
		w.awaitEffects(t, "evt_wp_exit_once", 1)
		w.awaitInbox(t, "stripe:default:evt_wp_exit_once", "done\t2")
	})

	t.Run("events sent while php-fpm is down arrive once it is back", func(t *testing.T) {
		w.fpm.Stop()
		ids := make([]string, 10)
		for i := range ids {
			ids[i] = fmt.Sprintf("evt_wp_down_%02d", i)
			body := stripeEvent(ids[i])
			w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 202)
		}
		rdb := w.rdb
		waitFor(t, 30*time.Second, "the relay to schedule retries while PHP is down", func() bool {
			n, _ := rdb.ZCard(context.Background(), "hookgate:{events}:retry:wordpress").Result()
			return n > 0
		})
		w.fpm.Start()
		for _, id := range ids {
			w.awaitEffects(t, id, 1)
		}
		if dead, _ := rdb.XLen(context.Background(), "hookgate:{events}:dead:wordpress").Result(); dead != 0 {
			t.Fatalf("%d events dead-lettered while PHP was down", dead)
		}
	})

	t.Run("customer events create a WordPress user through user-sync", func(t *testing.T) {
		body := `{"id":"evt_wp_customer","object":"event","type":"customer.created","created":1700000000,` +
			`"data":{"object":{"id":"cus_e2e","object":"customer","email":"ada@example.com","name":"Ada Lovelace"}}}`
		w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 202)
		w.awaitEffects(t, "evt_wp_customer", 1)
		if route := w.db.query(t, "SELECT route FROM wp_hookgate_e2e_effects WHERE event_id = 'evt_wp_customer'"); route != "user-sync" {
			t.Fatalf("the customer event came in on route %q, want user-sync", route)
		}
		w.awaitInbox(t, "stripe:default:evt_wp_customer", "done\t1")
		if user := w.linkedUser(t, "ada@example.com"); user != "stripe:cus_e2e\tsubscriber" {
			t.Fatalf("user-sync made %q, want ada@example.com linked to stripe:cus_e2e as a subscriber", user)
		}
	})

	t.Run("user-sync cannot be steered into someone else's account", func(t *testing.T) {
		sync := func(n int, customer, email string) {
			t.Helper()
			id := fmt.Sprintf("stripe:default:evt_sync_%d", n)
			body := fmt.Sprintf(`{"id":%q,"source":"stripe","tenant":"default","type":"customer.updated",`+
				`"occurred_at":"2026-12-01T00:00:%02dZ","received_at":"2026-12-01T00:00:%02dZ","actor":{"id":%q,"email":%q},`+
				`"data":{"object":"customer","id":%q,"email":%q}}`, id, n, n, customer, email, customer, email)
			if status, reply := w.deliver(t, "user-sync", body, relaySigned(body, id, time.Now())); status != 200 {
				t.Fatalf("user-sync delivery %d: %d %s", n, status, reply)
			}
		}
		sync(1, "cus_victim", "victim@example.com")
		if got := w.linkedUser(t, "victim@example.com"); got != "stripe:cus_victim\tsubscriber" {
			t.Fatalf("the first customer made %q", got)
		}
		sync(2, "cus_victim", "victim.new@example.com") // the account's own customer, never claimed
		if got := w.linkedUser(t, "victim.new@example.com"); got != "stripe:cus_victim\tsubscriber" {
			t.Fatalf("an unclaimed account did not follow its customer's new email: %q", got)
		}
		sync(3, "cus_Victim", "attacker@example.com") // an id the database's collation calls equal
		if got := w.linkedUser(t, "victim.new@example.com"); got != "stripe:cus_victim\tsubscriber" {
			t.Fatalf("a near-identical customer id moved the account's email: %q", got)
		}
		sync(4, "cus_attacker", "victim.new@example.com") // another customer with the victim's email
		if got := w.linkedUser(t, "victim.new@example.com"); got != "stripe:cus_victim\tsubscriber" {
			t.Fatalf("a second customer with the same email re-linked the account: %q", got)
		}
		sync(5, "cus_victim", "victim.moved@example.com") // two customers claimed the address: it is frozen
		if got := w.linkedUser(t, "victim.new@example.com"); got != "stripe:cus_victim\tsubscriber" {
			t.Fatalf("the email of an account two customers claim followed the source: %q", got)
		}
		sync(6, "cus_admin", "admin@example.com") // the administrator's email
		if got := w.linkedUser(t, "admin@example.com"); got != "\tadministrator" {
			t.Fatalf("a customer with the administrator's email linked the account: %q", got)
		}
	})

	t.Run("a comment made in WordPress is signed, verified by Caddy and stored", func(t *testing.T) {
		status, body := w.form(t, w.admin, "/wp-comments-post.php", url.Values{
			"comment_post_ID": {"1"}, "comment": {"Signed on its way out"}, "comment_parent": {"0"},
		})
		if status != 200 {
			t.Fatalf("posting a comment: %d %s", status, tail([]byte(body), 1000))
		}
		stored := w.awaitStored(t, "Signed on its way out")
		if stored["source"] != "wordpress" || stored["type"] != "comment.created" {
			t.Fatalf("the comment was stored as %v, want a wordpress comment.created event", stored)
		}
		// The row leaves the outbox when the gateway's 202 is back, a
		// moment after the entry is in the stream.
		waitFor(t, 10*time.Second, "the outbox to empty once the gateway took the event", func() bool {
			return w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_outbox") == "0"
		})
		// The relay brings it back to the plugin like any other event.
		w.awaitEffects(t, stored["id"].(string), 1)
	})

	t.Run("a user and a post made in WordPress are sent as well", func(t *testing.T) {
		status, nonce := w.get(t, w.admin, "/wp-admin/admin-ajax.php?action=rest-nonce")
		if status != 200 || nonce == "" {
			t.Fatalf("no REST nonce for the administrator: %d %q", status, nonce)
		}
		rest := func(path, body string) {
			t.Helper()
			req, _ := http.NewRequest(http.MethodPost, w.caddy.Base+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-WP-Nonce", nonce)
			if status, _, reply := doWith(t, w.admin, req); status != 201 {
				t.Fatalf("POST %s: %d %s", path, status, reply)
			}
		}
		rest("/wp-json/wp/v2/users", `{"username":"grace","email":"grace@example.com","password":"e2e-Grace-pw-91"}`)
		rest("/wp-json/wp/v2/posts", `{"title":"Published through the block editor's API","content":"x","status":"publish"}`)
		if user := w.awaitStored(t, `"grace@example.com"`); user["type"] != "user.registered" {
			t.Fatalf("the new user was stored as %v", user)
		}
		if post := w.awaitStored(t, "Published through the block editor"); post["type"] != "post.published" {
			t.Fatalf("the published post was stored as %v", post)
		}
	})

	t.Run("a burst of events arrives once each", func(t *testing.T) {
		const n, senders = 300, 8
		// Baseline: the same number of deliveries straight to the plugin,
		// from as many senders as the relay has workers.
		start := time.Now()
		var wg sync.WaitGroup
		failures := make(chan string, n)
		for s := range senders {
			wg.Go(func() {
				for i := s; i < n; i += senders {
					id := fmt.Sprintf("stripe:default:evt_direct_burst_%03d", i)
					body := envelopeBody(id, "invoice.paid")
					req, _ := http.NewRequest(http.MethodPost, w.caddy.Base+"/wp-json/hookgate/v1/events", strings.NewReader(body))
					req.Header = relaySigned(body, id, time.Now())
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						failures <- err.Error()
						continue
					}
					resp.Body.Close()
					if resp.StatusCode != 200 {
						failures <- resp.Status
					}
				}
			})
		}
		wg.Wait()
		direct := time.Since(start)
		close(failures)
		for f := range failures {
			t.Fatalf("a direct delivery failed: %s", f)
		}

		start = time.Now()
		for i := range n {
			body := stripeEvent(fmt.Sprintf("evt_burst_%03d", i))
			w.ingest(t, "/hooks/stripe", stripeSigned(body, time.Now()), body, 202)
		}
		want := fmt.Sprintf("%d\t%d", n, n)
		waitFor(t, 120*time.Second, "every burst event in WordPress", func() bool {
			return w.db.query(t, "SELECT COUNT(*), COUNT(DISTINCT event_id) FROM wp_hookgate_e2e_effects WHERE event_id LIKE 'evt\\_burst\\_%'") == want
		})
		relayed := time.Since(start)
		w.assertEffectsStay(t, "evt_burst_000", 1)
		if got := w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_e2e_effects WHERE event_id LIKE 'evt\\_burst\\_%'"); got != strconv.Itoa(n) {
			t.Fatalf("%s effects for %d burst events", got, n)
		}
		// A figure, not an assertion: bench/wordpress.sh records it.
		t.Logf("FIGURE direct-to-plugin %.0f deliveries/s; ingest+relay+plugin %.0f events/s; ratio %.2fx (%d events, %d senders)",
			float64(n)/direct.Seconds(), float64(n)/relayed.Seconds(), direct.Seconds()/relayed.Seconds(), n, senders)
	})

	t.Run("a WordPress event the gateway could not take waits in the outbox for the retry", func(t *testing.T) {
		w.redis.Stop() // Caddy answers 503: the event is not stored
		status, body := w.form(t, w.admin, "/wp-comments-post.php", url.Values{
			"comment_post_ID": {"1"}, "comment": {"Sent once the gateway is back"}, "comment_parent": {"0"},
		})
		if status != 200 {
			t.Fatalf("posting a comment: %d %s", status, tail([]byte(body), 1000))
		}
		waitFor(t, 30*time.Second, "the failed send recorded in the outbox", func() bool {
			return w.db.query(t, "SELECT status, attempts, last_status FROM wp_hookgate_outbox") == "pending\t1\t503"
		})
		w.redis.Restart()
		// The backoff has passed, as far as the row knows; then the
		// outbox retry WP-Cron runs.
		w.db.query(t, "UPDATE wp_hookgate_outbox SET next_attempt_at = UTC_TIMESTAMP() - INTERVAL 1 SECOND")
		if status, reply := w.form(t, http.DefaultClient, "/wp-json/hookgate-e2e/v1/send-due", nil); status != 200 || !strings.Contains(reply, `"scheduled":true`) {
			t.Fatalf("running the outbox retry: %d %s, want it run and scheduled in WP-Cron", status, reply)
		}
		stored := w.awaitStored(t, "Sent once the gateway is back")
		if left := w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_outbox"); left != "0" {
			t.Fatalf("%s events left in the outbox after the retry was taken", left)
		}
		// The relay brings it back to the plugin, a moment later (it
		// reconnects to the restarted Redis first); later subtests count
		// inbox rows and must not see it land in the middle.
		w.awaitEffects(t, stored["id"].(string), 1)
	})

	t.Run("the plugin refuses what the relay would never send", func(t *testing.T) {
		const id = "stripe:default:evt_refused"
		good := envelopeBody(id, "invoice.paid")
		for _, tc := range []struct {
			name   string
			route  string
			body   string
			header http.Header
			want   int
		}{
			{"a missing signature is 401", "events", good, http.Header{"Content-Type": {"application/json"}}, 401},
			{"a signature by another secret is 401", "events", good, relaySignedWith("whsec_"+base64.StdEncoding.EncodeToString([]byte("another secret")), good, id, time.Now()), 401},
			{"a stale timestamp is 401", "events", good, relaySigned(good, id, time.Now().Add(-6*time.Minute)), 401},
			{"a future timestamp is 401", "events", good, relaySigned(good, id, time.Now().Add(6*time.Minute)), 401},
			{"a body changed after signing is 401", "events", good + " ", relaySigned(good, id, time.Now()), 401},
			{"an Idempotency-Key other than webhook-id is 400", "events", good, withHeader(relaySigned(good, id, time.Now()), "Idempotency-Key", "other"), 400},
			{"a signed body that is not a JSON object is 400", "events", `["x"]`, relaySigned(`["x"]`, id, time.Now()), 400},
			{"a route with no handler is 404", "order-event", good, relaySigned(good, id, time.Now()), 404},
			{"an envelope without a type is 400", "events", `{"id":"x","source":"stripe","received_at":"2026-01-01T00:00:00Z","data":{}}`,
				relaySigned(`{"id":"x","source":"stripe","received_at":"2026-01-01T00:00:00Z","data":{}}`, id, time.Now()), 400},
		} {
			t.Run(tc.name, func(t *testing.T) {
				status, reply := w.deliver(t, tc.route, tc.body, tc.header)
				if status != tc.want || !strings.Contains(reply, `"error"`) {
					t.Fatalf("got %d %s, want %d with an error", status, reply, tc.want)
				}
				if strings.Contains(reply, relaySecret) {
					t.Fatalf("the reply names the secret: %s", reply)
				}
			})
		}
		if n := w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_e2e_effects WHERE event_id = 'x' OR event_id = '"+id+"'"); n != "0" {
			t.Fatalf("refused deliveries had %s effects", n)
		}
	})

	t.Run("a delivery replayed to another route is a duplicate", func(t *testing.T) {
		const id = "stripe:default:evt_two_routes"
		body := envelopeBody(id, "customer.updated")
		if status, reply := w.deliver(t, "events", body, relaySigned(body, id, time.Now())); status != 200 || !strings.Contains(reply, `"processed"`) {
			t.Fatalf("first delivery: %d %s", status, reply)
		}
		if status, reply := w.deliver(t, "user-sync", body, relaySigned(body, id, time.Now())); status != 200 || !strings.Contains(reply, `"duplicate"`) {
			t.Fatalf("the same delivery to user-sync: %d %s, want 200 duplicate", status, reply)
		}
		if n := w.effects(t, id); n != 1 {
			t.Fatalf("%d effects, want 1", n)
		}
	})

	t.Run("the settings page lists received events and shows no secret", func(t *testing.T) {
		status, page := w.get(t, w.admin, "/wp-admin/options-general.php?page=hookgate")
		if status != 200 || !strings.Contains(page, "stripe:default:evt_two_routes") || !strings.Contains(page, "customer.updated") {
			t.Fatalf("Settings → Hookgate (%d) does not list the received events:\n%s", status, tail([]byte(page), 3000))
		}
		for _, secret := range []string{relaySecret, wordpressSecret, relaySecret[len("whsec_"):]} {
			if strings.Contains(page, secret) {
				t.Fatal("Settings → Hookgate prints a secret")
			}
		}
		nonce := regexp.MustCompile(`name=["']hookgate_retry_nonce["'] value=["']([0-9a-f]+)["']`).FindStringSubmatch(page)
		if nonce == nil {
			t.Fatal("no Retry failed events form on Settings → Hookgate")
		}
		retry := url.Values{"action": {"hookgate_retry_failed"}, "hookgate_retry_nonce": {nonce[1]}}
		if status, body := w.form(t, w.admin, "/wp-admin/admin-post.php", retry); status != 200 || !strings.Contains(body, "queued for another attempt") {
			t.Fatalf("Retry failed events: %d %s", status, tail([]byte(body), 2000))
		}
		retry.Set("hookgate_retry_nonce", "0123456789")
		if status, _ := w.form(t, w.admin, "/wp-admin/admin-post.php", retry); status != 403 {
			t.Fatalf("Retry failed events with a forged nonce answered %d, want 403", status)
		}
		visitor := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		req, _ := http.NewRequest(http.MethodGet, w.caddy.Base+"/wp-admin/options-general.php?page=hookgate", nil)
		if status, h, _ := doWith(t, visitor, req); status != 302 || !strings.Contains(h.Get("Location"), "wp-login.php") {
			t.Fatalf("a visitor who is not logged in got %d (Location %q), want a redirect to the login", status, h.Get("Location"))
		}
	})

	t.Run("the prune forgets keys older than 72 hours and keeps the rest", func(t *testing.T) {
		// Rows are counted before and after the prune: a delivery still in
		// the relay would add one in between and hide the one removed.
		w.awaitRelayIdle(t)
		w.db.query(t, "UPDATE wp_hookgate_inbox SET received_at = UTC_TIMESTAMP() - INTERVAL 73 HOUR WHERE idempotency_key = 'stripe:default:evt_wp_stripe'")
		last := w.db.query(t, "SELECT MAX(id) FROM wp_hookgate_inbox")
		before := w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_inbox")
		if status, reply := w.form(t, http.DefaultClient, "/wp-json/hookgate-e2e/v1/prune", nil); status != 200 || !strings.Contains(reply, `"scheduled":true`) {
			t.Fatalf("running the prune: %d %s, want it run and scheduled in WP-Cron", status, reply)
		}
		if n := w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_inbox WHERE idempotency_key = 'stripe:default:evt_wp_stripe'"); n != "0" {
			t.Fatal("the 73-hour-old key is still in the inbox")
		}
		b, _ := strconv.Atoi(before)
		// Only the rows that were there before are counted, so nothing
		// that arrives meanwhile can stand in for a row the prune took.
		if after := w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_inbox WHERE id <= "+last); after != strconv.Itoa(b-1) {
			t.Fatalf("the prune left %s of %s rows, want all but the old one", after, before)
		}
	})

	t.Run("user-sync switched off answers 404 so the relay keeps the event", func(t *testing.T) {
		w.saveSettings(t, url.Values{"hookgate_send_enabled": {"1"}, "hookgate_send_events[]": {"comment.created"}})
		body := envelopeBody("stripe:default:evt_sync_off", "customer.updated")
		status, reply := w.deliver(t, "user-sync", body, relaySigned(body, "stripe:default:evt_sync_off", time.Now()))
		if status != 404 || !strings.Contains(reply, "user-sync") {
			t.Fatalf("got %d %s, want 404 naming user-sync", status, reply)
		}
	})

	t.Run("deleting the plugin drops its tables and options, and keeps the users", func(t *testing.T) {
		_, page := w.get(t, w.admin, "/wp-admin/plugins.php")
		link := regexp.MustCompile(`href="(plugins\.php\?action=deactivate&amp;plugin=hookgate%2Fhookgate\.php[^"]*)"`).FindStringSubmatch(page)
		if link == nil {
			t.Fatalf("no Deactivate link for hookgate:\n%s", tail([]byte(page), 3000))
		}
		if status, body := w.get(t, w.admin, "/wp-admin/"+strings.ReplaceAll(link[1], "&amp;", "&")); status != 200 || !strings.Contains(body, "Plugin deactivated") {
			t.Fatalf("deactivating: %d %s", status, tail([]byte(body), 2000))
		}
		_, page = w.get(t, w.admin, "/wp-admin/plugins.php")
		nonce := regexp.MustCompile(`"ajax_nonce":"([0-9a-f]+)"`).FindStringSubmatch(page)
		if nonce == nil {
			t.Fatal("no updates nonce on the Plugins screen")
		}
		// What the Delete link's script posts.
		status, body := w.form(t, w.admin, "/wp-admin/admin-ajax.php", url.Values{
			"action": {"delete-plugin"}, "plugin": {"hookgate/hookgate.php"}, "slug": {"hookgate"}, "_ajax_nonce": {nonce[1]},
		})
		if status != 200 || !strings.Contains(body, `"success":true`) {
			t.Fatalf("deleting the plugin: %d %s", status, body)
		}
		if got := w.db.query(t, "SHOW TABLES LIKE 'wp_hookgate_in%'"); got != "" {
			t.Fatalf("tables left after deleting the plugin: %q", got)
		}
		if got := w.db.query(t, "SELECT COUNT(*) FROM wp_options WHERE option_name LIKE 'hookgate\\_%' AND option_name NOT LIKE 'hookgate\\_e2e\\_%'"); got != "0" {
			t.Fatalf("%s hookgate options left after deleting the plugin", got)
		}
		if got := w.linkedUser(t, "ada@example.com"); got != "stripe:cus_e2e\tsubscriber" {
			t.Fatalf("deleting the plugin touched the synced user: %q", got)
		}
	})
}

// saveSettings submits Settings → Hookgate with the given fields, as an
// administrator would.
func (w *wordpressSite) saveSettings(t *testing.T, fields url.Values) {
	t.Helper()
	_, page := w.get(t, w.admin, "/wp-admin/options-general.php?page=hookgate")
	nonce := regexp.MustCompile(`name=["']_wpnonce["'] value=["']([0-9a-f]+)["']`).FindStringSubmatch(page)
	if nonce == nil || !regexp.MustCompile(`name=["']option_page["'] value=["']hookgate["']`).MatchString(page) {
		t.Fatalf("no settings form on Settings → Hookgate:\n%s", tail([]byte(page), 3000))
	}
	fields.Set("option_page", "hookgate")
	fields.Set("action", "update")
	fields.Set("_wpnonce", nonce[1])
	fields.Set("_wp_http_referer", "/wp-admin/options-general.php?page=hookgate")
	status, body := w.form(t, w.admin, "/wp-admin/options.php", fields)
	if status != 200 || !strings.Contains(body, "Settings saved") {
		t.Fatalf("saving settings: %d %s", status, tail([]byte(body), 2000))
	}
	if strings.Contains(body, relaySecret) || strings.Contains(body, wordpressSecret) {
		t.Fatal("the settings page prints a secret")
	}
}

// ingest posts a signed provider event to Caddy and checks the status.
func (w *wordpressSite) ingest(t *testing.T, path string, h http.Header, body string, want int) {
	t.Helper()
	if status, _, reply := w.caddy.post(t, path, h, []byte(body)); status != want {
		t.Fatalf("POST %s: %d %s, want %d", path, status, reply, want)
	}
}

// deliver posts straight to the plugin's route, as the relay does.
func (w *wordpressSite) deliver(t *testing.T, route, body string, h http.Header) (int, string) {
	t.Helper()
	status, _, reply := w.caddy.post(t, "/wp-json/hookgate/v1/"+route, h, []byte(body))
	return status, reply
}

// effects counts how often WordPress's hookgate_event ran for an event.
func (w *wordpressSite) effects(t *testing.T, id string) int {
	t.Helper()
	n, err := strconv.Atoi(w.db.query(t, "SELECT COUNT(*) FROM wp_hookgate_e2e_effects WHERE event_id = "+sqlString(id)))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (w *wordpressSite) awaitEffects(t *testing.T, id string, want int) {
	t.Helper()
	waitFor(t, 60*time.Second, fmt.Sprintf("%d effect(s) of %s in WordPress", want, id), func() bool {
		return w.effects(t, id) >= want
	})
	if got := w.effects(t, id); got != want {
		t.Fatalf("%s ran %d times in WordPress, want %d", id, got, want)
	}
}

// assertEffectsStay checks that nothing still pending in the relay runs
// an event again: once the stream is drained, the count must not move.
func (w *wordpressSite) assertEffectsStay(t *testing.T, id string, want int) {
	t.Helper()
	w.awaitRelayIdle(t)
	if got := w.effects(t, id); got != want {
		t.Fatalf("%s ran %d times in WordPress, want %d", id, got, want)
	}
}

// awaitRelayIdle waits until the relay has read every entry and has none
// pending or scheduled: every delivery has been answered by the plugin.
func (w *wordpressSite) awaitRelayIdle(t *testing.T) {
	t.Helper()
	rdb, ctx := w.rdb, context.Background()
	waitFor(t, 30*time.Second, "the relay to have read everything and have nothing pending or scheduled", func() bool {
		p, err := rdb.XPending(ctx, "hookgate:{events}", "wordpress").Result()
		if err != nil || p.Count != 0 {
			return false
		}
		if n, err := rdb.ZCard(ctx, "hookgate:{events}:retry:wordpress").Result(); err != nil || n != 0 {
			return false
		}
		groups, err := rdb.XInfoGroups(ctx, "hookgate:{events}").Result()
		for _, g := range groups {
			if g.Name == "wordpress" {
				return err == nil && g.Lag == 0
			}
		}
		return false
	})
}

// awaitStored waits for the stream entry whose signed body holds text and
// returns its fields.
func (w *wordpressSite) awaitStored(t *testing.T, text string) map[string]any {
	t.Helper()
	var stored map[string]any
	waitFor(t, 30*time.Second, fmt.Sprintf("an event holding %q in the stream", text), func() bool {
		entries, _ := w.rdb.XRange(context.Background(), "hookgate:{events}", "-", "+").Result()
		for _, e := range entries {
			if b, _ := e.Values["body"].(string); strings.Contains(b, text) {
				stored = e.Values
				return true
			}
		}
		return false
	})
	return stored
}

// awaitInbox waits until the plugin's inbox row for key reads want
// ("<status>\t<attempts>"): the recorder's effect lands inside the
// handlers, a moment before the row is marked done.
func (w *wordpressSite) awaitInbox(t *testing.T, key, want string) {
	t.Helper()
	var got string
	waitFor(t, 30*time.Second, fmt.Sprintf("the inbox row of %s to read %q", key, want), func() bool {
		got = w.db.query(t, "SELECT status, attempts FROM wp_hookgate_inbox WHERE idempotency_key = "+sqlString(key))
		return got == want || strings.HasPrefix(got, "done")
	})
	if got != want {
		t.Fatalf("the inbox row of %s reads %q, want %q", key, got, want)
	}
}

// linkedUser is "<external id>\t<role>" of the user with email, "" when
// none: what user-sync linked it to.
func (w *wordpressSite) linkedUser(t *testing.T, email string) string {
	t.Helper()
	row := w.db.query(t, `SELECT COALESCE(x.meta_value, ''), c.meta_value FROM wp_users u
		LEFT JOIN wp_usermeta x ON x.user_id = u.ID AND x.meta_key = 'hookgate_external_id'
		JOIN wp_usermeta c ON c.user_id = u.ID AND c.meta_key = 'wp_capabilities'
		WHERE u.user_email = `+sqlString(email))
	external, caps, _ := strings.Cut(row, "\t")
	var roles []string
	for _, m := range regexp.MustCompile(`s:\d+:"([a-z_]+)";b:1`).FindAllStringSubmatch(caps, -1) {
		roles = append(roles, m[1])
	}
	return external + "\t" + strings.Join(roles, ",")
}

// envelopeBody is a canonical envelope as the relay sends it.
func envelopeBody(id, typ string) string {
	return fmt.Sprintf(`{"id":%q,"source":"stripe","tenant":"default","type":%q,"occurred_at":"2026-12-01T00:00:00Z","received_at":"2026-12-01T00:00:01Z","data":{"object":{"id":"in_1"}}}`, id, typ)
}

// relaySigned signs a delivery as the relay does: Standard Webhooks, with
// Idempotency-Key equal to webhook-id.
func relaySigned(body, id string, at time.Time) http.Header {
	return relaySignedWith(relaySecret, body, id, at)
}

func relaySignedWith(secret, body, id string, at time.Time) http.Header {
	return withHeader(standardSignedWith(secret, body, id, at), "Idempotency-Key", id)
}

func withHeader(h http.Header, k, v string) http.Header {
	h.Set(k, v)
	return h
}
