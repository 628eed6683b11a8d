package tests

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.yaml.in/yaml/v3"

	"github.com/hookgate/caddy-hookgate/internal/redistest"
	"github.com/hookgate/caddy-hookgate/internal/scrape"
)

const (
	dashboardFile = "../deploy/grafana/hookgate.json"
	alertsFile    = "../deploy/prometheus/alerts.yml"
)

// The dashboard and the alerting rules under deploy/ query only families
// a running Caddy with Hookgate exports, through labels and label values
// those families carry: a renamed metric or label breaks this test, not a
// dashboard nobody looks at until the night it is needed.
func TestDeployFilesQueryWhatCaddyExports(t *testing.T) {
	m := scrapeEveryFamily(t)
	for _, f := range []struct {
		file  string
		exprs func(t *testing.T, path string) []string
	}{
		{dashboardFile, dashboardExprs},
		{alertsFile, alertExprs},
	} {
		t.Run(strings.TrimPrefix(f.file, "../"), func(t *testing.T) {
			exprs := f.exprs(t, f.file)
			if len(exprs) == 0 {
				t.Fatalf("%s: no expressions found", f.file)
			}
			for _, e := range exprs {
				for _, err := range checkExpr(m, e) {
					t.Errorf("%s: %v\n\tin %s", f.file, err, e)
				}
			}
		})
	}
}

// scrapeEveryFamily runs Caddy with a webhook route and a relay, sends an
// event that is delivered, one that is dead-lettered and one with a bad
// signature, and scrapes /metrics once every Hookgate family has series.
func scrapeEveryFamily(t *testing.T) scrape.Metrics {
	t.Helper()
	srv := redistest.Start(t)
	c := startCaddy(t, srv.URL(), relayOpts(scriptedTarget(t)+"/ok", `
			route gone.* /gone
			max_attempts 1`), stripeRoute)
	now := time.Now()
	for _, b := range []string{typedStripe("evt_deploy_ok", "ok.x"), typedStripe("evt_deploy_gone", "gone.x")} {
		if code, _, body := c.post(t, "/stripe", stripeSigned(b, now), []byte(b)); code != 202 {
			t.Fatalf("%d %s", code, body)
		}
	}
	if code, _, _ := c.post(t, "/stripe", stripeSigned(stripeEvent("evt_a"), now), []byte(stripeEvent("evt_b"))); code != 401 {
		t.Fatalf("a bad signature: %d", code)
	}
	var m scrape.Metrics
	waitFor(t, 20*time.Second, "a delivery, a dead letter and the Redis gauges on /metrics", func() bool {
		m = scrapeAdmin(t, c)
		delivered, _ := m.Value("hookgate_relay_deliveries_total", "relay", "wp", "outcome", "delivered")
		dead, _ := m.Value("hookgate_relay_dead", "relay", "wp")
		_, aged := m.Value("hookgate_stats_age_seconds")
		return delivered == 1 && dead == 1 && aged
	})
	return m
}

// dashboardExprs reads the Grafana dashboard, checks it is importable the
// way the README says (a Prometheus datasource variable every query goes
// through, the source and relay variables), and returns the expression of
// every panel target and every query variable.
func dashboardExprs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title      string `json:"title"`
		UID        string `json:"uid"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s is not valid JSON: %v", path, err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: title %q, uid %q, %d panels: not a dashboard", path, dash.Title, dash.UID, len(dash.Panels))
	}
	var exprs []string
	datasource := ""
	vars := map[string]bool{}
	for _, v := range dash.Templating.List {
		vars[v.Name] = true
		switch v.Type {
		case "datasource":
			if v.Query != "prometheus" {
				t.Errorf("datasource variable %q picks %v, want prometheus", v.Name, v.Query)
			}
			datasource = "${" + v.Name + "}"
		case "query":
			q, _ := v.Query.(map[string]any)
			if s, ok := v.Query.(string); ok {
				exprs = append(exprs, s)
			} else if s, ok := q["query"].(string); ok {
				exprs = append(exprs, s)
			} else {
				t.Errorf("variable %q: no query in %v", v.Name, v.Query)
			}
		}
	}
	for _, name := range []string{"source", "relay"} {
		if !vars[name] {
			t.Errorf("no template variable %q", name)
		}
	}
	if datasource == "" {
		t.Fatal("no datasource template variable: the dashboard would be bound to one Grafana's datasource uid")
	}

	// Targets sit in panels and in the panels of collapsed rows.
	var walk func(v any, where string)
	walk = func(v any, where string) {
		switch v := v.(type) {
		case map[string]any:
			if title, ok := v["title"].(string); ok {
				where = title
			}
			if ds, ok := v["datasource"].(map[string]any); ok && ds["uid"] != datasource && ds["type"] != "grafana" {
				t.Errorf("panel %q: datasource %v, want uid %q", where, ds, datasource)
			}
			if targets, ok := v["targets"].([]any); ok {
				for _, tg := range targets {
					e, _ := tg.(map[string]any)["expr"].(string)
					if e == "" {
						t.Errorf("panel %q: a target without expr", where)
						continue
					}
					exprs = append(exprs, e)
				}
			}
			for k, c := range v {
				if k != "targets" {
					walk(c, where)
				}
			}
		case []any:
			for _, c := range v {
				walk(c, where)
			}
		}
	}
	for _, p := range dash.Panels {
		var v any
		if err := json.Unmarshal(p, &v); err != nil {
			t.Fatal(err)
		}
		walk(v, "")
	}
	return exprs
}

// alertExprs reads the Prometheus rules and returns every rule's
// expression; each alert must say what to run.
func alertExprs(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Name  string `yaml:"name"`
			Rules []struct {
				Alert       string            `yaml:"alert"`
				Record      string            `yaml:"record"`
				Expr        string            `yaml:"expr"`
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("%s is not valid YAML: %v", path, err)
	}
	var exprs []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			name := r.Alert + r.Record
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("rule %q: no expr", name)
				continue
			}
			exprs = append(exprs, r.Expr)
			if r.Alert == "" {
				continue
			}
			if r.Annotations["summary"] == "" {
				t.Errorf("alert %s: no summary", name)
			}
			if !strings.Contains(r.Annotations["description"], "`caddy hookgate ") {
				t.Errorf("alert %s: the description names no `caddy hookgate` command to run", name)
			}
		}
	}
	return exprs
}

var (
	metricName  = regexp.MustCompile(`hookgate_[a-z_]+`)
	selector    = regexp.MustCompile(`(hookgate_[a-z_]+)\s*\{([^}]*)\}`)
	matcher     = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"`)
	grouping    = regexp.MustCompile(`\b(?:by|without)\s*\(([^)]*)\)`)
	labelValues = regexp.MustCompile(`label_values\(\s*(hookgate_[a-z_]+)\s*,\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)`)
	literals    = regexp.MustCompile(`^[a-zA-Z0-9_]+(\|[a-zA-Z0-9_]+)*$`)
)

// targetLabels are the labels Prometheus adds to every scraped series.
var targetLabels = []string{"job", "instance"}

// checkExpr lists what is wrong with one PromQL expression against the
// scrape m: names of no exported family, labels those do not carry,
// literal label values no series has.
func checkExpr(m scrape.Metrics, expr string) []error {
	var errs []error
	names := metricName.FindAllString(expr, -1)
	if len(names) == 0 {
		return []error{fmt.Errorf("no hookgate_ metric")}
	}
	// labels are the labels every name in expr may be filtered or
	// grouped by.
	labels := map[string][]string{}
	var all []string
	for _, n := range names {
		fam, extra, err := family(m, n)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		labels[n] = append(append(m.Labels(fam), extra...), targetLabels...)
		all = append(all, labels[n]...)
	}
	if len(errs) > 0 {
		return errs // the labels of a wrong name say nothing more
	}
	for _, s := range selector.FindAllStringSubmatch(expr, -1) {
		have := labels[s[1]]
		for _, mt := range matcher.FindAllStringSubmatch(s[2], -1) {
			label, op, value := mt[1], mt[2], mt[3]
			if !slices.Contains(have, label) {
				errs = append(errs, fmt.Errorf("%s has no label %q (it has %v)", s[1], label, have))
				continue
			}
			if (op == "=" || op == "=~") && literals.MatchString(value) {
				fam, _, _ := family(m, s[1])
				seen := values(m, fam, label)
				for _, v := range strings.Split(value, "|") {
					if !slices.Contains(seen, v) {
						errs = append(errs, fmt.Errorf("%s{%s=%q}: no series has that value (they have %v)", s[1], label, v, seen))
					}
				}
			}
		}
	}
	for _, g := range grouping.FindAllStringSubmatch(expr, -1) {
		for _, l := range strings.Split(g[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(all, l) {
				errs = append(errs, fmt.Errorf("grouping by %q, a label none of %v has", l, names))
			}
		}
	}
	for _, lv := range labelValues.FindAllStringSubmatch(expr, -1) {
		if have := labels[lv[1]]; !slices.Contains(have, lv[2]) {
			errs = append(errs, fmt.Errorf("label_values of %s by %q, a label it does not have (it has %v)", lv[1], lv[2], have))
		}
	}
	return errs
}

// family is the exported family a series name in PromQL reads: the name
// itself for a counter or gauge, the histogram's name for its _bucket,
// _sum and _count (with le for _bucket). A histogram's bare name selects
// nothing in Prometheus, so it is an error.
func family(m scrape.Metrics, name string) (fam string, extra []string, err error) {
	if f, ok := m[name]; ok {
		if t := f.GetType(); t == dto.MetricType_HISTOGRAM || t == dto.MetricType_SUMMARY {
			return "", nil, fmt.Errorf("%s is a %s: Prometheus stores it as %[1]s_bucket, _sum and _count", name, strings.ToLower(t.String()))
		}
		return name, nil, nil
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok || m[base] == nil {
			continue
		}
		switch t := m[base].GetType(); {
		case t == dto.MetricType_HISTOGRAM && suffix == "_bucket":
			return base, []string{"le"}, nil
		case t == dto.MetricType_HISTOGRAM, t == dto.MetricType_SUMMARY && suffix != "_bucket":
			return base, nil, nil
		default:
			return "", nil, fmt.Errorf("%s: %s is a %s, which has no %s series", name, base, strings.ToLower(t.String()), suffix)
		}
	}
	return "", nil, fmt.Errorf("%s: no such family on /metrics (Hookgate exports %v)", name, m.Names("hookgate_"))
}

// values lists the values label takes in family fam's series.
func values(m scrape.Metrics, fam, label string) []string {
	var out []string
	for _, s := range m[fam].GetMetric() {
		for _, l := range s.GetLabel() {
			if l.GetName() == label && !slices.Contains(out, l.GetValue()) {
				out = append(out, l.GetValue())
			}
		}
	}
	slices.Sort(out)
	return out
}
