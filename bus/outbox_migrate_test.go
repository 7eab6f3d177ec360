package bus

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"sagalab/storage"
)

// TestLeanOutboxMigration: the copy keeps every row and column, those an
// earlier migration added included, and every index but the id's; drops
// the sqlite_sequence row; and the next message takes the seq after the
// largest.
func TestLeanOutboxMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "src.db")
	before := append(append(append([]storage.Migration{}, Migrations...), TraceMigrations...), storage.Migration{
		Name: "stream columns, as the event store adds them", SQL: `
ALTER TABLE outbox ADD COLUMN stream_id TEXT;
ALTER TABLE outbox ADD COLUMN stream_version INTEGER;
CREATE UNIQUE INDEX outbox_stream ON outbox (stream_id, stream_version) WHERE stream_id IS NOT NULL;`})
	db, err := storage.Open(ctx, path, before, storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, topic, position, type, correlation_id, causation_id,
			reply_to, payload, created_at, effect, stream_id, stream_version) VALUES
			('m1', 'order', 1, 'OrderCreated', 'o1', '', '', '{}', 10, 'created o1', 's1', 1),
			('m2', 'order', 2, 'OrderApproved', 'o1', 'm1', '', '{"a":1}', 11, '', NULL, NULL),
			('m3', 'customer', 1, 'CreditReserved', 'o1', 'm1', 'order-replies', '{}', 12, '', 's1', 2)`)
		if err == nil {
			_, err = tx.ExecContext(ctx, `DELETE FROM outbox WHERE message_id = 'm1'`) // pruned
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = storage.Open(ctx, path, append(before, LeanOutboxMigrations...), storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := db.Reader()
	var rows string
	err = r.QueryRowContext(ctx, `SELECT group_concat(concat_ws('|', seq, message_id, topic, position, type, correlation_id,
		causation_id, reply_to, payload, created_at, effect, stream_id, stream_version), ';') FROM outbox`).Scan(&rows)
	if want := `2|m2|order|2|OrderApproved|o1|m1||{"a":1}|11|;3|m3|customer|1|CreditReserved|o1|m1|order-replies|{}|12||s1|2`; err != nil || rows != want {
		t.Fatalf("rows after the copy:\n%s (%v)\nwant\n%s", rows, err, want)
	}
	indexes, err := storage.QueryStrings(ctx, r, `SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'outbox' ORDER BY name`)
	if want := "[outbox_correlation outbox_stream outbox_topic_position]"; err != nil || fmt.Sprint(indexes) != want {
		t.Fatalf("indexes %v (%v), want %s", indexes, err, want)
	}
	var sequences int
	if err := r.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_sequence WHERE name = 'outbox'`).Scan(&sequences); err != nil || sequences != 0 {
		t.Fatalf("%d sqlite_sequence rows for the outbox (%v)", sequences, err)
	}

	b, err := New(Config{PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	out := b.Outbox("producer", db)
	var got []written
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		got, err = out.write(ctx, tx, time.Now(), Message{Topic: "order", Type: "OrderCancelled", CorrelationID: "o1"})
		return err
	})
	if err != nil || len(got) != 1 || got[0].row.Seq != 4 || got[0].pos.N != 3 {
		t.Fatalf("the next message: %+v (%v), want seq 4 at position 3", got, err)
	}
	// The stream's unique index still holds.
	err = db.WriteTx(ctx, func(tx *storage.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, topic, position, type, correlation_id, causation_id,
			reply_to, payload, created_at, stream_id, stream_version) VALUES ('m9', 'customer', 2, 'X', '', '', '', '{}', 13, 's1', 2)`)
		return err
	})
	if err == nil {
		t.Fatal("a second event at version 2 of stream s1 was written")
	}
}
