package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// A relay publishes no more than publishWindow messages ahead of a consumer
// that is slow to handle them; the rest wait in the outbox and all arrive
// once it catches up. A paused consumer does not hold the others back.
func TestPublishWindow(t *testing.T) {
	dbs := openDBs(t, "src", "slow", "paused")
	src, slowDB, pausedDB := dbs[0], dbs[1], dbs[2]
	b, err := New(Config{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out := b.Outbox("producer", src)
	release := make(chan struct{})
	var arrived, handled atomic.Int32
	Handle(b.Consumer("slow", slowDB, nil), "things", "Thing", func(ctx context.Context, _ *Tx, _ Received[int]) error {
		arrived.Add(1)
		select {
		case <-release:
		case <-ctx.Done():
			return ctx.Err()
		}
		handled.Add(1)
		return nil
	})
	Handle(b.Consumer("paused", pausedDB, nil), "things", "Thing", func(context.Context, *Tx, Received[int]) error {
		return nil
	})
	b.PauseConsumer("paused")
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	const n = 3 * publishWindow
	err = out.Write(context.Background(), func(tx *Tx) error {
		for i := range n {
			if err := tx.Emit(context.Background(), Message{Topic: "things", Type: "Thing", CorrelationID: "c", Payload: i}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The slow consumer's first batch is stuck in its handler; what the
	// relay published meanwhile waits for it in memory.
	waitFor(t, "the first message to reach the slow consumer", func() bool { return arrived.Load() > 0 })
	time.Sleep(100 * time.Millisecond) // ten polls: time for the relay to publish whatever it would
	if owed := b.outboxes["producer"].relay.owedTo("slow"); owed > publishWindow {
		t.Errorf("%d messages published ahead of the slow consumer, want at most %d", owed, publishWindow)
	}
	close(release)
	waitFor(t, "every message to be handled", func() bool { return handled.Load() == n })
	if owed := b.outboxes["producer"].relay.owedTo("paused"); owed != n {
		t.Errorf("the paused consumer is owed %d messages, want all %d", owed, n)
	}
}
