package bus

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func (p *pair) deadLetters(t *testing.T) []DeadLetter {
	t.Helper()
	list, err := p.b.DeadLetters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// parked waits until the pair's message is parked with every failed run
// counted, and returns its dead letter.
func (p *pair) parked(t *testing.T) DeadLetter {
	t.Helper()
	var list []DeadLetter
	waitFor(t, "the message to be parked", func() bool {
		list = p.deadLetters(t)
		return p.b.Idle() && len(list) == 1 && list[0].Attempts == int(p.attempts.Load())
	})
	return list[0]
}

func savedPosition(t *testing.T, dir string) int64 {
	t.Helper()
	var delivered int64
	db := openDB(t, filepath.Join(dir, "src.db"))
	defer db.Close()
	if err := db.Reader().QueryRow(`SELECT delivered_seq FROM outbox_relay`).Scan(&delivered); err != nil {
		t.Fatal(err)
	}
	return delivered
}

// A message its consumer cannot handle is parked once, after the retries,
// with every attempt counted; the relay's position passes it and the relay
// stops publishing it. The record survives a restart, where the message is
// not published again. A retry that fails counts one more attempt and keeps
// the new error; a retry once the handler works handles it exactly once and
// removes the record.
func TestUnhandledMessageIsParked(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := startPair(t, dir, -1)
	p.send(t)
	dl := p.parked(t)
	if dl.Consumer != "consumer" || dl.Type != "Thing" || dl.Source != "producer" || dl.Topic != "things" ||
		dl.CorrelationID != "c" || string(dl.Payload) != "1" || dl.Error != "not today" {
		t.Fatalf("dead letter %+v: want consumer's Thing from producer on things, correlation c, payload 1, error \"not today\"", dl)
	}
	if dl.Attempts < 3 { // the first run and MaxRetries retries
		t.Fatalf("%d attempts recorded, want at least 3", dl.Attempts)
	}
	if dl.FirstSeen.IsZero() || dl.LastSeen.Before(dl.FirstSeen) {
		t.Fatalf("first seen %v, last seen %v", dl.FirstSeen, dl.LastSeen)
	}

	// The relay no longer waits for it: nothing is pending, the position
	// has passed it, and scans for stale messages well after RedeliverAfter
	// publish nothing again.
	p.out.relay.mu.Lock()
	pending, delivered := len(p.out.relay.pending), p.out.relay.delivered
	p.out.relay.mu.Unlock()
	if pending != 0 || delivered != 1 {
		t.Fatalf("relay: %d pending, delivered up to %d; want 0 pending, delivered up to 1", pending, delivered)
	}
	calls, redelivered, scans := p.attempts.Load(), p.out.relay.redelivered.Load(), p.out.relay.scans.Load()
	parkedAt := time.Now()
	waitFor(t, "two stale-message scans after RedeliverAfter", func() bool {
		return time.Since(parkedAt) > 2*redeliverAfter && p.out.relay.scans.Load() >= scans+2
	})
	if p.attempts.Load() != calls || p.out.relay.redelivered.Load() != redelivered {
		t.Fatalf("after parking: handler runs %d → %d, republished %d → %d; want no change",
			calls, p.attempts.Load(), redelivered, p.out.relay.redelivered.Load())
	}
	p.close(t)
	if got := savedPosition(t, dir); got != 1 {
		t.Fatalf("saved relay position %d, want 1: the parked message holds the relay back", got)
	}

	// After a restart, still broken: the record is there, the message is not
	// published again, and a retry fails once more.
	p = startPair(t, dir, -1)
	defer p.close(t)
	waitFor(t, "the bus to be idle", p.b.Idle)
	if p.attempts.Load() != 0 {
		t.Fatalf("the parked message was handled %d times after the restart, want 0", p.attempts.Load())
	}
	again, err := p.b.RetryDeadLetter(ctx, "consumer", dl.ID)
	if !errors.Is(err, ErrStillFailing) {
		t.Fatalf("retry of a still-failing message: %v, want ErrStillFailing", err)
	}
	list := p.deadLetters(t)
	if len(list) != 1 || list[0].Attempts != dl.Attempts+1 || list[0].Attempts != again.Attempts ||
		list[0].Error != "not today" || !list[0].LastSeen.After(dl.LastSeen) {
		t.Fatalf("after a failed retry: %+v, want one record with %d attempts", list, dl.Attempts+1)
	}

	// Fixed: the retry handles it once and removes the record.
	p.failuresLeft.Store(0)
	if _, err := p.b.RetryDeadLetter(ctx, "consumer", dl.ID); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := p.handled.Load(); n != 1 {
		t.Fatalf("handled %d times, want 1", n)
	}
	if list := p.deadLetters(t); len(list) != 0 {
		t.Fatalf("dead letters after a successful retry: %+v", list)
	}
	if _, err := p.b.RetryDeadLetter(ctx, "consumer", dl.ID); !errors.Is(err, ErrNoDeadLetter) {
		t.Fatalf("second retry: %v, want ErrNoDeadLetter", err)
	}
}

// A dropped dead letter is gone for good: the consumer never handles the
// message, and a restart does not bring it back.
func TestDroppedDeadLetter(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	p := startPair(t, dir, -1)
	p.send(t)
	dl := p.parked(t)
	got, err := p.b.DropDeadLetter(ctx, "consumer", dl.ID)
	if err != nil || got.ID != dl.ID {
		t.Fatalf("drop: %+v, %v", got, err)
	}
	if list := p.deadLetters(t); len(list) != 0 {
		t.Fatalf("dead letters after a drop: %+v", list)
	}
	if _, err := p.b.DropDeadLetter(ctx, "consumer", dl.ID); !errors.Is(err, ErrNoDeadLetter) {
		t.Fatalf("second drop: %v, want ErrNoDeadLetter", err)
	}
	if _, err := p.b.DropDeadLetter(ctx, "nobody", dl.ID); !errors.Is(err, ErrNoDeadLetter) {
		t.Fatalf("drop at an unknown consumer: %v, want ErrNoDeadLetter", err)
	}
	p.close(t)
	p = startPair(t, dir, 0)
	defer p.close(t)
	waitFor(t, "the bus to be idle", p.b.Idle)
	if p.attempts.Load() != 0 || len(p.deadLetters(t)) != 0 {
		t.Fatalf("after a restart: %d handler runs, dead letters %+v; want none", p.attempts.Load(), p.deadLetters(t))
	}
}

// A parked message that comes again (the relay publishes it again when the
// process died before saving its position) and is handled this time takes
// its dead letter away in the same transaction.
func TestHandledCopyRemovesDeadLetter(t *testing.T) {
	p := startPair(t, t.TempDir(), -1)
	defer p.close(t)
	p.send(t)
	dl := p.parked(t)
	p.failuresLeft.Store(0)
	p.out.relay.publish(context.Background(), []string{"consumer"}, "things", toMessage(dl.Envelope))
	waitFor(t, "the copy to be handled", func() bool { return p.handled.Load() == 1 })
	waitFor(t, "the dead letter to go", func() bool { return len(p.deadLetters(t)) == 0 })
	if p.b.deadLetters["consumer"].isParked(dl.ID) {
		t.Fatal("the consumer still counts the message as parked")
	}
}

// A message that fails while the bus closes is not parked: the failure
// comes from the closing, and the message waits for the next start.
func TestNotParkedWhileClosing(t *testing.T) {
	dir := t.TempDir()
	p := startPair(t, dir, 0)
	p.b.PauseConsumer("consumer") // the handler waits at its gate...
	p.send(t)
	waitFor(t, "the message to be published", func() bool {
		p.out.relay.mu.Lock()
		defer p.out.relay.mu.Unlock()
		return len(p.out.relay.pending) == 1
	})
	p.close(t) // ...which fails with "bus closing"
	p = startPair(t, dir, 0)
	defer p.close(t)
	waitFor(t, "the message to be handled after the restart", func() bool { return p.handled.Load() == 1 })
	if list := p.deadLetters(t); len(list) != 0 {
		t.Fatalf("parked while closing: %+v", list)
	}
}

// Retrying needs a running bus whose consumer is not paused.
func TestRetryRefused(t *testing.T) {
	ctx := context.Background()
	p := startPair(t, t.TempDir(), -1)
	p.send(t)
	dl := p.parked(t)
	p.b.PauseConsumer("consumer")
	if _, err := p.b.RetryDeadLetter(ctx, "consumer", dl.ID); !errors.Is(err, ErrPaused) {
		t.Fatalf("retry while paused: %v, want ErrPaused", err)
	}
	p.b.ResumeConsumer("consumer")
	p.close(t)
	if _, err := p.b.RetryDeadLetter(ctx, "consumer", dl.ID); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("retry on a closed bus: %v, want ErrNotRunning", err)
	}
}
