//go:build cgo

package storage

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

var blobMigrations = []Migration{
	{Name: "blobs", SQL: `CREATE TABLE blobs (id INTEGER PRIMARY KEY, tag TEXT NOT NULL, data BLOB NOT NULL);
		CREATE INDEX blobs_tag ON blobs (tag)`},
}

// openBlobs opens a file of blobs for a test, closed when it ends.
func openBlobs(t *testing.T, opts Options) (*DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "x.db")
	db, err := Open(context.Background(), path, blobMigrations, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, path
}

// insertBlobs inserts n rows of size bytes each, tagged tag, in one
// transaction: a row of 3,000 bytes fills most of a page.
func insertBlobs(ctx context.Context, tx *Tx, tag string, n, size int) error {
	for i := range n {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (tag, data) VALUES (?, ?)`,
			tag, []byte(strings.Repeat(fmt.Sprint(i%10), size))); err != nil {
			return err
		}
	}
	return nil
}

// crashCopy copies path and its log to a new directory as they are now,
// without the shared-memory index: what a process killed at this moment
// leaves on disk for the next one, which rebuilds the index from the log.
func crashCopy(t *testing.T, path string) string {
	t.Helper()
	copied, err := copyFiles(t.TempDir(), path)
	if err != nil {
		t.Fatal(err)
	}
	return copied
}

// copyFiles is crashCopy into dir.
func copyFiles(dir, path string) (string, error) {
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(path + suffix)
		if err != nil {
			return "", err
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(path)+suffix), b, 0o644); err != nil {
			return "", err
		}
	}
	return filepath.Join(dir, filepath.Base(path)), nil
}

// countTags opens path as a crashed process's successor would, checks the
// file and returns its rows per tag.
func countTags(t *testing.T, path string) map[string]int {
	t.Helper()
	got, err := readTags(path)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// readTags is countTags, returning its failure.
func readTags(path string) (map[string]int, error) {
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	var check string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		return nil, fmt.Errorf("integrity_check: %q, %v", check, err)
	}
	rows, err := db.Query(`SELECT tag, count(*) FROM blobs GROUP BY tag`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	got := map[string]int{}
	for rows.Next() {
		var tag string
		var n int
		if err := rows.Scan(&tag, &n); err != nil {
			return nil, err
		}
		got[tag] = n
	}
	return got, rows.Err()
}

// TestWALVFSLeavesEveryCommitInTheLog checks that each transaction is in
// the log, complete, when WriteTx returns: a copy of the files taken then,
// as a kill -9 would leave them, recovers every committed transaction.
// Transactions of 1 to 70 pages put the commit frame at every place in and
// past the most the VFS holds back (30 frames), where the write before the
// commit frame's page fills it.
func TestWALVFSLeavesEveryCommitInTheLog(t *testing.T) {
	ctx := context.Background()
	db, path := openBlobs(t, Options{})
	want := map[string]int{}
	for n := 1; n <= 70; n++ {
		tag := fmt.Sprintf("tx%d", n)
		if err := db.WriteTx(ctx, func(tx *Tx) error { return insertBlobs(ctx, tx, tag, n, 3000) }); err != nil {
			t.Fatal(err)
		}
		want[tag] = n
		var seen int
		if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE tag = ?`, tag).Scan(&seen); err != nil || seen != n {
			t.Fatalf("a reader sees %d rows of %s (%v), want %d", seen, tag, err, n)
		}
		got := countTags(t, crashCopy(t, path))
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after %s the log recovers %v, want %v", tag, got, want)
		}
	}
}

// TestWALVFSSpilledAndRewrittenFrames drives the log's less common writes
// with a page cache of a few pages: a transaction that spills pages to
// the log before its COMMIT and reads them back; one that changes a
// spilled page again, so that SQLite overwrites its frame and rewrites
// the frame headers after the commit frame; and one rolled back after
// spilling, whose frames the next transaction overwrites.
func TestWALVFSSpilledAndRewrittenFrames(t *testing.T) {
	ctx := context.Background()
	db, path := openBlobs(t, Options{})
	if _, err := db.write.ExecContext(ctx, `PRAGMA cache_size = 4`); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	check := func(what string) {
		t.Helper()
		if got := countTags(t, crashCopy(t, path)); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("after %s the log recovers %v, want %v", what, got, want)
		}
	}

	if err := db.WriteTx(ctx, func(tx *Tx) error {
		if err := insertBlobs(ctx, tx, "spilled", 30, 3000); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM blobs WHERE length(data) = 3000`).Scan(&n); err != nil {
			return err
		}
		if n != 30 {
			return fmt.Errorf("the transaction reads back %d rows, want 30", n)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	want["spilled"] = 30
	check("a spilled transaction")

	if err := db.WriteTx(ctx, func(tx *Tx) error {
		if err := insertBlobs(ctx, tx, "rewritten", 10, 3000); err != nil {
			return err
		}
		// The first rows' pages were spilled: change them again.
		_, err := tx.ExecContext(ctx, `UPDATE blobs SET data = zeroblob(2900) WHERE tag = 'rewritten'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want["rewritten"] = 10
	check("a transaction that rewrote spilled pages")

	failed := fmt.Errorf("roll back")
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		if err := insertBlobs(ctx, tx, "rolled back", 30, 3000); err != nil {
			return err
		}
		return failed
	}); err != failed {
		t.Fatalf("err = %v, want the function's", err)
	}
	if err := db.WriteTx(ctx, func(tx *Tx) error { return insertBlobs(ctx, tx, "after", 3, 3000) }); err != nil {
		t.Fatal(err)
	}
	want["after"] = 3
	check("a rolled-back spilled transaction and the next one")
}

// TestWALVFSSurvivesCheckpoints writes enough for SQLite to checkpoint
// and start the log over, then checks the file.
func TestWALVFSSurvivesCheckpoints(t *testing.T) {
	ctx := context.Background()
	db, path := openBlobs(t, Options{Synchronous: SyncFull})
	if _, err := db.write.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 20`); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{}
	for i := range 40 {
		tag := fmt.Sprintf("tx%d", i%7)
		if err := db.WriteTx(ctx, func(tx *Tx) error { return insertBlobs(ctx, tx, tag, 1+i%5, 2000) }); err != nil {
			t.Fatal(err)
		}
		want[tag] += 1 + i%5
	}
	if got := countTags(t, crashCopy(t, path)); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("the file and log recover %v, want %v", got, want)
	}
}

// TestWALVFSKeepsEveryCommitProperty runs random transactions: of 1 to 70
// rows of 200 to 3,000 bytes, some changing their rows again, some rolled
// back, on a page cache of 4 pages (SQLite spills to the log before the
// COMMIT) or of 4 MiB as writers have, with the log started over every 20
// pages or every 8,000. After each one, a copy of the files as a kill -9
// would leave them must recover exactly the committed transactions.
func TestWALVFSKeepsEveryCommitProperty(t *testing.T) {
	ctx := context.Background()
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		db, err := Open(ctx, filepath.Join(dir, "x.db"), blobMigrations, Options{})
		if err != nil {
			rt.Fatal(err)
		}
		defer db.Close()
		for _, pragma := range []string{
			"PRAGMA cache_size = " + rapid.SampledFrom([]string{"4", "-4096"}).Draw(rt, "cache"),
			"PRAGMA wal_autocheckpoint = " + rapid.SampledFrom([]string{"20", "8000"}).Draw(rt, "checkpoint"),
		} {
			if _, err := db.write.ExecContext(ctx, pragma); err != nil {
				rt.Fatal(err)
			}
		}
		errRollBack := fmt.Errorf("roll back")
		want := map[string]int{}
		for i := range rapid.IntRange(1, 8).Draw(rt, "transactions") {
			tag := fmt.Sprintf("tx%d", i)
			rows := rapid.IntRange(1, 70).Draw(rt, "rows")
			size := rapid.SampledFrom([]int{200, 1000, 3000}).Draw(rt, "size") // about a page a row at 3000
			again := rapid.Bool().Draw(rt, "change again")
			rollBack := rapid.IntRange(0, 3).Draw(rt, "roll back") == 0
			err := db.WriteTx(ctx, func(tx *Tx) error {
				if err := insertBlobs(ctx, tx, tag, rows, size); err != nil {
					return err
				}
				if again {
					if _, err := tx.ExecContext(ctx, `UPDATE blobs SET data = zeroblob(?) WHERE tag = ?`, size/2, tag); err != nil {
						return err
					}
				}
				if rollBack {
					return errRollBack
				}
				return nil
			})
			if err != nil && (!rollBack || err != errRollBack) {
				rt.Fatal(err)
			}
			if !rollBack {
				want[tag] = rows
			}
			copied, err := copyFiles(t.TempDir(), db.Path())
			if err != nil {
				rt.Fatal(err)
			}
			got, err := readTags(copied)
			if err != nil {
				rt.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				rt.Fatalf("after %s the log recovers %v, want %v", tag, got, want)
			}
		}
	})
}
