package saga

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"sagalab/storage"
)

// TestLogLinesReadBackAsWritten: whatever a step, a message type or an id
// holds (quotes, newlines, any Unicode), the log reads back what was
// logged, entry for entry. (Bytes that are not UTF-8 come back as U+FFFD,
// as encoding/json writes them; rapid's strings are valid UTF-8.)
func TestLogLinesReadBackAsWritten(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		text := rapid.OneOf(rapid.String(), rapid.StringMatching(`[a-z ]{0,12}`), rapid.SampledFrom([]string{"", `"`, `\`, "\n", "a\tb", "é", "\u2028", "<&>"}))
		rows := rapid.SliceOfN(rapid.Custom(func(t *rapid.T) logRow {
			return logRow{At: rapid.Int64().Draw(t, "at"), Step: text.Draw(t, "step"),
				Kind:        LogKind(rapid.SampledFrom([]LogKind{LogStart, LogCommand, LogReply, LogLateReply}).Draw(t, "kind")),
				MessageType: text.Draw(t, "type"), MessageID: text.Draw(t, "id")}
		}), 0, 6).Draw(t, "rows")
		got, err := parseLog(string(appendLogLines(nil, rows)))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 && len(got) == 0 {
			return
		}
		if !reflect.DeepEqual(got, rows) {
			t.Fatalf("read back %+v, logged %+v", got, rows)
		}
	})
}

// TestLogMovesIntoTheInstanceRow: an order.db from before the log moved
// into saga_instances keeps each saga's log, in order, and a late reply
// is still placed by the command ids in it.
func TestLogMovesIntoTheInstanceRow(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "order.db")
	before := append(append([]storage.Migration{}, Migrations...), LogMigrations[0])
	db, err := storage.Open(ctx, path, before, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		for _, id := range []string{"o1/CreateOrder", "o1/CancelOrder", "o2/CreateOrder"} {
			if _, err := tx.ExecContext(ctx, `INSERT INTO saga_instances (`+instanceColumns+`)
				VALUES (?, 'T', substr(?, 1, 2), 'COMPLETED', 3, 0, '', 0, '{}', 4, 1, 2)`, id, id); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO saga_log (saga_id, at, step, kind, message_type, message_id) VALUES
			('o1/CreateOrder', 10, '', 'start', '', ''),
			('o2/CreateOrder', 11, '', 'start', '', ''),
			('o1/CreateOrder', 12, 'reserve credit', 'command', 'ReserveCredit', 'c1'),
			('o1/CancelOrder', 13, 'release credit', 'command', 'Release "all"', 'c2'),
			('o1/CreateOrder', 14, 'reserve credit', 'reply', 'Reserved', 'r1')`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(ctx, path, append(before, LogMigrations[1]), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	e := NewEngine(Config{DB: db})
	got, err := e.Log(ctx, "o1/CreateOrder")
	if err != nil {
		t.Fatal(err)
	}
	want := []logRow{{At: 10, Kind: LogStart}, {At: 12, Step: "reserve credit", Kind: LogCommand, MessageType: "ReserveCredit", MessageID: "c1"},
		{At: 14, Step: "reserve credit", Kind: LogReply, MessageType: "Reserved", MessageID: "r1"}}
	if len(got) != len(want) {
		t.Fatalf("log %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i] != want[i].entry() {
			t.Fatalf("entry %d is %+v, want %+v", i, got[i], want[i].entry())
		}
	}
	in, err := instanceByCommand(ctx, db.Reader(), "o1", "c2")
	if err != nil || in.ID != "o1/CancelOrder" {
		t.Fatalf("the saga that sent c2: %v, %v; want o1/CancelOrder", in, err)
	}
	if _, err := instanceByCommand(ctx, db.Reader(), "o1", "r1"); !errors.Is(err, sql.ErrNoRows) {
		t.Fatalf("a reply's id placed a saga: %v", err)
	}
	if step, err := commandStep(ctx, db.Reader(), "o1/CancelOrder", "c2"); err != nil || step != "release credit" {
		t.Fatalf("the step that sent c2: %q, %v", step, err)
	}
	if log, err := e.Log(ctx, "o9/CreateOrder"); err != nil || len(log) != 0 {
		t.Fatalf("log of no saga: %v, %v", log, err)
	}
}

// TestStateCheckByComparison: the migration that rewrites the state's
// CHECK keeps every instance, its log and its indexes, still refuses an
// unknown state, and leaves the statements that write an instance without
// an ephemeral table (SQLite builds one for an IN list of three).
func TestStateCheckByComparison(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "order.db")
	before := append(append([]storage.Migration{}, Migrations...), LogMigrations[:2]...)
	db, err := storage.Open(ctx, path, before, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO saga_instances (`+instanceColumns+`, log)
			VALUES ('o1/CreateOrder', 'CreateOrder', 'o1', 'RUNNING', 1, 0, 'c1', 99, '{"a":1}', 2, 3, 4, 'line' || char(10))`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(ctx, path, append(before, LogMigrations[2]), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var log string
	in, err := scanInstance(db.Reader().QueryRowContext(ctx, `SELECT `+instanceColumns+`, log FROM saga_instances`), &log)
	if err != nil {
		t.Fatal(err)
	}
	if in.ID != "o1/CreateOrder" || in.State != "RUNNING" || in.Awaiting != "c1" || string(in.Data) != `{"a":1}` ||
		in.Version != 2 || log != "line\n" {
		t.Fatalf("after the migration: %+v, log %q", in, log)
	}
	var indexes int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index'
		AND name IN ('saga_instances_correlation', 'saga_instances_deadline')`).Scan(&indexes); err != nil || indexes != 2 {
		t.Fatalf("%d of the 2 indexes (%v)", indexes, err)
	}
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE saga_instances SET state = 'LOST'`)
		return err
	})
	if err == nil {
		t.Fatal("an unknown state was written")
	}
	// Planned on the writer: a read-only connection's plan leaves the CHECK out.
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		for _, q := range []string{
			`INSERT INTO saga_instances (` + instanceColumns + `, log) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			`UPDATE saga_instances SET state = ?, step = ?, log = log || ? WHERE id = ? AND version = ?`,
		} {
			ops, err := storage.QueryAll(ctx, tx, func(row storage.Scanner) (string, error) {
				var addr, p1, p2, p3, p5 int
				var op string
				var p4, comment sql.NullString
				err := row.Scan(&addr, &op, &p1, &p2, &p3, &p4, &p5, &comment)
				return op, err
			}, "EXPLAIN "+q, make([]any, strings.Count(q, "?"))...)
			if err != nil {
				return err
			}
			if slices.Contains(ops, "OpenEphemeral") {
				t.Errorf("%s opens an ephemeral table", q)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
