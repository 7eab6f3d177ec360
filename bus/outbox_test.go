package bus

import (
	"context"
	"errors"
	"slices"
	"testing"

	"sagalab/storage"
)

// The outbox keeps each topic's last position in memory; a message whose
// transaction, or savepoint, rolled back must leave no gap behind it.
func TestOutboxPositionsHaveNoGapsAfterRollbacks(t *testing.T) {
	db, out := openOutbox(t)
	ctx := context.Background()
	emit := func(tx *Tx, typ string) error {
		return tx.Emit(ctx, Message{Topic: "things", Type: typ, CorrelationID: "c", Payload: 1})
	}
	failed := errors.New("failed on purpose")
	steps := []struct {
		name string
		fn   func(tx *Tx) error
		err  error
	}{
		{"first", func(tx *Tx) error { return emit(tx, "A") }, nil},
		{"rolled back", func(tx *Tx) error {
			if err := emit(tx, "Lost"); err != nil {
				return err
			}
			return failed
		}, failed},
		{"after a rollback", func(tx *Tx) error { return emit(tx, "B") }, nil},
		{"savepoint rolled back", func(tx *Tx) error {
			err := tx.Savepoint(func() error {
				if err := emit(tx, "Lost"); err != nil {
					return err
				}
				return failed
			})
			if !errors.Is(err, failed) {
				return err
			}
			return emit(tx, "C")
		}, nil},
		{"last", func(tx *Tx) error { return emit(tx, "D") }, nil},
	}
	for _, s := range steps {
		if err := out.Write(ctx, s.fn); !errors.Is(err, s.err) {
			t.Fatalf("%s: %v, want %v", s.name, err, s.err)
		}
	}
	rows, err := storage.QueryStrings(ctx, db.Reader(), `SELECT type || ' ' || position FROM outbox WHERE topic = 'things' ORDER BY seq`)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"A 1", "B 2", "C 3", "D 4"}; !slices.Equal(rows, want) {
		t.Errorf("outbox holds %q, want %q", rows, want)
	}
}
