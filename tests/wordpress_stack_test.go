//go:build wordpress

package tests

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
)

// Debian's wordpress package: the code in wordpressRoot, and a
// wp-config.php that reads /etc/wordpress/config-<WORDPRESS_CONFIG>.php.
const (
	wordpressRoot   = "/usr/share/wordpress"
	wordpressConfig = "/etc/wordpress"
	wpAdminPassword = "e2e-admin-password-Hx7"
	wpDBPassword    = "e2e-db-password-Qz4"
)

// TestWordPressInstallPolicy runs tests/wordpress.sh install with stand-ins
// for dpkg-query (every package missing), id (root) and apt-get, and the
// policy-rc.d it writes moved into the test's folder: the policy must hold
// the packaged services while apt-get runs, and be gone however apt-get
// ends, unless it was there before the script.
func TestWordPressInstallPolicy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		aptExit  int
		existing string // the policy-rc.d in place before the script, "" for none
	}{
		{"a failed install removes the policy it wrote", 100, ""},
		{"a finished install removes the policy it wrote", 0, ""},
		{"a failed install keeps a policy that was there", 100, "#!/bin/sh\nexit 0\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			bin := filepath.Join(dir, "bin")
			policy := filepath.Join(dir, "policy-rc.d")
			held := filepath.Join(dir, "held")
			fakes := map[string]string{
				"dpkg-query": "exit 1",
				"id":         "echo 0",
				// While installing, ask the policy whether a service may
				// start, as invoke-rc.d does, and note its answer.
				"apt-get": fmt.Sprintf(`[ "$1" = update ] && exit 0
if [ -x %[1]q ]; then %[1]q hookgate-e2e start; echo $? >%[2]q; fi
exit %[3]d`, policy, held, tc.aptExit),
			}
			if err := os.MkdirAll(bin, 0o755); err != nil {
				t.Fatal(err)
			}
			for name, script := range fakes {
				if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+script+"\n"), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if tc.existing != "" {
				if err := os.WriteFile(policy, []byte(tc.existing), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("./wordpress.sh", "install")
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "HOOKGATE_POLICY_RC_D="+policy)
			out, err := cmd.CombinedOutput()
			if (err == nil) != (tc.aptExit == 0) {
				t.Fatalf("wordpress.sh install with apt-get exiting %d: %v\n%s", tc.aptExit, err, out)
			}
			answer, _ := os.ReadFile(held)
			left, statErr := os.ReadFile(policy)
			switch {
			case tc.existing != "":
				if string(left) != tc.existing {
					t.Fatalf("the policy that was there reads %q after the script, want it as it was", left)
				}
			case strings.TrimSpace(string(answer)) != "101":
				t.Fatalf("while apt-get ran the policy answered %q, want 101 (services held)", answer)
			case !os.IsNotExist(statErr):
				t.Fatalf("the script left its policy-rc.d behind (%v): %q", statErr, left)
			}
		})
	}
}

// wordpressSite is a real WordPress from Debian's packages: MariaDB on a
// loopback port with its own datadir, php-fpm on a unix socket, served
// through php_fastcgi by the same Caddy that hosts the webhook routes and
// the relay, as users run it.
type wordpressSite struct {
	dir   string
	redis *redistest.Server
	rdb   *redis.Client // to redis, for reading the stream and the relay's state
	db    *mariadb
	fpm   *phpFPM
	caddy *caddy
	admin *http.Client // logged in as the site's administrator
}

// startWordPress brings the whole stack up, installs WordPress through its
// installer, logs in and activates the plugin from the zip users install.
func startWordPress(t *testing.T) *wordpressSite {
	t.Helper()
	for _, bin := range []string{"mariadbd", "mariadb-install-db", "mysql", "zip", "unzip"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Fatalf("%s is required: run tests/wordpress.sh, which installs the stack (%v)", bin, err)
		}
	}
	if _, err := os.Stat(filepath.Join(wordpressRoot, "wp-settings.php")); err != nil {
		t.Fatalf("Debian's wordpress package is required: run tests/wordpress.sh (%v)", err)
	}
	w := &wordpressSite{dir: t.TempDir(), redis: redistest.Start(t)}
	w.rdb = redis.NewClient(&redis.Options{Addr: w.redis.Addr})
	t.Cleanup(func() { w.rdb.Close() })
	w.db = startMariaDB(t, filepath.Join(w.dir, "db"))
	w.fpm = startPHPFPM(t, filepath.Join(w.dir, "fpm"))
	port := redistest.FreePort(t)
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	name := w.writeConfig(t, base)
	w.caddy = startCaddyOn(t, port, w.redis.URL(), wordpressRelay(base), fmt.Sprintf(`
	webhook /hooks/stripe stripe {
		secret %s
	}
	webhook /hooks/github github {
		secret %s
	}
	webhook /hooks/wordpress wordpress {
		secret %s
	}
	root * %s
	php_fastcgi unix/%s {
		env WORDPRESS_CONFIG %s
	}
	file_server`, stripeSecret, githubSecret, wordpressSecret, wordpressRoot, w.fpm.socket, name))
	w.install(t)
	w.activatePlugin(t)
	return w
}

// wordpressRelay delivers every event to the plugin, customer events to
// its user-sync route, with short backoffs so retries show within a test.
func wordpressRelay(base string) string {
	return fmt.Sprintf(`relay wordpress {
			to %s/wp-json/hookgate/v1/events
			secret %s
			route customer.* /wp-json/hookgate/v1/user-sync
			backoff 100ms 1s
			breaker 5 500ms
			max_attempts 200
			timeout 10s
			claim_after 30s
		}`, base, relaySecret)
}

// writeConfig lays out wp-content under the test's folder (the plugin
// unzipped from the zip users install, the recorder mu-plugin) and a
// wp-config for it; the only file outside the folder is the
// one-line /etc/wordpress/config-<name>.php Debian's loader requires,
// removed when the test ends. It returns <name>.
func (w *wordpressSite) writeConfig(t *testing.T, base string) string {
	t.Helper()
	content := filepath.Join(w.dir, "wp-content")
	for _, d := range []string{"plugins", "mu-plugins", "uploads"} {
		if err := os.MkdirAll(filepath.Join(content, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(wordpressRoot, "wp-content", "themes"), filepath.Join(content, "themes")); err != nil {
		t.Fatal(err)
	}
	zipPath := filepath.Join(w.dir, "hookgate.zip")
	run(t, exec.Command("../xcaddy.sh", "plugin", zipPath))
	run(t, exec.Command("unzip", "-q", zipPath, "-d", filepath.Join(content, "plugins")))
	recorder, err := os.ReadFile("testdata/wordpress/hookgate-e2e.php")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(content, "mu-plugins", "hookgate-e2e.php"), recorder, 0o644); err != nil {
		t.Fatal(err)
	}

	var salts strings.Builder
	for _, k := range []string{"AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT", "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"} {
		fmt.Fprintf(&salts, "define( '%s', '%s' );\n", k, randomHex(t, 32))
	}
	config := filepath.Join(w.dir, "wp-config.php")
	if err := os.WriteFile(config, fmt.Appendf(nil, `<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'wordpress' );
define( 'DB_PASSWORD', '%s' );
define( 'DB_HOST', '127.0.0.1:%d' );
define( 'WP_CONTENT_DIR', '%s' );
define( 'WP_DEBUG', true );
define( 'WP_DEBUG_LOG', '%s' );
define( 'WP_DEBUG_DISPLAY', false );
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
define( 'DISABLE_WP_CRON', true ); // the test runs the outbox retry itself
define( 'HOOKGATE_SECRET', '%s' );
define( 'HOOKGATE_SEND_SECRET', '%s' );
define( 'HOOKGATE_GATEWAY_URL', '%s/hooks/wordpress' );
%s`, wpDBPassword, w.db.port, content, filepath.Join(w.dir, "debug.log"), relaySecret, wordpressSecret, base, salts.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	name := "hookgate-e2e-" + randomHex(t, 6)
	loader := filepath.Join(wordpressConfig, "config-"+name+".php")
	if err := os.WriteFile(loader, fmt.Appendf(nil, "<?php require %q;\n", config), 0o644); err != nil {
		t.Fatalf("writing Debian's per-site config: %v", err)
	}
	t.Cleanup(func() {
		os.Remove(loader)
		if t.Failed() {
			for _, f := range []string{"debug.log", "fpm/php-errors.log", "fpm/php-fpm.log"} {
				if b, err := os.ReadFile(filepath.Join(w.dir, f)); err == nil {
					t.Logf("%s:\n%s", f, tail(b, 4000))
				}
			}
		}
	})
	return name
}

// install completes WordPress's installer, as a person would in a browser.
func (w *wordpressSite) install(t *testing.T) {
	t.Helper()
	form := url.Values{
		"weblog_title": {"Hookgate e2e"}, "user_name": {"admin"},
		"admin_password": {wpAdminPassword}, "admin_password2": {wpAdminPassword}, "pw_weak": {"1"},
		"admin_email": {"admin@example.com"}, "blog_public": {"0"}, "language": {""},
	}
	status, body := w.form(t, http.DefaultClient, "/wp-admin/install.php?step=2", form)
	if status != 200 || !strings.Contains(body, "Success!") {
		t.Fatalf("installing WordPress: %d %s", status, tail([]byte(body), 2000))
	}
	jar, _ := cookiejar.New(nil)
	w.admin = &http.Client{Jar: jar, Timeout: 30 * time.Second}
	w.get(t, w.admin, "/wp-login.php") // sets the test cookie login checks for
	status, body = w.form(t, w.admin, "/wp-login.php", url.Values{
		"log": {"admin"}, "pwd": {wpAdminPassword}, "testcookie": {"1"}, "redirect_to": {w.caddy.Base + "/wp-admin/"},
	})
	if status != 200 || !strings.Contains(body, "Dashboard") {
		t.Fatalf("logging in: %d %s", status, tail([]byte(body), 2000))
	}
}

// activatePlugin follows the Activate link on the Plugins screen.
func (w *wordpressSite) activatePlugin(t *testing.T) {
	t.Helper()
	_, page := w.get(t, w.admin, "/wp-admin/plugins.php")
	link := regexp.MustCompile(`href="(plugins\.php\?action=activate&amp;plugin=hookgate%2Fhookgate\.php[^"]*)"`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no Activate link for hookgate on the Plugins screen:\n%s", tail([]byte(page), 3000))
	}
	status, body := w.get(t, w.admin, "/wp-admin/"+strings.ReplaceAll(link[1], "&amp;", "&"))
	if status != 200 || !strings.Contains(body, "Plugin activated") {
		t.Fatalf("activating the plugin: %d %s", status, tail([]byte(body), 2000))
	}
	if got := w.db.query(t, "SHOW TABLES LIKE 'wp_hookgate_%'"); !strings.Contains(got, "wp_hookgate_inbox") || !strings.Contains(got, "wp_hookgate_outbox") {
		t.Fatalf("activation created the tables %q, want the inbox and the outbox", got)
	}
	w.db.query(t, `CREATE TABLE wp_hookgate_e2e_effects (
		id bigint unsigned NOT NULL AUTO_INCREMENT PRIMARY KEY,
		event_id varchar(255) NOT NULL, source varchar(64) NOT NULL, type varchar(191) NOT NULL,
		route varchar(64) NOT NULL, envelope longtext NOT NULL)`)
}

func (w *wordpressSite) get(t *testing.T, c *http.Client, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.caddy.Base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	status, _, body := doWith(t, c, req)
	return status, body
}

func (w *wordpressSite) form(t *testing.T, c *http.Client, path string, v url.Values) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.caddy.Base+path, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	status, _, body := doWith(t, c, req)
	return status, body
}

// mariadb is a MariaDB server of the test's own: its datadir, its socket,
// a loopback port.
type mariadb struct {
	socket string
	port   int
}

func startMariaDB(t *testing.T, dir string) *mariadb {
	t.Helper()
	data := filepath.Join(dir, "data")
	if err := os.MkdirAll(data, 0o755); err != nil {
		t.Fatal(err)
	}
	m := &mariadb{socket: filepath.Join(dir, "mysqld.sock"), port: redistest.FreePort(t)}
	run(t, exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+data, "--user=root",
		"--auth-root-authentication-method=socket", "--skip-test-db"))
	cmd := exec.Command("mariadbd", "--no-defaults", "--datadir="+data, "--user=root",
		"--socket="+m.socket, fmt.Sprintf("--port=%d", m.port), "--bind-address=127.0.0.1",
		"--pid-file="+filepath.Join(dir, "mysqld.pid"), "--log-error="+filepath.Join(dir, "error.log"),
		"--skip-log-bin", "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=2")
	startOwned(t, cmd, syscall.SIGTERM, 60*time.Second)
	waitFor(t, 60*time.Second, "mariadbd to accept connections", func() bool {
		return exec.Command("mysql", m.args("-e", "SELECT 1")...).Run() == nil
	})
	m.query(t, fmt.Sprintf(`CREATE DATABASE wordpress;
		CREATE USER 'wordpress'@'127.0.0.1' IDENTIFIED BY '%s';
		GRANT ALL ON wordpress.* TO 'wordpress'@'127.0.0.1'`, wpDBPassword))
	return m
}

func (m *mariadb) args(extra ...string) []string {
	return append([]string{"--no-defaults", "--socket=" + m.socket, "-uroot", "-N", "-B"}, extra...)
}

// query runs SQL in the wordpress database (mysql itself before it exists)
// and returns mysql's tab-separated output.
func (m *mariadb) query(t *testing.T, sql string) string {
	t.Helper()
	db := "wordpress"
	if strings.HasPrefix(sql, "CREATE DATABASE") {
		db = "mysql"
	}
	out, err := exec.Command("mysql", m.args(db, "-e", sql)...).CombinedOutput()
	if err != nil {
		t.Fatalf("mysql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimRight(string(out), "\n")
}

// phpFPM is a php-fpm master of the test's own on a unix socket; Stop and
// Start let a test take PHP away from under a running Caddy.
type phpFPM struct {
	t      *testing.T
	dir    string
	socket string
	cmd    *exec.Cmd
}

func startPHPFPM(t *testing.T, dir string) *phpFPM {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	f := &phpFPM{t: t, dir: dir, socket: filepath.Join(dir, "php-fpm.sock")}
	conf := fmt.Sprintf(`[global]
pid = %[1]s/php-fpm.pid
error_log = %[1]s/php-fpm.log
daemonize = no

[hookgate-e2e]
user = root
group = root
listen = %[2]s
pm = static
pm.max_children = 6
catch_workers_output = yes
php_admin_flag[log_errors] = on
php_admin_value[error_log] = %[1]s/php-errors.log
`, dir, f.socket)
	if err := os.WriteFile(filepath.Join(dir, "php-fpm.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	f.Start()
	t.Cleanup(f.Stop)
	return f
}

// Start runs the master and waits until its socket accepts.
func (f *phpFPM) Start() {
	f.t.Helper()
	bins, _ := filepath.Glob("/usr/sbin/php-fpm*")
	if len(bins) == 0 {
		f.t.Fatal("php-fpm is required: run tests/wordpress.sh, which installs the stack")
	}
	f.cmd = exec.Command(bins[0], "--nodaemonize", "--allow-to-run-as-root", "--fpm-config", filepath.Join(f.dir, "php-fpm.conf"))
	f.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if out, err := os.Create(filepath.Join(f.dir, "stdout.log")); err == nil {
		f.cmd.Stdout, f.cmd.Stderr = out, out
	}
	if err := f.cmd.Start(); err != nil {
		f.t.Fatalf("starting php-fpm: %v", err)
	}
	waitFor(f.t, 30*time.Second, "php-fpm to listen on "+f.socket, func() bool {
		c, err := net.Dial("unix", f.socket)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

// Stop ends the master and its workers and waits for them.
func (f *phpFPM) Stop() {
	if f.cmd == nil {
		return
	}
	stopGroup(f.cmd, syscall.SIGQUIT, 20*time.Second)
	f.cmd = nil
	os.Remove(f.socket)
}

// startOwned starts cmd in its own process group and stops the group with
// sig when the test ends.
func startOwned(t *testing.T, cmd *exec.Cmd, sig syscall.Signal, grace time.Duration) {
	t.Helper()
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	t.Cleanup(func() { stopGroup(cmd, sig, grace) })
}

// stopGroup signals cmd's process group, then kills what outlives grace.
func stopGroup(cmd *exec.Cmd, sig syscall.Signal, grace time.Duration) {
	_ = syscall.Kill(-cmd.Process.Pid, sig)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func run(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
}

// sqlString quotes s as a MariaDB string literal.
func sqlString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, "'", "''").Replace(s) + "'"
}

func randomHex(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
