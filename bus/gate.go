package bus

import (
	"context"
	"errors"
	"sync"
)

// gate blocks handlers while it is closed (PauseConsumer) or held
// (Quiesce), and counts the handlers it has let through.
type gate struct {
	mu     sync.Mutex
	ch     chan struct{} // closed while the gate is open
	shut   bool
	holds  int           // Quiesce calls not yet resumed
	active int           // handlers let through and not yet done
	idle   chan struct{} // closed when active drops to 0
}

func newGate() *gate {
	ch := make(chan struct{})
	close(ch)
	return &gate{ch: ch}
}

func (g *gate) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = true
	g.updateLocked()
}

func (g *gate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.shut = false
	g.updateLocked()
}

// updateLocked opens or closes ch to match shut and holds.
func (g *gate) updateLocked() {
	select {
	case <-g.ch: // open
		if g.shut || g.holds > 0 {
			g.ch = make(chan struct{})
		}
	default:
		if !g.shut && g.holds == 0 {
			close(g.ch)
		}
	}
}

func (g *gate) isShut() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.shut
}

// enter waits until the gate is open and counts the caller in; the caller
// calls leave when done.
func (g *gate) enter(ctx context.Context, closing <-chan struct{}) error {
	for {
		g.mu.Lock()
		ch := g.ch
		select {
		case <-ch:
			g.active++
			g.mu.Unlock()
			return nil
		default:
		}
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-closing:
			return errors.New("bus closing")
		}
	}
}

func (g *gate) leave() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	if g.active == 0 && g.idle != nil {
		close(g.idle)
		g.idle = nil
	}
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
