package bus

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
)

// Controls: what the walkthrough, the fault injector and the operator use
// to stop and start delivery. Hold and Release act on relays (publishing),
// PauseConsumer, ResumeConsumer and Quiesce on consumers (handling); step
// mode (step.go) delivers one message at a time with the relays held.

// Hold stops the relays of the named modules (all when none is named) from
// publishing: committed messages stay in their outboxes, as if the process
// had crashed right after its local commits.
func (b *Bus) Hold(sources ...string) {
	for _, o := range b.outboxesNamed(sources) {
		o.relay.held.Store(true)
	}
}

// Release lets the relays of the named modules (all when none is named)
// publish again, and wakes them. A released relay reads what its outbox
// holds, not what it was handed while held (see relayfeed.go).
func (b *Bus) Release(sources ...string) {
	for _, o := range b.outboxesNamed(sources) {
		o.relay.forgetFed()
		o.relay.held.Store(false)
		o.relay.wake()
	}
}

func (b *Bus) outboxesNamed(sources []string) []*Outbox {
	all := b.outboxList()
	if len(sources) == 0 {
		return all
	}
	var out []*Outbox
	for _, o := range all {
		if slices.Contains(sources, o.source) {
			out = append(out, o)
		}
	}
	return out
}

// PauseConsumer holds every message for consumer until ResumeConsumer: the
// module is "down" while its producers carry on.
func (b *Bus) PauseConsumer(consumer string) { b.gate(consumer).close() }

// ResumeConsumer lets consumer handle messages again.
func (b *Bus) ResumeConsumer(consumer string) { b.gate(consumer).open() }

func (b *Bus) gate(consumer string) *gate {
	b.mu.Lock()
	defer b.mu.Unlock()
	g := b.gates[consumer]
	if g == nil {
		g = newGate()
		b.gates[consumer] = g
	}
	return g
}

// Quiesce stops consumer from handling messages, as PauseConsumer does, and
// returns once the handlers already running for it have finished: until
// resume is called, nothing the consumer does changes its database. The
// messages sent meanwhile are not acknowledged: they wait for the consumer
// and reach it after resume. PauseConsumer and ResumeConsumer in between do
// not end the quiet; resume does not undo a PauseConsumer.
func (b *Bus) Quiesce(ctx context.Context, consumer string) (resume func(), err error) {
	g := b.gate(consumer)
	g.mu.Lock()
	g.holds++
	g.updateLocked()
	g.mu.Unlock()
	var once sync.Once
	resume = func() {
		once.Do(func() {
			g.mu.Lock()
			defer g.mu.Unlock()
			g.holds--
			g.updateLocked()
		})
	}
	if err := g.drained(ctx); err != nil {
		resume()
		return nil, fmt.Errorf("quiesce %s: %w", consumer, err)
	}
	return resume, nil
}

// Awaited names, sorted, the consumers that a published message still waits
// for and that have a handler for it. With Idle it tells a caller whether a
// paused consumer is what the messages in flight wait on: a paused consumer
// with no handler for a message acknowledges it at once, so that message
// does not wait for its return.
func (b *Bus) Awaited() []string {
	waiting := map[string]bool{}
	for _, o := range b.outboxList() {
		o.relay.waitingNeeded(waiting, b.needs)
	}
	if bl, ok := b.transport.(Backlogger); ok {
		for _, name := range b.consumerNames() {
			if n, err := bl.Backlog(name); err == nil && n > 0 {
				waiting[name] = true
			}
		}
	}
	return slices.Sorted(maps.Keys(waiting))
}

// needs reports whether consumer has a handler that takes env (see
// Needing): only such a message waits for the consumer (a paused one's
// included). A name the bus does not know needs everything.
func (b *Bus) needs(ctx context.Context, consumer string, env Envelope) bool {
	b.mu.Lock()
	c := b.consumerByName[consumer]
	b.mu.Unlock()
	return c == nil || c.needs(ctx, env)
}
