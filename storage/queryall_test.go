package storage

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestQueryStrings(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), []Migration{
		{Name: "things", SQL: `CREATE TABLE things (id TEXT PRIMARY KEY, n INTEGER);
			INSERT INTO things VALUES ('a', 3), ('b', 1), ('c', 2), ('d', NULL)`},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got, err := QueryStrings(ctx, db.Reader(), `SELECT id FROM things WHERE n >= ? ORDER BY n`, 2)
	if err != nil || !slices.Equal(got, []string{"c", "a"}) {
		t.Errorf("QueryStrings = %q, %v; want [c a]", got, err)
	}
	if got, err := QueryStrings(ctx, db.Reader(), `SELECT id FROM things WHERE n > 9`); err != nil || got != nil {
		t.Errorf("no rows: %q, %v; want none", got, err)
	}
	if _, err := QueryStrings(ctx, db.Reader(), `SELECT n FROM things WHERE id = 'd'`); err == nil {
		t.Error("a NULL scanned into a string: no error")
	}
	if _, err := QueryStrings(ctx, db.Reader(), `SELECT id FROM nothing`); err == nil {
		t.Error("a missing table: no error")
	}
}
