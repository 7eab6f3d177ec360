//go:build cgo

package storage

import (
	"context"
	"path/filepath"
	"testing"
)

// TestSQLiteKeepsNoMemoryStatistics checks that this package's init turned
// SQLite's allocation statistics off before the first connection: with
// them on, SQLite reports the memory its connections hold.
func TestSQLiteKeepsNoMemoryStatistics(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "m.db"), []Migration{{Name: "t", SQL: `CREATE TABLE t (v TEXT)`}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (v) VALUES (?)`, "x")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if used := sqliteMemoryUsed(); used != 0 {
		t.Fatalf("SQLite reports %d bytes in use: its memory statistics are on", used)
	}
}
