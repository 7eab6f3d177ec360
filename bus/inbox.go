package bus

import (
	"context"
	"time"
)

// Delivery is one message handled by one consumer.
type Delivery struct {
	Envelope
	Consumer string
	// Module is the module the consumer belongs to, whose outbox its
	// handlers emit to (the Source of what they emit); empty for a
	// consumer that emits nothing.
	Module string
	// Duplicate is true when the consumer had handled the message before
	// and ignored this copy.
	Duplicate bool
	// Ignored is true when the consumer does not need the message (no
	// handler takes its type, or the handler's condition declined it): it
	// was acknowledged with no transaction.
	Ignored bool
	// Effect is what the consumer's local transaction changed, as its
	// handler noted (see Tx.Note).
	Effect string
	At     time.Time
	// Took is how long the consumer's local transaction took, handler
	// included: the whole batch's, for a message handled in a batch (wall
	// time, whatever the bus's clock).
	Took time.Duration
}

// handle runs run for env in one transaction (shared with the other
// messages waiting for c, see batch.go) that also records env in c's inbox,
// so a second copy changes nothing, then acknowledges env. A nil run means c
// does not need env: it is acknowledged with no transaction.
func (c *Consumer) handle(ctx context.Context, env Envelope, run func(context.Context, *Tx) error) (Delivery, error) {
	b := c.bus
	d := Delivery{Envelope: env, Consumer: c.name}
	if run == nil {
		d.Ignored = true
	} else {
		q := c.handleQueued(ctx, env, run)
		d = q.d
		if q.err != nil {
			return d, &handlingError{consumer: c.name, env: env, err: q.err}
		}
		if q.resolved {
			c.dl.setParked(env.ID, false)
		}
	}
	b.acked(env.Source, env.ID, c.name)
	if c.out != nil {
		d.Module = c.out.source
	}
	d.At = b.cfg.Now()
	if b.cfg.Observer != nil {
		b.cfg.Observer.Handled(d)
	}
	return d, nil
}
