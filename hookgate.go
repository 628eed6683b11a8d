// Package hookgate registers the Hookgate Caddy modules and the
// `caddy hookgate` commands. Build Caddy with
//
//	xcaddy build --with github.com/hookgate/caddy-hookgate
package hookgate

import (
	// The modules and commands register themselves in init.
	_ "github.com/hookgate/caddy-hookgate/caddymodule"
	_ "github.com/hookgate/caddy-hookgate/cli"
)
