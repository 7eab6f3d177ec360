package bus

import (
	"testing"
	"time"
)

// A handling that fails is tried again MaxRetries times at most, waiting
// longer each time (5 ms, then 10 ms, ...): one that succeeds on its last
// retry is handled once and parked nowhere; one that never succeeds runs
// once and MaxRetries times more before it is parked.
func TestRetries(t *testing.T) {
	t.Run("succeeds on the last retry", func(t *testing.T) {
		p := startPair(t, t.TempDir(), 2) // MaxRetries is 2
		defer p.close(t)
		began := time.Now()
		p.send(t)
		waitFor(t, "the message to be handled", func() bool { return p.handled.Load() == 1 && p.b.Idle() })
		if took := time.Since(began); took < 15*time.Millisecond {
			t.Errorf("handled after %v: the two retries did not wait 5 ms and 10 ms", took)
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
