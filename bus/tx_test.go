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
	dir := t.TempDir()
	src, mid, dst := openDB(t, filepath.Join(dir, "src.db")), openDB(t, filepath.Join(dir, "mid.db")),
		openDB(t, filepath.Join(dir, "dst.db"))
	defer src.Close()
	defer mid.Close()
	defer dst.Close()
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
