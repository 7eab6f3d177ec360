package storage

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testMigrations = []Migration{
	{Name: "items", SQL: `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)`},
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(ctx, path, testMigrations, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO items (name) VALUES ('a')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	more := append(testMigrations, Migration{Name: "tags", SQL: `CREATE TABLE tags (name TEXT)`})
	db, err = Open(ctx, path, more, Options{})
	if err != nil {
		t.Fatalf("reopen with one more migration: %v", err)
	}
	defer db.Close()
	var version, n int
	db.Reader().QueryRowContext(ctx, "PRAGMA user_version").Scan(&version)
	db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&n)
	if version != 2 || n != 1 {
		t.Fatalf("version %d rows %d, want 2 and 1", version, n)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "x.db")
	two := append(testMigrations, Migration{Name: "tags", SQL: `CREATE TABLE tags (name TEXT)`})
	db, err := Open(ctx, path, two, Options{})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	_, err = Open(ctx, path, testMigrations, Options{})
	if err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("err = %v, want a schema-too-new error", err)
	}
}

func TestWriteTxRollsBackOnError(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), testMigrations, Options{Synchronous: SyncFull})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	boom := errors.New("boom")
	err = db.WriteTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO items (name) VALUES ('a')`); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	var n int
	db.Reader().QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&n)
	if n != 0 {
		t.Fatalf("%d rows after rollback, want 0", n)
	}
	var mode, sync string
	db.write.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode)
	db.write.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&sync)
	if mode != "wal" || sync != "2" {
		t.Fatalf("journal_mode %s synchronous %s, want wal and 2 (FULL)", mode, sync)
	}
}

// A write that waits for its turn on the file gives up when its context
// ends, and the file is the next write's once the holder is done.
func TestWriteTxWaitsForItsTurnWithItsContext(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"), testMigrations, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	holding, release := make(chan struct{}), make(chan struct{})
	done := make(chan error)
	go func() {
		done <- db.WriteTx(ctx, func(*Tx) error { close(holding); <-release; return nil })
	}()
	<-holding
	waiting, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := db.WriteTx(waiting, func(*Tx) error { return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a write waiting past its deadline: %v, want DeadlineExceeded", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := db.WriteTx(ctx, func(*Tx) error { return nil }); err != nil {
		t.Errorf("the next write: %v", err)
	}
}
