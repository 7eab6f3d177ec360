package web

import (
	"sync"

	"sagalab/bus"
)

// clientBuffer is how many updates a page may fall behind before it is
// dropped: a slow page never slows the bus.
const clientBuffer = 64

// Update is what the page is told when a message was handled.
type Update struct {
	OrderID   string `json:"orderId"`
	Type      string `json:"type"`
	From      string `json:"from"`
	To        string `json:"to"`
	Duplicate bool   `json:"duplicate,omitempty"`
}

// Broadcaster is a bus.Observer that fans every handled message out to the
// pages listening, each through a bounded buffer. Handled never blocks: a
// page whose buffer is full is dropped (its event stream ends, and the
// browser reconnects).
type Broadcaster struct {
	mu      sync.Mutex
	clients map[chan Update]struct{}
}

// NewBroadcaster makes a Broadcaster with no listeners.
func NewBroadcaster() *Broadcaster {
	return &Broadcaster{clients: map[chan Update]struct{}{}}
}

// Handled tells every listener about d.
func (b *Broadcaster) Handled(d bus.Delivery) {
	if d.Ignored {
		return
	}
	u := Update{OrderID: d.CorrelationID, Type: d.Type, From: d.Source, To: d.Consumer, Duplicate: d.Duplicate}
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.clients {
		select {
		case c <- u:
		default: // too slow: drop it
			delete(b.clients, c)
			close(c)
		}
	}
}

// Subscribe adds a listener. Its channel is closed when it is dropped or
// after cancel.
func (b *Broadcaster) Subscribe() (updates <-chan Update, cancel func()) {
	c := make(chan Update, clientBuffer)
	b.mu.Lock()
	b.clients[c] = struct{}{}
	b.mu.Unlock()
	return c, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if _, ok := b.clients[c]; ok {
			delete(b.clients, c)
			close(c)
		}
	}
}

// Listeners counts the pages listening.
func (b *Broadcaster) Listeners() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.clients)
}
