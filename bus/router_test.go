package bus

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

// A handling that fails is tried again MaxRetries times at most, waiting
// longer each time (10 ms, then 40 ms, ...): one that succeeds on its last
// retry is handled once and parked nowhere; one that never succeeds runs
// once and MaxRetries times more before it is parked.
func TestRetries(t *testing.T) {
	t.Run("succeeds on the last retry", func(t *testing.T) {
		p := startPair(t, t.TempDir(), 2) // MaxRetries is 2
		defer p.close(t)
		began := time.Now()
		p.send(t)
		waitFor(t, "the message to be handled", func() bool { return p.handled.Load() == 1 && p.b.Idle() })
		if took := time.Since(began); took < 50*time.Millisecond {
			t.Errorf("handled after %v: the two retries did not wait 10 ms and 40 ms", took)
		}
		if n := p.attempts.Load(); n != 3 {
			t.Errorf("%d attempts, want 3", n)
		}
		if dl := p.deadLetters(t); len(dl) != 0 {
			t.Errorf("dead letters %+v, want none", dl)
		}
	})
	t.Run("never succeeds", func(t *testing.T) {
		p := startPair(t, t.TempDir(), -1)
		defer p.close(t)
		p.send(t)
		// 3 per delivery: a slow machine may see the relay publish the
		// message again while it is being retried.
		if dl := p.parked(t); dl.Attempts < 3 || dl.Attempts%3 != 0 {
			t.Errorf("parked after %d attempts, want 3 per delivery", dl.Attempts)
		}
	})
}

// Closing the bus interrupts what its handlings wait on, an injected
// delay or a retry's wait, instead of waiting it out: Close returns
// without error (the router does not time out on them), no retry runs
// after it, and what was interrupted is left for the next start.
func TestCloseInterruptsWaitingHandlings(t *testing.T) {
	for _, tc := range []struct {
		name   string
		faults Faults
		fail   bool
	}{
		{"injected delay", Faults{Delay: time.Minute}, false},
		{"retry", Faults{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dbs := openDBs(t, "src", "dst")
			src, dst := dbs[0], dbs[1]
			b, err := New(Config{MaxRetries: 8, PollInterval: 10 * time.Millisecond, Faults: tc.faults})
			if err != nil {
				t.Fatal(err)
			}
			out := b.Outbox("producer", src)
			var tries atomic.Int32
			HandleAll(b.Consumer("consumer", dst, nil), "things", func(context.Context, *Tx, Envelope) error {
				tries.Add(1)
				if tc.fail {
					return errors.New("not today")
				}
				return nil
			})
			if err := b.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			err = out.Write(context.Background(), func(tx *Tx) error {
				return tx.Emit(context.Background(), Message{Topic: "things", Type: "Thing", CorrelationID: "c", Payload: 1})
			})
			if err != nil {
				t.Fatal(err)
			}
			if tc.fail {
				// After the third try the retry waits 160 ms.
				waitFor(t, "three tries", func() bool { return tries.Load() >= 3 })
			} else {
				time.Sleep(50 * time.Millisecond) // most likely in its delay
			}
			before := tries.Load()
			if err := b.Close(); err != nil {
				t.Fatalf("close: %v", err)
			}
			if after := tries.Load(); after != before {
				t.Fatalf("%d tries after Close began", after-before)
			}
		})
	}
}
