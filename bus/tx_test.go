package bus

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// A commit that emitted wakes the relay: with polling practically off,
// a message still goes out at once, and so does the one its handler emits,
// which names the handled message as its cause.
func TestCommitWakesRelayAndEmitSetsCausation(t *testing.T) {
	dbs := openDBs(t, "src", "mid", "dst")
	src, mid, dst := dbs[0], dbs[1], dbs[2]
	b, err := New(Config{PollInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	out, midOut := b.Outbox("producer", src), b.Outbox("middle", mid)
	HandleAll(b.Consumer("middle", mid, midOut), "things", func(ctx context.Context, tx *Tx, env Envelope) error {
		tx.Note("passed on")
		return tx.Emit(ctx, Message{Topic: "more", Type: "More", CorrelationID: env.CorrelationID, Payload: 2})
	})
	var mu sync.Mutex
	var got []Envelope
	HandleAll(b.Consumer("end", dst, nil), "more", func(_ context.Context, _ *Tx, env Envelope) error {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, env)
		return nil
	})
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	// The relays' first look, at start, found nothing; only a wake-up can
	// publish what is written now.
	var first string
	err = out.Write(context.Background(), func(tx *Tx) error {
		first = out.NewID()
		return tx.Emit(context.Background(), Message{ID: first, Topic: "things", Type: "Thing", CorrelationID: "c", Payload: 1})
	})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the caused message to arrive", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) == 1
	})
	if got[0].CausationID != first || got[0].CorrelationID != "c" {
		t.Fatalf("caused message has causation %q and correlation %q, want %q and c", got[0].CausationID, got[0].CorrelationID, first)
	}
}

// Every message one transaction writes carries the same creation time, so
// that a trace can tell which were written together; the next
// transaction's carry its own.
func TestMessagesOfOneTransactionShareTheirTime(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "src.db"))
	defer db.Close()
	var mu sync.Mutex
	clock := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
	b, err := New(Config{PollInterval: time.Hour, Now: func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		clock = clock.Add(time.Millisecond) // every reading later than the last
		return clock
	}})
	if err != nil {
		t.Fatal(err)
	}
	out := b.Outbox("producer", db)
	ctx := context.Background()
	write := func(types ...string) {
		t.Helper()
		err := out.Write(ctx, func(tx *Tx) error {
			for _, typ := range types { // one Emit each
				if err := tx.Emit(ctx, Message{Topic: "things", Type: typ, CorrelationID: "c", Payload: 1}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	write("A", "B")
	write("C")
	rows, err := ReadTraffic(ctx, db, "producer", "c")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows, want 3", len(rows))
	}
	if !rows[0].At.Equal(rows[1].At) {
		t.Errorf("one transaction's messages were created at %s and %s, want one time", rows[0].At, rows[1].At)
	}
	if rows[2].At.Equal(rows[0].At) {
		t.Errorf("the next transaction's message has the first one's time %s", rows[2].At)
	}
}
