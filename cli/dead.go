package cli

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// batch is how many dead letters one request of a paged replay or purge
// names: small enough that each request holds Redis briefly, large enough
// that thousands take seconds.
const batch = 500

type deadEntry struct {
	ID           text `json:"id"`
	Entry        text `json:"entry"`
	EventID      text `json:"event_id"`
	Source       text `json:"source"`
	Tenant       text `json:"tenant"`
	Type         text `json:"type"`
	Attempts     text `json:"attempts"`
	Status       text `json:"status"`
	Error        text `json:"error"`
	Body         text `json:"body"`
	FirstAttempt text `json:"first_attempt"`
	LastAttempt  text `json:"last_attempt"`
}

type deadPage struct {
	Relay   text        `json:"relay"`
	Entries []deadEntry `json:"entries"`
	Next    text        `json:"next"`
}

func deadCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "dead ls|replay|purge",
		Short: "Lists, replays or purges a relay's dead letters",
	}
	cmd.AddCommand(deadListCommand(), deadActCommand("replay", "replayed",
		"Sends dead letters back to their relay with fresh attempts (only that relay sees them again)"),
		deadActCommand("purge", "purged", "Deletes dead letters"))
	return cmd
}

func listDead(c *adminClient, relay string, count int, after string) (deadPage, []byte, error) {
	var page deadPage
	raw, err := c.do(http.MethodGet, "/hookgate/dead", deadQuery(relay, count, after), nil, &page)
	return page, raw, err
}

// deadQuery selects one page of a relay's dead letters.
func deadQuery(relay string, count int, after string) url.Values {
	q := url.Values{}
	if relay != "" {
		q.Set("relay", relay)
	}
	if count > 0 {
		q.Set("count", strconv.Itoa(count))
	}
	if after != "" {
		q.Set("after", after)
	}
	return q
}

func deadListCommand() *cobra.Command {
	var f adminFlags
	var relay, after string
	var count int
	cmd := &cobra.Command{
		Use:     "ls [--relay <name>] [--count <n>] [--after <id>] [--address <addr>] [--json]",
		Aliases: []string{"list"},
		Short:   "Lists dead letters, oldest first, one page at a time",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, &f, http.MethodGet, "/hookgate/dead", deadQuery(relay, count, after), nil, renderDead)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&relay, "relay", "", "the relay (default: the server's, when there is one relay)")
	cmd.Flags().IntVar(&count, "count", 0, "entries per page (default: the server's)")
	cmd.Flags().StringVar(&after, "after", "", "start after this dead-letter id (the previous page's next)")
	return cmd
}

func renderDead(out io.Writer, page deadPage) error {
	tw := table(out)
	fmt.Fprintln(tw, "ID\tEVENT\tSOURCE\tTENANT\tTYPE\tATTEMPTS\tSTATUS\tLAST ATTEMPT\tERROR")
	for _, e := range page.Entries {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(e.ID.String(), 0), cell(e.EventID.String(), 40),
			cell(e.Source.String(), 20), cell(e.Tenant.String(), 20), cell(e.Type.String(), 40),
			cell(e.Attempts.String(), 0), cell(e.Status.String(), 0), e.LastAttempt.when(), cell(e.Error.String(), 60))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if page.Next != "" {
		_, err := fmt.Fprintf(out, "more: --after %s\n", cell(page.Next.String(), 0))
		return err
	}
	return nil
}

// deadSelector is one of the three ways the API names dead letters.
type deadSelector struct {
	relay       string
	ids         []string
	all         bool
	glob, since string
}

func (s deadSelector) body() (map[string]any, error) {
	if s.relay == "" {
		return nil, errors.New("--relay is required")
	}
	n := 0
	for _, set := range []bool{len(s.ids) > 0, s.all, s.glob != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, errors.New("name the dead letters with one of --id, --all or --type")
	}
	if s.since != "" && s.glob == "" {
		return nil, errors.New("--since goes with --type")
	}
	b := map[string]any{"relay": s.relay}
	switch {
	case len(s.ids) > 0:
		b["ids"] = s.ids
	case s.all:
		b["all"] = true
	default:
		if _, err := path.Match(s.glob, ""); err != nil {
			return nil, fmt.Errorf("--type %q: %w", s.glob, err)
		}
		b["type"] = s.glob
		if s.since != "" {
			t, err := parseTime(s.since)
			if err != nil {
				return nil, fmt.Errorf("--since: %w", err)
			}
			b["since"] = t.UTC().Format(time.RFC3339Nano)
		}
	}
	return b, nil
}

func deadActCommand(verb, done, short string) *cobra.Command {
	var f adminFlags
	var sel deadSelector
	cmd := &cobra.Command{
		Use:   verb + " --relay <name> (--id <id>… | --all | --type <glob> [--since <time>]) [--address <addr>] [--json]",
		Short: short,
		Long: short + `.

--id takes dead-letter ids (the ID column of "dead ls"), repeated or
comma-separated, or as arguments. --type takes a glob over the event type
("invoice.*"); --since (RFC 3339, unix seconds or a duration ago such as
24h) narrows it to recent dead letters. On a terminal, --all and long --id
lists go in batches of ` + strconv.Itoa(batch) + ` with a progress line on stderr.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			sel.ids = append(sel.ids, args...)
			body, err := sel.body()
			if err != nil {
				return err
			}
			c, err := f.client()
			if err != nil {
				return err
			}
			a := deadAction{c: c, verb: verb, done: done, relay: sel.relay}
			if !f.json && isTerminal(cmd.ErrOrStderr()) {
				a.progress = cmd.ErrOrStderr()
			}
			var n int64
			var raw []byte
			switch {
			case len(sel.ids) > batch:
				n, err = a.ids(sel.ids)
				raw = fmt.Appendf(nil, `{%q:%d}`, done, n)
			case sel.all && a.progress != nil && a.countDead():
				n, err = a.pageAll()
				raw = fmt.Appendf(nil, `{%q:%d}`, done, n)
			default:
				n, raw, err = a.post(body)
			}
			if err != nil {
				return err
			}
			if f.json {
				return printJSON(cmd.OutOrStdout(), raw)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %d\n", done, n)
			return err
		},
	}
	f.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&sel.relay, "relay", "", "the relay whose dead letters these are")
	fl.StringSliceVar(&sel.ids, "id", nil, "dead-letter ids")
	fl.BoolVar(&sel.all, "all", false, "every dead letter of the relay")
	fl.StringVar(&sel.glob, "type", "", `dead letters whose event type matches this glob, such as "invoice.*"`)
	fl.StringVar(&sel.since, "since", "", "with --type: only those dead-lettered since this time")
	return cmd
}

// deadAction replays or purges, in one request or page by page.
type deadAction struct {
	c           *adminClient
	verb, done  string
	relay       string
	progress    io.Writer // nil: no progress line
	total, sent int64
	shown       bool // a progress line is on the terminal
}

func (a *deadAction) post(body map[string]any) (int64, []byte, error) {
	reply := map[string]text{}
	raw, err := a.c.do(http.MethodPost, "/hookgate/dead/"+a.verb, nil, body, &reply)
	if err != nil {
		return 0, raw, err
	}
	n, err := strconv.ParseInt(reply[a.done].String(), 10, 64)
	if err != nil {
		return 0, raw, fmt.Errorf("POST /hookgate/dead/%s: no %q count in the answer", a.verb, a.done)
	}
	return n, raw, nil
}

func (a *deadAction) batch(ids []string) error {
	n, _, err := a.post(map[string]any{"relay": a.relay, "ids": ids})
	a.sent += n
	a.report(false)
	return err
}

// ids sends a long list of ids in batches.
func (a *deadAction) ids(ids []string) (int64, error) {
	a.total = int64(len(ids))
	for len(ids) > 0 {
		k := min(batch, len(ids))
		if err := a.batch(ids[:k]); err != nil {
			a.report(true)
			return a.sent, err
		}
		ids = ids[k:]
	}
	a.report(true)
	return a.sent, nil
}

// pageAll walks the dead letters as `dead ls` pages them and sends each
// page's ids. It stops after as many as there were when it began: with the
// target still down, replayed events come back as new dead letters behind
// the cursor, and following them would never end.
func (a *deadAction) pageAll() (int64, error) {
	seen, after := int64(0), ""
	for seen < a.total {
		page, _, err := listDead(a.c, a.relay, int(min(batch, a.total-seen)), after)
		if err != nil {
			a.report(true)
			return a.sent, err
		}
		if len(page.Entries) == 0 {
			break
		}
		ids := make([]string, len(page.Entries))
		for i, e := range page.Entries {
			ids[i] = e.ID.String()
		}
		seen += int64(len(ids))
		if err := a.batch(ids); err != nil {
			a.report(true)
			return a.sent, err
		}
		if page.Next == "" {
			break
		}
		after = page.Next.String()
	}
	a.report(true)
	return a.sent, nil
}

// countDead sets total to the relay's dead letters from stats. Without it
// the walk has no bound, so the caller sends one {"all":true} instead and
// the server bounds it.
func (a *deadAction) countDead() bool {
	var st statsReply
	if _, err := a.c.do(http.MethodGet, "/hookgate/stats", nil, nil, &st); err != nil {
		return false
	}
	for _, s := range st.Streams {
		for _, r := range s.Relays {
			if r.Relay.String() == a.relay {
				n, err := strconv.ParseInt(r.Dead.String(), 10, 64)
				a.total = n
				return err == nil
			}
		}
	}
	return false
}

func (a *deadAction) report(last bool) {
	if a.progress == nil {
		return
	}
	if !last || !a.shown {
		fmt.Fprintf(a.progress, "\r%s %d/%d", a.done, a.sent, a.total)
		a.shown = true
	}
	if last {
		fmt.Fprintln(a.progress)
	}
}
