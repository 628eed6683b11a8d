// Package archive keeps an audit trail of every stored event off the RAM
// path: gzip-compressed JSON lines in rotated files, written by a consumer
// group of its own, so an archive that lags loses nothing (the stream is
// never trimmed past what a group has not finished) and an entry is acked
// only once its line is flushed and fsynced.
//
// Every entry id appears once in an archive directory, across crashes: a
// batch is one gzip member, appended, fsynced, then acked. A process
// killed in between leaves the batch pending for the same consumer (its
// name is derived from the host and the directory) and the member whole
// or torn at the end of the active file; on start the file is cut back
// to its last whole member, and a pending entry whose line survived is
// acked without being written again.
package archive

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/caddy-hookgate/relay"
)

// Group is the consumer group the archive reads through. A relay's name
// starts with a letter or digit, so none can take it.
const Group = "_archive"

// Defaults of Config.
const (
	DefaultRotateBytes = 100 << 20
	DefaultBatch       = 500
)

// Config says where and how one stream is archived.
type Config struct {
	Dir  string     // the directory of the files; created if missing
	Keys relay.Keys // the stream archived
	// RotateBytes starts a new file once the active one holds this many
	// (compressed) bytes. Default DefaultRotateBytes.
	RotateBytes int64
	// Daily also starts a new file at the first write of each UTC day.
	Daily bool
	// Keep is how many rotated files are kept, the oldest removed first,
	// and KeepFor how long after its rotation a file is kept; 0 is no
	// bound. With both, a file goes when either says so.
	Keep    int
	KeepFor time.Duration
	// Batch is the most entries read, written and fsynced together.
	// Default DefaultBatch.
	Batch int
	// Consumer is the archive's consumer name; default ConsumerName(Dir).
	Consumer string
	Now      func() time.Time // default time.Now
	Logger   *zap.Logger      // default zap.NewNop
}

// ConsumerName names the consumer of a directory on this host: the same
// across restarts, so what a killed process left pending is read again by
// the one that writes the same files after it.
func ConsumerName(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(abs))
	return cmp.Or(host, "host") + "-" + hex.EncodeToString(sum[:6])
}

// Writer archives one stream into one directory.
type Writer struct {
	rdb    redis.UniversalClient
	cfg    Config
	stream string
	logger *zap.Logger

	start  sync.Once
	cancel context.CancelFunc
	done   chan struct{}
}

// New checks cfg and returns a writer that has not started.
func New(rdb redis.UniversalClient, cfg Config) (*Writer, error) {
	if cfg.Dir == "" {
		return nil, errors.New("archive: no directory")
	}
	if cfg.RotateBytes < 0 || cfg.Keep < 0 || cfg.KeepFor < 0 || cfg.Batch < 0 {
		return nil, errors.New("archive: rotate, keep and batch must not be negative")
	}
	if cfg.RotateBytes == 0 {
		cfg.RotateBytes = DefaultRotateBytes
	}
	cfg.Batch = cmp.Or(cfg.Batch, DefaultBatch)
	cfg.Consumer = cmp.Or(cfg.Consumer, ConsumerName(cfg.Dir))
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	return &Writer{rdb: rdb, cfg: cfg, stream: cfg.Keys.Stream(), logger: cfg.Logger, done: make(chan struct{})}, nil
}

// Start runs the writer until Stop; a second call does nothing.
func (w *Writer) Start() {
	w.start.Do(func() {
		ctx, cancel := context.WithCancel(context.Background())
		w.cancel = cancel
		go func() {
			defer close(w.done)
			w.run(ctx)
		}()
	})
}

// Stop ends the writer after the batch in hand: what it wrote and could
// not ack yet stays pending and is found again on the next start.
func (w *Writer) Stop() {
	w.start.Do(func() {}) // no start after Stop
	if w.cancel != nil {
		w.cancel()
		<-w.done
	}
}

// Destruct is Stop, for a caddy.UsagePool.
func (w *Writer) Destruct() error {
	w.Stop()
	return nil
}

// retryEvery is how long the writer waits after a failure (Redis down, the
// directory locked by another writer) before it tries again.
const retryEvery = time.Second

func (w *Writer) run(ctx context.Context) {
	var f *file
	defer func() {
		if f != nil {
			f.close()
		}
	}()
	var failing string // the failure last logged, so a long outage logs once
	fail := func(what string, err error) {
		if msg := what + ": " + err.Error(); msg != failing {
			failing = msg
			log := w.logger.Warn
			if errors.Is(err, errLocked) {
				// A reload that changed the block: the old writer
				// lets go once its config is cleaned up.
				log = w.logger.Info
			}
			log("archive: "+what, zap.String("stream", w.stream), zap.String("dir", w.cfg.Dir), zap.Error(err))
		}
		select {
		case <-ctx.Done():
		case <-time.After(retryEvery):
		}
	}
	var (
		grouped bool
		pending = "0" // reading this consumer's pending entries from here; "" once done
		written map[string]bool
		unacked []string
	)
	for ctx.Err() == nil {
		if f == nil {
			var err error
			if f, written, err = w.open(ctx); err != nil {
				fail("opening the archive", err)
				continue
			}
		}
		if len(unacked) > 0 {
			if err := w.rdb.XAck(ctx, w.stream, Group, unacked...).Err(); err != nil {
				fail("acking archived entries", err)
				continue
			}
			unacked = nil
		}
		if !grouped {
			err := w.rdb.XGroupCreateMkStream(ctx, w.stream, Group, "0").Err()
			if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
				fail("creating the consumer group", err)
				continue
			}
			grouped = true
		}
		id, block := ">", time.Second
		if pending != "" {
			id, block = pending, -1
		}
		res, err := w.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
			Group: Group, Consumer: w.cfg.Consumer, Streams: []string{w.stream, id},
			Count: int64(w.cfg.Batch), Block: block,
		}).Result()
		switch {
		case errors.Is(err, redis.Nil):
			continue
		case err != nil && strings.HasPrefix(err.Error(), "NOGROUP"):
			// Redis lost the group (restarted empty): create it again.
			grouped, pending = false, "0"
			continue
		case err != nil:
			if ctx.Err() == nil {
				fail("reading the stream", err)
			}
			continue
		}
		failing = ""
		var msgs []redis.XMessage
		if len(res) == 1 {
			msgs = res[0].Messages
		}
		if pending != "" {
			if len(msgs) == 0 {
				pending, written = "", nil // caught up with what was left pending
				continue
			}
			pending = msgs[len(msgs)-1].ID
		}
		// Rotating here, with nothing unacked, keeps every entry that may
		// be pending in the active file, where open looks for it.
		now := w.cfg.Now()
		if err := f.rotateIfDue(now); err != nil {
			f.close()
			f, grouped, pending = nil, false, "0"
			fail("rotating", err)
			continue
		}
		ids, err := f.write(w.stream, msgs, written, now)
		if err != nil {
			// The file is cut back to its last whole member on the next
			// open, and the entries are still pending.
			f.close()
			f, grouped, pending = nil, false, "0"
			fail("writing", err)
			continue
		}
		unacked = ids
	}
}

// open locks the stream's files in the directory, cuts the active file
// back to its last whole member, and returns which of this consumer's
// pending entries it holds already.
func (w *Writer) open(ctx context.Context) (*file, map[string]bool, error) {
	pend, err := w.rdb.XPendingExt(ctx, &redis.XPendingExtArgs{
		Stream: w.stream, Group: Group, Consumer: w.cfg.Consumer, Start: "-", End: "+", Count: 1 << 20,
	}).Result()
	if err != nil && !strings.HasPrefix(err.Error(), "NOGROUP") {
		return nil, nil, fmt.Errorf("listing pending entries: %w", err)
	}
	wanted := make(map[string]bool, len(pend))
	for _, p := range pend {
		wanted[p.ID] = true
	}
	f, found, err := openFile(w.cfg, w.stream, wanted)
	if err != nil {
		return nil, nil, err
	}
	if len(found) > 0 {
		w.logger.Info("archive: entries written before a stop are acked, not written again",
			zap.String("stream", w.stream), zap.Int("entries", len(found)))
	}
	return f, found, nil
}
