package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestFlusherFlushesTheLogAfterCommits checks that at synchronous=NORMAL
// a commit is followed by a flush of the log, that a rolled-back
// transaction asks for none, that Close stops the flusher, and that FULL,
// whose COMMITs flush the log themselves, runs none.
func TestFlusherFlushesTheLogAfterCommits(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "n.db"), groupMigrations, Options{Synchronous: SyncNormal, GroupCommit: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.flush == nil {
		t.Fatal("no flusher at NORMAL")
	}
	// Opening ran migrations, which committed: let their flush pass.
	time.Sleep(3 * flushDelay)
	before := db.flush.flushes.Load()
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO items (name) VALUES ('a')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for db.flush.flushes.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the log was not flushed after a commit")
		}
		time.Sleep(flushDelay / 4)
	}

	time.Sleep(3 * flushDelay)
	before = db.flush.flushes.Load()
	_ = db.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO items (name) VALUES ('a')`) // a duplicate: fails
		return err
	})
	time.Sleep(3 * flushDelay)
	if n := db.flush.flushes.Load(); n != before {
		t.Errorf("%d flushes after a rollback, want none", n-before)
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-db.flush.done:
	default:
		t.Error("the flusher runs on after Close")
	}

	full, err := Open(ctx, filepath.Join(t.TempDir(), "f.db"), groupMigrations, Options{Synchronous: SyncFull})
	if err != nil {
		t.Fatal(err)
	}
	defer full.Close()
	if full.flush != nil {
		t.Error("a flusher at FULL, whose commits flush the log themselves")
	}
}
