package storage

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
)

func TestWithPrefix(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "x.db"), []Migration{
		{Name: "things", SQL: `CREATE TABLE things (id TEXT PRIMARY KEY)`},
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := []string{"06bc8db9-aa", "06bc8db9-ab", "06bd0000", "o1", "o10", "o2", "O1", "a\xff", "a\xff\xff", "b"}
	if err := db.WriteTx(ctx, func(tx *Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `INSERT INTO things (id) VALUES (?)`, id); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		prefix string
		limit  int
		want   []string
	}{
		{"06bc", 10, []string{"06bc8db9-aa", "06bc8db9-ab"}},
		{"06bc8db9-ab", 10, []string{"06bc8db9-ab"}},
		{"06b", 2, []string{"06bc8db9-aa", "06bc8db9-ab"}},
		{"o1", 10, []string{"o1", "o10"}},
		{"O", 10, []string{"O1"}},
		{"a\xff", 10, []string{"a\xff", "a\xff\xff"}},
		{"x", 10, nil},
		{"%", 10, nil},
	} {
		got, err := WithPrefix(ctx, db.Reader(), "things", "id", tc.prefix, tc.limit)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("WithPrefix(%q, %d) = %q, want %q", tc.prefix, tc.limit, got, tc.want)
		}
	}
}
