// Package cli is `caddy hookgate …`: Caddy subcommands that sign and send
// test webhooks and operate the relays through the hookgate admin API, so
// they ship in the same binary as the modules.
package cli

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func init() {
	caddycmd.RegisterCommand(caddycmd.Command{
		Name:  "hookgate",
		Usage: "sign|send|stats|dead|event|redeliver [flags]",
		Short: "Signs and sends test webhooks; inspects and replays Hookgate's relays",
		Long: `
Hookgate's operating commands.

  sign       print the headers a provider would send with the body on stdin
  send       sign the body on stdin and POST it
  stats      streams and relays: length, lag, pending, scheduled, dead, breaker
  dead       list, replay or purge a relay's dead letters
  event      where one event is now
  redeliver  send already delivered events of a time range to one relay again

stats, dead, event and redeliver talk to the admin API of a running Caddy
(--address, default the admin address "caddy stop" would use) and print
tables; --json prints the server's JSON.
`,
		CobraFunc: Setup,
	})
}

// Setup adds the hookgate subcommands to cmd, the "hookgate" command Caddy
// registers; tests run them under a root of their own.
func Setup(cmd *cobra.Command) {
	cmd.AddCommand(signCommand(), sendCommand(), statsCommand(), deadCommand(), eventCommand(), redeliverCommand())
}

// isTerminal says whether w is a terminal, where a progress line that
// rewrites itself reads well; in a log or a pipe it is noise. Tests replace it.
var isTerminal = func(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// now is the clock relative times ("24h" ago) are read against.
var now = time.Now

// parseTime reads an RFC 3339 time, unix seconds, or a duration meaning
// that long ago ("90m", "24h").
func parseTime(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return time.Unix(n, 0), nil
	}
	if d, err := time.ParseDuration(strings.TrimPrefix(s, "-")); err == nil {
		return now().Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not an RFC 3339 time, unix seconds or a duration ago (24h)", s)
}

// cell makes a value from the server or a receiver safe for one table
// cell: a newline or tab would break the table, an escape sequence would
// reach the terminal.
func cell(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if max > 0 && len([]rune(s)) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	if s == "" {
		return "-"
	}
	return s
}
