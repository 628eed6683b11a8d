// Command caddy is Caddy with the standard modules and Hookgate, for
// development and tests; users build theirs with xcaddy.sh.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"

	_ "github.com/hookgate/caddy-hookgate"
)

func main() {
	caddycmd.Main()
}
