package cli

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hookgate/caddy-hookgate/sign"
)

// signFlags are the flags sign and send share: what to sign and how.
type signFlags struct {
	provider, secret, secretEnv string
	timestamp, id, url          string
	opts                        sign.Options
}

func (f *signFlags) add(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.provider, "provider", "", "provider to sign as: "+strings.Join(sign.Providers(), ", "))
	fl.StringVar(&f.secret, "secret", "", "the route's secret (visible to other users in the process list: prefer --secret-env)")
	fl.StringVar(&f.secretEnv, "secret-env", "", "name of an environment variable holding the secret")
	fl.StringVar(&f.timestamp, "timestamp", "", "signing time: RFC 3339, unix seconds or a duration ago (default now)")
	fl.StringVar(&f.id, "id", "", "delivery id for providers that send one (github, standard, wordpress; hmac and token with --id-header); default random")
	fl.StringVar(&f.opts.Event, "event", "", "github: X-GitHub-Event (default ping)")
	fl.StringVar(&f.opts.Family, "family", "", "standard: header names, webhook (default) or svix")
	fl.StringVar(&f.opts.Header, "header", "", "hmac: signature header; token: token header (the route's header option)")
	fl.StringVar(&f.opts.Algorithm, "algorithm", "", "hmac: sha1, sha256 (default) or sha512")
	fl.StringVar(&f.opts.Encoding, "encoding", "", "hmac: hex (default) or base64")
	fl.StringVar(&f.opts.Prefix, "prefix", "", `hmac: text before the signature, such as "sha256="`)
	fl.StringVar(&f.opts.TimestampHeader, "timestamp-header", "", `hmac: header with unix seconds; then "<ts>.<body>" is signed`)
	fl.StringVar(&f.opts.IDHeader, "id-header", "", "hmac, token: header carrying --id")
	fl.StringVar(&f.opts.Template, "template", "", "hmac: the signed string, e.g. v0:{ts}:{body} (the route's template option)")
	fl.StringVar(&f.opts.SignatureFormat, "signature-format", "", "hmac: the route's signature_format, e.g. 'kv sep=, ts=t sig=v1'")
	fl.StringVar(&f.opts.TimestampFrom, "timestamp-from", "", "hmac: the route's timestamp_from, header:<Name> or json:<field>")
	fl.StringVar(&f.opts.TimestampFormat, "timestamp-format", "", "hmac: the route's timestamp_format, unix (default), unix_ms or rfc3339")
	fl.StringVar(&f.opts.IDFrom, "id-from", "", "hmac: the route's id_from, header:<Name> (sends --id there) or json:<field>")
	fl.StringVar(&f.opts.TypeFrom, "type-from", "", "hmac: the route's type_from, header:<Name> (sends --event there) or json:<field>")
}

// headers signs the body on in; the secret comes only from the flags or
// the environment and is never part of an error.
func (f *signFlags) headers(in io.Reader) (http.Header, []byte, error) {
	if f.provider == "" {
		return nil, nil, fmt.Errorf("--provider is required: one of %s", strings.Join(sign.Providers(), ", "))
	}
	secret := f.secret
	if f.secretEnv != "" {
		if secret != "" {
			return nil, nil, errors.New("give --secret or --secret-env, not both")
		}
		secret = os.Getenv(f.secretEnv)
		if secret == "" {
			return nil, nil, fmt.Errorf("environment variable %s is empty", f.secretEnv)
		}
	}
	if secret == "" {
		return nil, nil, errors.New("--secret or --secret-env is required")
	}
	at := now()
	if f.timestamp != "" {
		var err error
		if at, err = parseTime(f.timestamp); err != nil {
			return nil, nil, fmt.Errorf("--timestamp: %w", err)
		}
	}
	body, err := io.ReadAll(in)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the body from stdin: %w", err)
	}
	opts := f.opts
	opts.URL = f.url
	h, err := sign.Sign(f.provider, secret, body, at, f.id, opts)
	if err != nil {
		return nil, nil, err
	}
	return h, body, nil
}

func sortedNames(h http.Header) []string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func signCommand() *cobra.Command {
	var f signFlags
	var curl string
	cmd := &cobra.Command{
		Use:   "sign --provider <name> --secret <secret> [--timestamp <t>] [--id <id>] [--url <url>] [--curl <url>] < body.json",
		Short: "Prints the headers a provider would send with the body on stdin",
		Long: `Signs the body on stdin as the provider's senders do and prints the
headers, one "Name: value" a line, or with --curl a curl command that sends
them with the body. The headers are what the provider sends: for token they
include the token itself.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.url == "" {
				f.url = curl
			}
			h, body, err := f.headers(cmd.InOrStdin())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if curl != "" {
				_, err = fmt.Fprintln(out, curlCommand(curl, h, body))
				return err
			}
			for _, k := range sortedNames(h) {
				for _, v := range h[k] {
					if _, err := fmt.Fprintf(out, "%s: %s\n", k, v); err != nil {
						return err
					}
				}
			}
			return nil
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&f.url, "url", "", "the URL the request goes to, for schemes that sign it")
	cmd.Flags().StringVar(&curl, "curl", "", "print a curl command that POSTs to this URL instead of the headers")
	return cmd
}

// curlCommand is a POST of body with h to url as one shell command.
// --data-raw, unlike --data-binary, takes a body starting with @ as it is.
func curlCommand(url string, h http.Header, body []byte) string {
	var b strings.Builder
	b.WriteString("curl -sS -i -X POST")
	for _, k := range sortedNames(h) {
		for _, v := range h[k] {
			b.WriteString(" -H " + shellQuote(k+": "+v))
		}
	}
	b.WriteString(" --data-raw " + shellQuote(string(body)) + " " + shellQuote(url))
	return b.String()
}

// shellQuote quotes s for a POSIX shell: inside single quotes nothing is
// special but the single quote itself, which closes the quotes, is escaped
// and opens them again.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func sendCommand() *cobra.Command {
	var f signFlags
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "send --provider <name> --secret <secret> --url <url> [--timestamp <t>] [--id <id>] < body.json",
		Short: "Signs the body on stdin as a provider would and POSTs it",
		Long: `Signs the body on stdin as the provider's senders do, POSTs it to --url
and prints the status line and the answer. Exits non-zero unless the
answer is 2xx. Redirects are not followed: a provider does not follow them
either.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.url == "" {
				return errors.New("--url is required")
			}
			h, body, err := f.headers(cmd.InOrStdin())
			if err != nil {
				return err
			}
			return send(cmd.OutOrStdout(), f.url, h, body, timeout)
		},
	}
	f.add(cmd)
	cmd.Flags().StringVar(&f.url, "url", "", "where to POST")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Second, "give up on the answer after this long")
	return cmd
}

func send(out io.Writer, url string, h http.Header, body []byte, timeout time.Duration) error {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = h
	client := &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %w", err)
	}
	fmt.Fprintln(out, resp.Proto, resp.Status)
	if len(answer) > 0 {
		out.Write(answer)
		if answer[len(answer)-1] != '\n' {
			fmt.Fprintln(out)
		}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
