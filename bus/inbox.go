package bus

import (
	"context"
	"fmt"
	"time"

	"sagalab/storage"
)

// Delivery is one message handled by one consumer.
type Delivery struct {
	Envelope
	Consumer string
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
	// included (wall time, whatever the bus's clock).
	Took time.Duration
}

// handle runs run for env in one transaction that also records env in c's
// inbox, so a second copy changes nothing, then acknowledges env. A nil run
// means c does not need env: it is acknowledged with no transaction.
func (c *Consumer) handle(ctx context.Context, env Envelope, run func(context.Context, *Tx) error) (Delivery, error) {
	b := c.bus
	d := Delivery{Envelope: env, Consumer: c.name}
	if run == nil {
		d.Ignored = true
	} else {
		resolved := false // a dead letter of the message was removed
		began := time.Now()
		err := c.db.WriteTx(ctx, func(st *storage.Tx) error {
			var seen int
			err := st.QueryRowContext(ctx, `SELECT count(*) FROM inbox WHERE consumer = ? AND message_id = ?`,
				c.name, env.ID).Scan(&seen)
			if err != nil {
				return fmt.Errorf("look up %s in the %s inbox: %w", env.ID, c.name, err)
			}
			if seen > 0 {
				d.Duplicate = true
				resolved, err = c.dl.resolve(ctx, st, env.ID)
				return err
			}
			if err := b.faults.fail(c.name, env); err != nil {
				return err
			}
			tx := &Tx{Tx: st, out: c.out, handling: &env}
			if err := run(ctx, tx); err != nil {
				return err
			}
			d.Effect = tx.Effect()
			_, err = st.ExecContext(ctx, `INSERT INTO inbox
				(consumer, message_id, source, type, correlation_id, causation_id, received_at, effect)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.name, env.ID, env.Source, env.Type, env.CorrelationID,
				env.CausationID, b.cfg.Now().UnixNano(), d.Effect)
			if err != nil {
				return fmt.Errorf("record %s in the %s inbox: %w", env.ID, c.name, err)
			}
			resolved, err = c.dl.resolve(ctx, st, env.ID)
			return err
		})
		d.Took = time.Since(began)
		if err != nil {
			return d, &handlingError{consumer: c.name, env: env, err: err}
		}
		if resolved {
			c.dl.setParked(env.ID, false)
		}
	}
	b.acked(env.Source, env.ID, c.name)
	d.At = b.cfg.Now()
	if b.cfg.Observer != nil {
		b.cfg.Observer.Handled(d)
	}
	return d, nil
}
