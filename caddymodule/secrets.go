package caddymodule

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// placeholdersOnly matches a configured secret made of nothing but
// {env.NAME} and {file./path} placeholders: one that resolved empty can be
// named in logs and errors, since it holds no secret text of its own.
var placeholdersOnly = regexp.MustCompile(`^(\{(env|file)\.[^{}]+\})+$`)

// resolveSecrets replaces the placeholders in h.Secrets. A secret that
// comes out empty is left out when another remains: that is a rotation
// slot not in use ({env.STRIPE_WEBHOOK_SECRET_OLD} unset between
// rotations), and refusing the route for it would break the normal case.
// With none left the route cannot verify anything, and Provision fails.
func (h *Handler) resolveSecrets() ([]string, error) {
	repl := caddy.NewReplacer()
	secrets := make([]string, 0, len(h.Secrets))
	type unset struct {
		pos  int
		name string // "secret 2 {env.STRIPE_WEBHOOK_SECRET_OLD}"
	}
	var empty []unset
	for i, s := range h.Secrets {
		if !strings.Contains(s, "{") {
			h.logger.Warn("a secret is written into the config (a literal, or a {$NAME} the Caddyfile adapter replaced): "+
				"the admin API serves the config and Caddy prints it at DEBUG; use {env.NAME} or {file./path}",
				zap.String("source", h.source), zap.Int("secret", i+1))
		}
		if v := repl.ReplaceAll(s, ""); v != "" {
			secrets = append(secrets, v)
			continue
		}
		name := fmt.Sprintf("secret %d", i+1)
		if placeholdersOnly.MatchString(s) {
			name += " " + s
		}
		empty = append(empty, unset{i + 1, name})
	}
	if len(secrets) == 0 {
		names := make([]string, len(empty))
		for i, e := range empty {
			names[i] = e.name
		}
		// Caddy's adapter keeps no line numbers in the JSON: the provider
		// and the placeholders are what lead back to the Caddyfile line.
		return nil, fmt.Errorf("webhook %s: every secret is empty after replacing placeholders (%s): "+
			"is its environment variable (or file) set?", h.source, strings.Join(names, ", "))
	}
	for _, e := range empty {
		h.logger.Info("a secret is empty after replacing placeholders and is left out; the route verifies with the others",
			zap.String("source", h.source), zap.Int("secret", e.pos), zap.String("left_out", e.name),
			zap.Int("secrets", len(secrets)))
	}
	return secrets, nil
}
