package load

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// Tracker times sagas from their order's creation to its final state. The
// Order service tells it of finished orders (Finished), the load of
// created ones (Started), in either order.
type Tracker struct {
	mu      sync.Mutex
	pending map[string]time.Time // id -> start, or end for a saga that ended before Started
	ended   map[string]bool      // ids in pending that hold an end
	took    []time.Duration
	changed chan struct{}
}

// NewTracker returns an empty Tracker.
func NewTracker() *Tracker {
	return &Tracker{pending: map[string]time.Time{}, ended: map[string]bool{}, changed: make(chan struct{}, 1)}
}

// Started records that order id was due at due.
func (t *Tracker) Started(id string, due time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ended[id] {
		t.took = append(t.took, t.pending[id].Sub(due))
		delete(t.pending, id)
		delete(t.ended, id)
		t.signal()
		return
	}
	t.pending[id] = due
}

// Finished records that order id reached its final state now.
func (t *Tracker) Finished(id string) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	start, ok := t.pending[id]
	if !ok {
		t.pending[id], t.ended[id] = now, true
		return
	}
	if t.ended[id] {
		return
	}
	t.took = append(t.took, now.Sub(start))
	delete(t.pending, id)
	t.signal()
}

func (t *Tracker) signal() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// reset forgets what was timed so far (customers' set-up, an earlier run).
func (t *Tracker) reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	clear(t.pending)
	clear(t.ended)
	t.took = t.took[:0]
}

// wait waits until n sagas have been timed.
func (t *Tracker) wait(ctx context.Context, n int) error {
	for {
		t.mu.Lock()
		got := len(t.took)
		t.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for the sagas to end (%d of %d): %w", got, n, ctx.Err())
		case <-t.changed:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// latencies returns the times taken, sorted.
func (t *Tracker) latencies() []time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := slices.Clone(t.took)
	slices.Sort(out)
	return out
}
