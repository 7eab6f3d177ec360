package bus

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Acknowledgement tracking, for a transport whose rows are done only when
// every consumer has handled them (AfterConsumers): the relay remembers,
// per published row, the consumers it still waits for, moves its delivered
// position over the rows all have handled, and publishes again the rows
// some consumer has not handled for Config.RedeliverAfter.

// inFlight is a published row some consumer has still to handle.
type inFlight struct {
	seq       int64
	topic     string
	msg       *message.Message
	waiting   map[string]bool // consumers that have not handled it yet
	published time.Time
}

// acked records that consumer has handled the message id.
func (r *relay) acked(id, consumer string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f, ok := r.pending[id]
	if !ok || !f.waiting[consumer] {
		return
	}
	delete(f.waiting, consumer)
	r.owed[consumer]--
	if r.stalled && r.owed[consumer] <= publishWindow/2 {
		r.stalled = false
		r.wake()
	}
	if len(f.waiting) == 0 {
		delete(r.pending, id)
		r.advanceLocked()
	}
}

// advanceLocked moves delivered up to just below the oldest pending row.
// Pending rows are queued in publish order, so this is the queue's head:
// handled rows are dropped from the front, in amortised constant time.
func (r *relay) advanceLocked() {
	for len(r.inOrder) > 0 && len(r.inOrder[0].waiting) == 0 {
		r.inOrder[0] = nil
		r.inOrder = r.inOrder[1:]
	}
	if len(r.inOrder) == 0 {
		r.delivered = r.published
		return
	}
	r.delivered = r.inOrder[0].seq - 1
}

// waitingFor adds to into the consumers some published row waits for.
func (r *relay) waitingFor(into map[string]bool) {
	r.waitingNeeded(into, nil)
}

// waitingNeeded adds to into the consumers that a published message waits
// for and, when needs is set, needs: a consumer with no handler for a
// message acknowledges it without waiting on anything, pause included.
// needs runs outside the relay's lock.
func (r *relay) waitingNeeded(into map[string]bool, needs func(ctx context.Context, consumer string, env Envelope) bool) {
	type wait struct {
		consumer string
		f        *inFlight
	}
	var waits []wait
	r.mu.Lock()
	for _, f := range r.pending {
		for c := range f.waiting {
			waits = append(waits, wait{c, f})
		}
	}
	r.mu.Unlock()
	for _, w := range waits {
		if needs == nil {
			into[w.consumer] = true
			continue
		}
		env := envelopeFrom(w.f.msg)
		env.Topic = w.f.topic
		if needs(context.Background(), w.consumer, env) {
			into[w.consumer] = true
		}
	}
}

// redeliverStale publishes again the messages some consumer has not handled
// for RedeliverAfter: the in-memory pub/sub may have dropped them. Consumers
// that did handle them ignore the copy (inbox).
func (r *relay) redeliverStale(ctx context.Context) {
	after := r.cfg.RedeliverAfter
	now := time.Now()
	if now.Sub(r.scannedAt) < min(after/4, time.Second) {
		return // a stale message waits a little longer; the relay's hot loop stays light
	}
	r.scannedAt = now
	r.scans.Add(1)
	type resend struct {
		f  *inFlight
		to []string
	}
	var stale []resend
	r.mu.Lock()
	for _, f := range r.pending {
		if now.Sub(f.published) > after {
			f.published = now
			stale = append(stale, resend{f, slices.Sorted(maps.Keys(f.waiting))})
		}
	}
	r.mu.Unlock()
	r.redelivered.Add(int64(len(stale)))
	for _, s := range stale {
		r.send(ctx, s.to, s.f.topic, s.f.msg) //nolint:errcheck // a closed transport drops it; the next start republishes
	}
}

// owedTo returns how many published messages consumer has not handled.
func (r *relay) owedTo(consumer string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.owed[consumer]
}
