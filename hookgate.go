// Package hookgate registers the Hookgate Caddy modules. Build Caddy with
//
//	xcaddy build --with github.com/hookgate/caddy-hookgate
package hookgate

import (
	// The modules register themselves in init.
	_ "github.com/hookgate/caddy-hookgate/caddymodule"
)
