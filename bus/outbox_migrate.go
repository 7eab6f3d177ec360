package bus

import (
	"context"
	"fmt"
	"strings"

	"sagalab/storage"
)

// LeanOutboxMigrations copy the outbox into a table that writes two
// B-trees fewer per message. Its seq loses AUTOINCREMENT, whose
// sqlite_sequence row every insert rewrote: pruning always keeps the
// newest row of each topic (relay.pruneNow), so the largest seq is never
// deleted and a plain rowid never hands one out twice. message_id loses
// its UNIQUE index, which nothing reads: ids come from one generator
// (storage.IDs). At a moderate load, where transactions share few pages,
// each of those B-trees was a page of its own written to the log on
// every COMMIT. Modules append them after their other migrations.
var LeanOutboxMigrations = []storage.Migration{{Name: "outbox without sequence table or id index", Run: leanOutbox}}

// leanOutbox copies the outbox, whatever columns earlier migrations gave
// it (the event store adds two), into a table without AUTOINCREMENT or
// the id's UNIQUE, and recreates its other indexes.
func leanOutbox(ctx context.Context, tx *storage.Tx) error {
	type column struct {
		name, typ, dflt string
		notNull, pk     bool
	}
	cols, err := storage.QueryAll(ctx, tx, func(row storage.Scanner) (column, error) {
		var c column
		var cid int
		var dflt *string
		err := row.Scan(&cid, &c.name, &c.typ, &c.notNull, &dflt, &c.pk)
		if dflt != nil {
			c.dflt = *dflt
		}
		return c, err
	}, `PRAGMA table_info(outbox)`)
	if err != nil {
		return fmt.Errorf("read the outbox's columns: %w", err)
	}
	if len(cols) == 0 || cols[0].name != "seq" || !cols[0].pk {
		return fmt.Errorf("the outbox does not start with its seq key: %+v", cols)
	}
	defs := []string{"seq INTEGER PRIMARY KEY"}
	for _, c := range cols[1:] {
		d := `"` + c.name + `" ` + c.typ
		if c.notNull {
			d += " NOT NULL"
		}
		if c.dflt != "" {
			d += " DEFAULT " + c.dflt
		}
		defs = append(defs, d)
	}
	indexes, err := storage.QueryStrings(ctx, tx,
		`SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'outbox' AND sql IS NOT NULL`)
	if err != nil {
		return fmt.Errorf("read the outbox's indexes: %w", err)
	}
	steps := []string{
		"CREATE TABLE outbox_lean (" + strings.Join(defs, ", ") + ")",
		"INSERT INTO outbox_lean SELECT * FROM outbox",
		"DROP TABLE outbox", // its sqlite_sequence row goes with it
		"ALTER TABLE outbox_lean RENAME TO outbox",
	}
	for _, q := range append(steps, indexes...) {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("copy the outbox: %s: %w", strings.Fields(q)[0], err)
		}
	}
	return nil
}
