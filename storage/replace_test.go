package storage

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
)

func insertItem(t *testing.T, db *DB, name string) {
	t.Helper()
	ctx := context.Background()
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO items (name) VALUES (?)`, name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

func itemNames(t *testing.T, db *DB) []string {
	t.Helper()
	var names []string
	err := db.Read(func(r *sql.DB) error {
		rows, err := r.Query(`SELECT name FROM items ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n string
			if err := rows.Scan(&n); err != nil {
				return err
			}
			names = append(names, n)
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Replace swaps a new file in under a DB in use: readers never see an
// error, and the DB writes and reads the new file afterwards.
func TestReplaceUnderReaders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "x.db"), testMigrations, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	insertItem(t, db, "old")

	for round := range 5 {
		fresh, err := Open(ctx, filepath.Join(dir, "x.db.new"), testMigrations, Options{})
		if err != nil {
			t.Fatal(err)
		}
		insertItem(t, fresh, "new")
		fresh.Close()

		var stop atomic.Bool
		var wg sync.WaitGroup
		var readErr atomic.Value
		for range 4 {
			wg.Go(func() {
				for !stop.Load() {
					err := db.Read(func(r *sql.DB) error {
						var n int
						return r.QueryRow(`SELECT count(*) FROM items`).Scan(&n)
					})
					if err != nil {
						readErr.Store(err)
						return
					}
				}
			})
		}
		if err := db.Replace(ctx, filepath.Join(dir, "x.db.new")); err != nil {
			t.Fatal(err)
		}
		stop.Store(true)
		wg.Wait()
		if err := readErr.Load(); err != nil {
			t.Fatalf("round %d: a read beside Replace failed: %v", round, err)
		}
		insertItem(t, db, "after")
		if got := itemNames(t, db); len(got) != 2 || got[0] != "new" || got[1] != "after" {
			t.Fatalf("round %d: items after Replace = %v, want [new after]", round, got)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "x.db.new")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the replacement file is still there: %v", err)
	}
}

// OpenReadOnly reads what a writer wrote, writes nothing and creates
// nothing.
func TestOpenReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if _, err := OpenReadOnly(ctx, filepath.Join(dir, "none.db"), testMigrations); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("OpenReadOnly of a missing file = %v, want not exist", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Fatalf("OpenReadOnly of a missing file created %v", entries)
	}

	w, err := Open(ctx, filepath.Join(dir, "x.db"), testMigrations, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	insertItem(t, w, "a")
	r, err := OpenReadOnly(ctx, filepath.Join(dir, "x.db"), testMigrations)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	insertItem(t, w, "b") // the writer carries on beside the reader
	if got := itemNames(t, r); len(got) != 2 {
		t.Fatalf("read-only items = %v, want [a b]", got)
	}
	if err := r.WriteTx(ctx, func(*Tx) error { return nil }); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("WriteTx on a read-only DB = %v, want ErrReadOnly", err)
	}
	more := append(testMigrations, Migration{Name: "tags", SQL: `CREATE TABLE tags (name TEXT)`})
	if _, err := OpenReadOnly(ctx, filepath.Join(dir, "x.db"), more); err == nil {
		t.Fatal("OpenReadOnly of a file that needs a migration succeeded")
	}
}
