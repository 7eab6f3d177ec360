package storage

import (
	"context"
	"fmt"
)

// Migration is one versioned schema step. A file's version (PRAGMA
// user_version) is the number of migrations applied to it, so migrations are
// only ever appended to a module's list, never reordered or edited.
type Migration struct {
	Name string
	SQL  string
	// Check, if set, runs first in the migration's transaction and can
	// refuse a file whose data the migration cannot carry over.
	Check func(ctx context.Context, tx *Tx) error
	// Run, if set, runs after SQL in the same transaction: a step whose
	// statements depend on what the file holds, such as a table copy that
	// keeps the columns earlier migrations added.
	Run func(ctx context.Context, tx *Tx) error
}

func (db *DB) migrate(ctx context.Context, migrations []Migration) error {
	var version int
	if err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("read schema version: %w", err)
	}
	if version > len(migrations) {
		return fmt.Errorf("schema version %d is newer than this sagalab knows (%d): use a newer binary or another data directory",
			version, len(migrations))
	}
	for i := version; i < len(migrations); i++ {
		m := migrations[i]
		err := db.WriteTx(ctx, func(tx *Tx) error {
			if m.Check != nil {
				if err := m.Check(ctx, tx); err != nil {
					return err
				}
			}
			if m.SQL != "" {
				if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
					return err
				}
			}
			if m.Run != nil {
				if err := m.Run(ctx, tx); err != nil {
					return err
				}
			}
			// PRAGMA takes no placeholders; i+1 is an int we control.
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", i+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d (%s): %w", i+1, m.Name, err)
		}
	}
	return nil
}
