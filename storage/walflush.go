package storage

import (
	"context"
	"os"
	"sync/atomic"
	"time"
)

// Background log flushes. With synchronous=NORMAL a COMMIT writes its
// pages to the write-ahead log without waiting for the disk, and SQLite
// flushes the log only when it checkpoints: inside the COMMIT that takes
// the log past wal_autocheckpoint pages, which then flushes up to 32 MiB
// at once while every transaction queued on the writer waits. That was
// the 10-20 ms tail of NORMAL's latency, in the sagas and in the monolith.
//
// A flusher does that part of the work beside the writer: a little after
// commits it fsyncs the log through a handle of its own (the file's dirty
// pages are the same whichever handle flushes them). A checkpoint then
// finds the log already on disk. SQLite's locks are not involved: a flush
// changes nothing on disk but when it gets there, and it also bounds what
// a power loss can take at NORMAL to about flushDelay of commits. With
// synchronous=FULL every COMMIT flushes the log itself, and no flusher
// runs.

// flushDelay is how long after a commit the flusher runs: commits in
// between share the flush.
const flushDelay = 20 * time.Millisecond

// flusher flushes a DB's log in the background.
type flusher struct {
	kick    chan struct{}
	stop    context.CancelFunc
	done    chan struct{}
	flushes atomic.Int64
}

// startFlusher starts db's flusher.
func (db *DB) startFlusher() {
	ctx, stop := context.WithCancel(context.Background())
	f := &flusher{kick: make(chan struct{}, 1), stop: stop, done: make(chan struct{})}
	db.flush = f
	go func() {
		defer close(f.done)
		for {
			select {
			case <-ctx.Done():
				return
			case <-f.kick:
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(flushDelay):
			}
			if flushFile(db.path+"-wal") == nil {
				f.flushes.Add(1)
			}
		}
	}()
}

// stopFlusher stops db's flusher, if it has one, and waits for it.
func (db *DB) stopFlusher() {
	if db.flush == nil {
		return
	}
	db.flush.stop()
	<-db.flush.done
}

// committed tells the flusher that a transaction committed. It never
// blocks.
func (db *DB) committed() {
	if db.flush == nil {
		return
	}
	select {
	case db.flush.kick <- struct{}{}:
	default:
	}
}

// flushFile fsyncs the file at path. A log that is missing (the last
// connection closed and removed it, or Replace is moving files) needs no
// flush.
func flushFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
