package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// Quiesce returns only once the consumer's running handler has finished;
// until resume nothing more is handled, a ResumeConsumer included; after
// resume what was sent meanwhile is handled.
func TestQuiesceWaitsForRunningHandlers(t *testing.T) {
	dbs := openDBs(t, "src", "dst")
	src, dst := dbs[0], dbs[1]
	b, err := New(Config{PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	out := b.Outbox("producer", src)
	entered, release := make(chan struct{}, 10), make(chan struct{})
	var handled atomic.Int32
	HandleAll(b.Consumer("consumer", dst, nil), "things", func(ctx context.Context, tx *Tx, env Envelope) error {
		entered <- struct{}{}
		<-release
		handled.Add(1)
		return nil
	})
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	send := func() {
		err := out.Write(context.Background(), func(tx *Tx) error {
			return tx.Emit(context.Background(), Message{Topic: "things", Type: "Thing", Payload: 1})
		})
		if err != nil {
			t.Fatal(err)
		}
	}

	send()
	<-entered // a handler is running
	quiet := make(chan int32)
	go func() {
		resume, err := b.Quiesce(context.Background(), "consumer")
		if err != nil {
			t.Error(err)
		}
		quiet <- handled.Load()
		<-quiet
		resume()
	}()
	g := b.gate("consumer")
	waitFor(t, "Quiesce to hold the gate", func() bool { g.mu.Lock(); defer g.mu.Unlock(); return g.holds == 1 })
	close(release)
	if n := <-quiet; n != 1 {
		t.Fatalf("Quiesce returned with %d messages handled, before the running handler finished", n)
	}

	send()
	b.PauseConsumer("consumer")
	b.ResumeConsumer("consumer") // does not end the quiet
	waitFor(t, "the relay to publish the second message", func() bool {
		out.relay.mu.Lock()
		defer out.relay.mu.Unlock()
		return len(out.relay.pending) == 1
	})
	select {
	case <-entered:
		t.Fatal("a message was handled while the consumer was quiesced")
	default:
	}
	quiet <- 0 // resume
	waitFor(t, "the held message to be handled after resume", func() bool { return handled.Load() == 2 && b.Idle() })
}
