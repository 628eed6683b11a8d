package caddymodule

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/archive"
	"github.com/hookgate/caddy-hookgate/relay"
)

// Defaults of an archive block.
const (
	DefaultArchiveRotate  = archive.DefaultRotateBytes
	DefaultArchiveKeepFor = 30 * 24 * time.Hour
)

// ArchiveConfig is an audit trail of one stream on disk: every stored
// event as a line of gzip-compressed JSON, written by a consumer group of
// its own (_archive), so it lags without losing anything, in files
// rotated by size and daily.
type ArchiveConfig struct {
	// Path is the directory of the files; placeholders allowed. The
	// active file is <prefix>__<stream>_.jsonl.gz, rotated ones add the
	// UTC time of the rotation.
	Path string `json:"path"`
	// Stream is the stream archived. Default "events".
	Stream string `json:"stream,omitempty"`
	// Rotate starts a new file once the active one holds this many
	// compressed bytes. Default 100 MiB.
	Rotate int64 `json:"rotate,omitempty"`
	// DailyOff turns off starting a new file at the first write of each
	// UTC day.
	DailyOff bool `json:"daily_off,omitempty"`
	// Keep is how many rotated files are kept, the oldest removed first,
	// and KeepFor how long after its rotation a file is kept; with both,
	// a file goes when either says so. Default: KeepFor 30 days, no
	// count; see KeepAll.
	Keep    int            `json:"keep,omitempty"`
	KeepFor caddy.Duration `json:"keep_for,omitempty"`
	// KeepAll keeps every rotated file (keep 0).
	KeepAll bool `json:"keep_all,omitempty"`
}

// parseArchive reads one archive block of the hookgate options:
//
//	archive <dir> {
//	    stream <name>     # the stream archived, default "events"; one archive per stream
//	    rotate <size>     # a new file past this compressed size, default 100MiB
//	    daily  on|off     # also a new file at the first write of each UTC day, default on
//	    keep   <n>|<duration>...   # rotated files kept: a count (oldest removed first) and/or an age, default 30d; 0 keeps all
//	}
func parseArchive(d *caddyfile.Dispenser, app *App) error {
	var c ArchiveConfig
	if err := singleArg(d, &c.Path); err != nil {
		return err
	}
	for d.NextBlock(1) {
		switch d.Val() {
		case "stream":
			if err := singleArg(d, &c.Stream); err != nil {
				return err
			}
		case "rotate":
			if err := sizeArg(d, &c.Rotate); err != nil {
				return err
			}
		case "daily":
			var v string
			if err := singleArg(d, &v); err != nil {
				return err
			}
			if v != "on" && v != "off" {
				return d.Errf("daily takes on or off, got %q", v)
			}
			c.DailyOff = v == "off"
		case "keep":
			args := d.RemainingArgs()
			if len(args) == 0 || len(args) > 2 {
				return d.Err("keep takes a count of files, an age, or both, e.g. keep 30d or keep 100 30d")
			}
			for _, v := range args {
				if n, err := strconv.Atoi(v); err == nil && n >= 0 {
					c.Keep, c.KeepAll = n, n == 0
					continue
				}
				age, err := caddy.ParseDuration(v)
				if err != nil || age <= 0 {
					return d.Errf("keep: %q is neither a count >= 0 nor a duration", v)
				}
				c.KeepFor = caddy.Duration(age)
			}
			if c.KeepAll && len(args) > 1 {
				return d.Err("keep 0 keeps every file; give no age with it")
			}
		default:
			return d.Errf("unknown archive option %q", d.Val())
		}
	}
	stream := c.Stream
	if stream == "" {
		stream = DefaultStream
	}
	for _, other := range app.Archives {
		if s := other.Stream; s == stream || (s == "" && stream == DefaultStream) {
			return d.Errf("archive: stream %q is archived already (to %s); one archive per stream", stream, other.Path)
		}
	}
	app.Archives = append(app.Archives, &c)
	return nil
}

// archives are the running archive writers, one per stream, Redis and
// configuration, so a reload that keeps an archive keeps its writer.
var archives = caddy.NewUsagePool()

// provisionArchives builds the writers of a.Archives; Start starts them.
func (a *App) provisionArchives() error {
	repl := caddy.NewReplacer()
	seen := map[string]bool{}
	for _, c := range a.Archives {
		cfg := archive.Config{
			Dir:         repl.ReplaceAll(c.Path, ""),
			RotateBytes: c.Rotate,
			Daily:       !c.DailyOff,
			Keep:        c.Keep,
			Logger:      a.logger.Named("archive"),
		}
		if cfg.Dir == "" {
			return fmt.Errorf("archive: the path %q is empty once its placeholders are replaced", c.Path)
		}
		stream := c.Stream
		if stream == "" {
			stream = DefaultStream
		}
		keys, err := relay.NewKeys(a.Prefix, stream)
		if err != nil {
			return fmt.Errorf("archive %s: %w", c.Path, err)
		}
		if seen[keys.Stream()] {
			return fmt.Errorf("archive %s: stream %q is archived already; one archive per stream", c.Path, stream)
		}
		seen[keys.Stream()] = true
		cfg.KeepFor = time.Duration(c.KeepFor)
		switch {
		case c.KeepAll:
			cfg.Keep, cfg.KeepFor = 0, 0
		case c.Keep == 0 && c.KeepFor == 0:
			cfg.KeepFor = DefaultArchiveKeepFor
		}
		// A writer per partition: one reads one slot. Partition p > 0
		// writes to p<p> under the directory, so a stream of one
		// partition keeps the layout it had.
		cfg.Keys = keys
		spec := &archiveSpec{path: c.Path, cfg: cfg, have: a.partitionsOf(stream)}
		for p := range spec.have {
			if err := a.provisionArchive(c.Path, spec.of(p)); err != nil {
				return err
			}
		}
		if a.watch == nil {
			a.watch = &archiveWatch{}
		}
		a.watch.specs = append(a.watch.specs, spec)
	}
	return nil
}

// archiveWatch adds the writers of partitions found after start.
type archiveWatch struct {
	specs  []*archiveSpec
	mu     sync.Mutex // guards App.archives once the watch runs
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// archiveSpec is one archive block, for the writers of partitions found
// later: those of a wider layout the stream was ingested with.
type archiveSpec struct {
	path string
	cfg  archive.Config // of partition 0
	have int            // partitions with a writer
}

func (s *archiveSpec) of(p int) archive.Config {
	pcfg := s.cfg
	pcfg.Keys = s.cfg.Keys.Partition(p)
	if p > 0 {
		pcfg.Dir = filepath.Join(s.cfg.Dir, "p"+strconv.Itoa(p))
	}
	return pcfg
}

// watchArchiveLayouts gives every partition of the widest layout recorded
// a writer, as relays read them: after n is lowered, the partitions only
// the old layout wrote to are archived too, and their _archive group
// holds no trim back.
func (a *App) watchArchiveLayouts(ctx context.Context) {
	for {
		for _, spec := range a.watch.specs {
			rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			widest, err := relay.Partitions(rctx, a.store.relays, spec.cfg.Keys, spec.have)
			cancel()
			for err == nil && spec.have < widest {
				a.watch.mu.Lock()
				if err = a.provisionArchive(spec.path, spec.of(spec.have)); err == nil {
					a.archives[len(a.archives)-1].writer.Start()
					spec.have++
				}
				a.watch.mu.Unlock()
			}
			if err != nil && ctx.Err() == nil {
				a.logger.Warn("archive: reading the stream's layouts; trying again", zap.String("dir", spec.cfg.Dir), zap.Error(err))
			}
		}
		t := time.NewTimer(placementEvery)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// provisionArchive builds, or keeps from the config before, one writer.
func (a *App) provisionArchive(path string, cfg archive.Config) error {
	spec, _ := json.Marshal([]any{cfg.Dir, cfg.Keys.Stream(), cfg.RotateBytes, cfg.Daily, cfg.Keep, cfg.KeepFor})
	key := a.key + "|archive|" + string(spec)
	val, _, err := archives.LoadOrNew(key, func() (caddy.Destructor, error) {
		return archive.New(a.store.relays, cfg)
	})
	if err != nil {
		return fmt.Errorf("archive %s: %w", path, err)
	}
	a.archives = append(a.archives, runningArchive{key: key, writer: val.(*archive.Writer)})
	a.logger.Info("archiving a stream", zap.String("stream", cfg.Keys.Stream()), zap.String("dir", cfg.Dir),
		zap.Int64("rotate_bytes", cmp.Or(cfg.RotateBytes, DefaultArchiveRotate)), zap.Bool("daily", cfg.Daily), zap.Int("keep", cfg.Keep), zap.Duration("keep_for", cfg.KeepFor))
	return nil
}

type runningArchive struct {
	key    string
	writer *archive.Writer
}

// startArchives starts the writers; one kept over a reload runs on.
func (a *App) startArchives() {
	for _, r := range a.archives {
		r.writer.Start()
	}
	if a.watch == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a.watch.cancel = cancel
	a.watch.done.Add(1)
	go func() { defer a.watch.done.Done(); a.watchArchiveLayouts(ctx) }()
}

// stopArchiveWatch ends watchArchiveLayouts before the writers go.
func (a *App) stopArchiveWatch() {
	if a.watch != nil && a.watch.cancel != nil {
		a.watch.cancel()
		a.watch.done.Wait()
	}
}

// cleanupArchives releases this config's hold on its writers; the last
// holder stops one.
func (a *App) cleanupArchives() error {
	a.stopArchiveWatch()
	var first error
	for _, r := range a.archives {
		if _, err := archives.Delete(r.key); err != nil && first == nil {
			first = err
		}
	}
	a.archives = nil
	return first
}
