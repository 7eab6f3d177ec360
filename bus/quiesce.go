package bus

import (
	"context"
	"fmt"
	"sync"
)

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

// drained waits until no handler the gate let through is still running.
func (g *gate) drained(ctx context.Context) error {
	for {
		g.mu.Lock()
		if g.active == 0 {
			g.mu.Unlock()
			return nil
		}
		if g.idle == nil {
			g.idle = make(chan struct{})
		}
		idle := g.idle
		g.mu.Unlock()
		select {
		case <-idle:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
