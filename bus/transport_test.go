package bus

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// brokerLike is a transport that, like a durable broker, is done with a row
// once it has taken the publish.
type brokerLike struct{ *InProcess }

func (brokerLike) Completion() Completion { return AfterPublish }

// With an AfterPublish transport the relay moves its saved position past a
// row as soon as the transport took it, without waiting for consumers (a
// broker redelivers to them itself); with the in-process transport it waits for every
// consumer.
func TestRelayCompletion(t *testing.T) {
	for _, tc := range []struct {
		name      string
		transport Transport
		wantDone  bool
	}{
		{"in-process", NewInProcess(), false},
		{"after publish", brokerLike{NewInProcess()}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbs := openDBs(t, "src", "dst")
			src, dst := dbs[0], dbs[1]
			b, err := New(Config{PollInterval: 5 * time.Millisecond, Transport: tc.transport})
			if err != nil {
				t.Fatal(err)
			}
			out := b.Outbox("producer", src)
			var handled atomic.Int32
			HandleAll(b.Consumer("consumer", dst, nil), "things", func(context.Context, *Tx, Envelope) error {
				handled.Add(1)
				return nil
			})
			b.PauseConsumer("consumer")
			if err := b.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			err = out.Write(context.Background(), func(tx *Tx) error {
				return tx.Emit(context.Background(), Message{Topic: "things", Type: "Thing", Payload: 1})
			})
			if err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the row to be published", func() bool {
				out.relay.mu.Lock()
				defer out.relay.mu.Unlock()
				return out.relay.published == 1
			})
			out.relay.mu.Lock()
			done := out.relay.delivered == 1
			out.relay.mu.Unlock()
			if done != tc.wantDone || handled.Load() != 0 {
				t.Fatalf("row done = %v with the consumer paused (handled %d), want %v", done, handled.Load(), tc.wantDone)
			}
			b.ResumeConsumer("consumer")
			waitFor(t, "the row to be handled", func() bool { return handled.Load() == 1 })
		})
	}
}
