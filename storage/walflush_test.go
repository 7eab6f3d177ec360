package storage

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// At synchronous=NORMAL a commit is followed by a flush of the log; Close
// stops the flusher; FULL, whose COMMITs flush the log themselves, runs
// none.
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
	before := db.flush.flushes.Load()
	if err := db.WriteTx(ctx, insert("a")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for db.flush.flushes.Load() == before {
		if time.Now().After(deadline) {
			t.Fatal("the log was not flushed after a commit")
		}
		time.Sleep(flushDelay / 4)
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

// Only a commit asks for a flush: a rolled-back write, alone or in a
// batch, does not.
func TestOnlyCommitsAskForAFlush(t *testing.T) {
	for _, grouped := range []bool{false, true} {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "k.db"), groupMigrations,
			Options{Synchronous: SyncNormal, GroupCommit: grouped})
		if err != nil {
			t.Fatal(err)
		}
		db.stopFlusher() // its kicks now stay where the test can see them
		select {
		case <-db.flush.kick:
		default:
		}
		if err := db.WriteTx(context.Background(), insert("a")); err != nil {
			t.Fatal(err)
		}
		if len(db.flush.kick) != 1 {
			t.Errorf("grouped %v: a commit asked for no flush", grouped)
		}
		<-db.flush.kick
		if err := db.WriteTx(context.Background(), insert("a")); err == nil { // a duplicate name
			t.Fatal("a duplicate committed")
		}
		if len(db.flush.kick) != 0 {
			t.Errorf("grouped %v: a rollback asked for a flush", grouped)
		}
		db.Close()
	}
}
