package tests

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// unsetEnv removes name from the environment for the test, restoring it
// afterwards.
func unsetEnv(t *testing.T, name string) {
	t.Helper()
	t.Setenv(name, "")
	os.Unsetenv(name)
}

// The README's own rotation line, with the old secret not set: the normal
// case between rotations.
func TestUnsetRotationSecretIsLeftOut(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_SECRET", stripeSecret)
	unsetEnv(t, "HOOKGATE_TEST_SECRET_OLD")
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), "", `
	webhook /stripe stripe {
		secret {env.HOOKGATE_TEST_SECRET} {env.HOOKGATE_TEST_SECRET_OLD}
	}`)

	body := stripeEvent("evt_rotation")
	if status, _, reply := c.post(t, "/stripe", stripeSigned(body, time.Now()), []byte(body)); status != 202 {
		t.Fatalf("an event signed with the secret that is set: %d %s\n%s", status, reply, c.Log.String())
	}
	log := c.Log.String()
	var dropped string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "{env.HOOKGATE_TEST_SECRET_OLD}") {
			dropped = line
		}
	}
	for _, want := range []string{`"level":"info"`, `"source":"stripe"`, `"secret":2`} {
		if !strings.Contains(dropped, want) {
			t.Errorf("the line about the secret left out lacks %s: %q", want, dropped)
		}
	}
	if strings.Contains(log, stripeSecret) {
		t.Errorf("the log shows the secret:\n%s", log)
	}
}

func TestEverySecretUnsetRefusesToStart(t *testing.T) {
	unsetEnv(t, "HOOKGATE_TEST_SECRET")
	unsetEnv(t, "HOOKGATE_TEST_SECRET_OLD")
	srv := redistest.Start(t)
	port := redistest.FreePort(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "Caddyfile")
	cfg := "{\n\tadmin off\n\thookgate {\n\t\tredis " + srv.URL() + "\n\t}\n}\n" +
		"http://127.0.0.1:" + strconv.Itoa(port) + " {\n\tbind 127.0.0.1\n\twebhook /stripe stripe {\n\t\tsecret {env.HOOKGATE_TEST_SECRET} {env.HOOKGATE_TEST_SECRET_OLD}\n\t}\n}\n"
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// A Caddy that starts anyway would serve forever: bound the wait.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, caddyBin, "run", "--config", path, "--adapter", "caddyfile")
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("caddy started with no secret:\n%s", out)
	}
	if err == nil {
		t.Fatalf("caddy exited cleanly with no secret:\n%s", out)
	}
	msg := strings.ReplaceAll(string(out), `\"`, `"`) // caddy logs the error as JSON
	for _, want := range []string{"webhook stripe", "every secret is empty", "{env.HOOKGATE_TEST_SECRET}", "{env.HOOKGATE_TEST_SECRET_OLD}"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error lacks %q:\n%s", want, msg)
		}
	}
}
