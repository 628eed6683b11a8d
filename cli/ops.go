package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

// breaker is a relay's breaker state as a word, whether the server sends
// the word, a bool (open or not) or an object with a state.
type breaker string

func (b *breaker) UnmarshalJSON(raw []byte) error {
	var open bool
	if json.Unmarshal(raw, &open) == nil {
		*b = map[bool]breaker{true: "open", false: "closed"}[open]
		return nil
	}
	var obj struct {
		State text `json:"state"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.State != "" {
		*b = breaker(obj.State)
		return nil
	}
	var t text
	_ = t.UnmarshalJSON(raw)
	*b = breaker(t)
	return nil
}

type statsReply struct {
	Streams []struct {
		Stream text `json:"stream"`
		Length text `json:"length"`
		Relays []struct {
			Relay     text    `json:"relay"`
			Lag       text    `json:"lag"`
			Pending   text    `json:"pending"`
			Scheduled text    `json:"scheduled"`
			Dead      text    `json:"dead"`
			Breaker   breaker `json:"breaker"`
			Consumers []struct {
				Name    text `json:"name"`
				Pending text `json:"pending"`
				IdleMS  text `json:"idle_ms"`
			} `json:"consumers"`
		} `json:"relays"`
	} `json:"streams"`
}

func statsCommand() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "stats [--address <addr>] [--json]",
		Short: "Shows each stream and relay: length, lag, pending, scheduled, dead, breaker, consumers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return show(cmd, &f, http.MethodGet, "/hookgate/stats", nil, nil, renderStats)
		},
	}
	f.add(cmd)
	return cmd
}

func renderStats(out io.Writer, st statsReply) error {
	tw := table(out)
	fmt.Fprintln(tw, "STREAM\tLENGTH\tRELAY\tLAG\tPENDING\tSCHEDULED\tDEAD\tBREAKER")
	consumers := 0
	for _, s := range st.Streams {
		if len(s.Relays) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t-\t-\t-\n", cell(s.Stream.String(), 40), cell(s.Length.String(), 0))
		}
		for _, r := range s.Relays {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(s.Stream.String(), 40), cell(s.Length.String(), 0),
				cell(r.Relay.String(), 40), cell(r.Lag.String(), 0), cell(r.Pending.String(), 0),
				cell(r.Scheduled.String(), 0), cell(r.Dead.String(), 0), cell(string(r.Breaker), 20))
			consumers += len(r.Consumers)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if consumers == 0 {
		return nil
	}
	fmt.Fprintln(out)
	tw = table(out)
	fmt.Fprintln(tw, "RELAY\tCONSUMER\tPENDING\tIDLE")
	for _, s := range st.Streams {
		for _, r := range s.Relays {
			for _, c := range r.Consumers {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", cell(r.Relay.String(), 40), cell(c.Name.String(), 60),
					cell(c.Pending.String(), 0), idle(c.IdleMS))
			}
		}
	}
	return tw.Flush()
}

func idle(ms text) string {
	n, err := strconv.ParseInt(ms.String(), 10, 64)
	if err != nil {
		return cell(ms.String(), 0)
	}
	d := time.Duration(n) * time.Millisecond
	if d >= time.Second {
		d = d.Round(100 * time.Millisecond)
	}
	return d.String()
}

type eventReply struct {
	Source text `json:"source"`
	Tenant text `json:"tenant"`
	ID     text `json:"id"`
	Stored *struct {
		Stream     text `json:"stream"`
		Entry      text `json:"entry"`
		ReceivedAt text `json:"received_at"`
	} `json:"stored"`
	Relays []struct {
		Relay       text `json:"relay"`
		State       text `json:"state"`
		NextAttempt text `json:"next_attempt"`
		Attempts    text `json:"attempts"`
		Status      text `json:"status"`
		Error       text `json:"error"`
		DeadID      text `json:"dead_id"`
	} `json:"relays"`
}

func eventCommand() *cobra.Command {
	var f adminFlags
	cmd := &cobra.Command{
		Use:   "event <source> <tenant> <id> [--address <addr>] [--json]",
		Short: "Shows where an event is now: stored, and delivered, pending, scheduled or dead per relay",
		Long: `Looks an event up by the source (the provider, or the route's name),
the tenant ("default" unless the route sets one) and the event id Hookgate
stored it under, as the ingest's 202 answer and the logs name it.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/hookgate/events/" + url.PathEscape(args[0]) + "/" + url.PathEscape(args[1]) + "/" + url.PathEscape(args[2])
			return show(cmd, &f, http.MethodGet, path, nil, nil, renderEvent)
		},
	}
	f.add(cmd)
	return cmd
}

func renderEvent(out io.Writer, ev eventReply) error {
	tw := table(out)
	fmt.Fprintf(tw, "source\t%s\n", cell(ev.Source.String(), 0))
	fmt.Fprintf(tw, "tenant\t%s\n", cell(ev.Tenant.String(), 0))
	fmt.Fprintf(tw, "id\t%s\n", cell(ev.ID.String(), 0))
	if ev.Stored == nil {
		fmt.Fprintf(tw, "stored\tno (trimmed, or never received)\n")
	} else {
		fmt.Fprintf(tw, "stream\t%s\n", cell(ev.Stored.Stream.String(), 0))
		fmt.Fprintf(tw, "entry\t%s\n", cell(ev.Stored.Entry.String(), 0))
		fmt.Fprintf(tw, "received\t%s\n", ev.Stored.ReceivedAt.when())
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ev.Relays) == 0 {
		return nil
	}
	fmt.Fprintln(out)
	tw = table(out)
	fmt.Fprintln(tw, "RELAY\tSTATE\tATTEMPTS\tSTATUS\tNEXT ATTEMPT\tDEAD ID\tERROR")
	for _, r := range ev.Relays {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(r.Relay.String(), 40), cell(r.State.String(), 20),
			cell(r.Attempts.String(), 0), cell(r.Status.String(), 0), r.NextAttempt.when(),
			cell(r.DeadID.String(), 0), cell(r.Error.String(), 60))
	}
	return tw.Flush()
}

func redeliverCommand() *cobra.Command {
	var f adminFlags
	var relay, from, to string
	cmd := &cobra.Command{
		Use:   "redeliver --relay <name> --from <time> --to <time> [--address <addr>] [--json]",
		Short: "Sends the events stored in a time range to one relay again",
		Long: `Queues the events stored between --from and --to for one relay again,
through that relay's replay stream: for a receiver that lost data. Other
relays of the stream are not affected. Times are RFC 3339, unix seconds or
a duration ago (24h); --to defaults to now.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if relay == "" || from == "" {
				return errors.New("--relay and --from are required")
			}
			start, err := parseTime(from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			end := now()
			if to != "" {
				if end, err = parseTime(to); err != nil {
					return fmt.Errorf("--to: %w", err)
				}
			}
			if end.Before(start) {
				return errors.New("--to is before --from")
			}
			return show(cmd, &f, http.MethodPost, "/hookgate/redeliver", nil, map[string]string{
				"relay": relay, "from": start.UTC().Format(time.RFC3339Nano), "to": end.UTC().Format(time.RFC3339Nano),
			}, func(out io.Writer, reply struct {
				Queued text `json:"queued"`
			}) error {
				_, err := fmt.Fprintf(out, "queued %s\n", cell(reply.Queued.String(), 0))
				return err
			})
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&relay, "relay", "", "the relay to redeliver to")
	cmd.Flags().StringVar(&from, "from", "", "start of the range (stored at or after)")
	cmd.Flags().StringVar(&to, "to", "", "end of the range (default now)")
	return cmd
}
