package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	caddycmd "github.com/caddyserver/caddy/v2/cmd"
	"github.com/spf13/cobra"
)

// adminFlags are the flags of every command that talks to the admin API.
type adminFlags struct {
	address, config, adapter string
	json                     bool
	timeout                  time.Duration
}

func (f *adminFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.address, "address", "", "admin API address (default: from --config, else $CADDY_ADMIN, else "+caddy.DefaultAdminListen+")")
	fl.StringVarP(&f.config, "config", "c", "", "read the admin address from this config file")
	fl.StringVarP(&f.adapter, "adapter", "a", "", "adapter of --config")
	fl.BoolVar(&f.json, "json", false, "print the server's JSON instead of a table")
	fl.DurationVar(&f.timeout, "timeout", 2*time.Minute, "give up on an answer after this long")
}

// client finds the admin address the way `caddy stop` does.
func (f *adminFlags) client() (*adminClient, error) {
	addr, err := caddycmd.DetermineAdminAPIAddress(f.address, nil, f.config, f.adapter)
	if err != nil {
		return nil, fmt.Errorf("finding the admin address: %w", err)
	}
	return newAdminClient(addr, f.timeout)
}

// adminClient talks to Caddy's admin endpoint over whatever network it
// listens on (tcp, unix), as caddycmd.AdminAPIRequest does, but hands back
// the status and body so the server's {"error": …} can be shown as it is.
type adminClient struct {
	origin string
	http   *http.Client
}

func newAdminClient(addr string, timeout time.Duration) (*adminClient, error) {
	na, err := caddy.ParseNetworkAddress(addr)
	if err != nil || na.PortRangeSize() > 1 {
		return nil, fmt.Errorf("invalid admin address %s: %v", addr, err)
	}
	origin := "http://" + na.JoinHostPort(0)
	if na.IsUnixNetwork() {
		// The socket's permission bits may follow its path ("|0220"); the
		// host is never dialled, it only keeps the request well formed.
		na.Host, _, _ = strings.Cut(na.Host, "|")
		origin = "http://127.0.0.1"
	}
	dial := na.JoinHostPort(0)
	return &adminClient{
		origin: origin,
		http: &http.Client{
			Timeout: timeout,
			Transport: &http.Transport{
				DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, na.Network, dial)
				},
			},
		},
	}, nil
}

// apiError is an answer outside 2xx, with the server's message.
type apiError struct {
	method, path string
	status       int
	message      string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.method, e.path, e.status, http.StatusText(e.status), e.message)
}

// do sends in (when not nil) as JSON and returns the answer's bytes,
// decoded into out when out is not nil.
func (c *adminClient) do(method, path string, query url.Values, in, out any) ([]byte, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	uri := path
	if len(query) > 0 {
		uri += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, c.origin+uri, body)
	if err != nil {
		return nil, err
	}
	// Caddy refuses admin requests from an origin it does not know; this
	// is the one it listens as.
	req.Header.Set("Origin", c.origin)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("%s %s: reading the answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(raw))
		if json.Unmarshal(raw, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		if len(msg) > 1024 {
			msg = msg[:1024] + "…"
		}
		return raw, &apiError{method: method, path: path, status: resp.StatusCode, message: cell(msg, 0)}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, path, err)
		}
	}
	return raw, nil
}

// show asks the admin API once and prints the answer: the server's JSON
// as it came with --json, else render's table of it.
func show[T any](cmd *cobra.Command, f *adminFlags, method, path string, query url.Values, in any, render func(io.Writer, T) error) error {
	c, err := f.client()
	if err != nil {
		return err
	}
	var reply T
	raw, err := c.do(method, path, query, in, &reply)
	if err != nil {
		return err
	}
	if f.json {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	return render(cmd.OutOrStdout(), reply)
}

// printJSON writes the server's JSON as it came, on one line of its own.
func printJSON(w io.Writer, raw []byte) error {
	raw = bytes.TrimRight(raw, "\n")
	_, err := fmt.Fprintf(w, "%s\n", raw)
	return err
}

// text is any JSON scalar as its text, so a table shows what the server
// sent whether a field is a number or a string; objects show as JSON.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*t = text(s)
		return nil
	}
	if string(b) == "null" {
		*t = ""
		return nil
	}
	*t = text(b)
	return nil
}

func (t text) String() string { return string(t) }

// when shows a time field: RFC 3339 as sent, or unix seconds or
// milliseconds (the relay keeps milliseconds) as RFC 3339.
func (t text) when() string {
	s := string(t)
	var n int64
	if _, err := fmt.Sscanf(s, "%d", &n); err == nil && fmt.Sprint(n) == s {
		if n == 0 {
			return "-"
		}
		if n > 1e11 {
			return time.UnixMilli(n).UTC().Format(time.RFC3339)
		}
		return time.Unix(n, 0).UTC().Format(time.RFC3339)
	}
	return cell(s, 0)
}
