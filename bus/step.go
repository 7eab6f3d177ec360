package bus

import (
	"context"
	"fmt"
	"slices"
)

// held is a message a paused consumer has still to handle in step mode.
type held struct {
	env      Envelope
	consumer string
}

// Stepped is one message handed out by DeliverNext.
type Stepped struct {
	Envelope
	// Deliveries are the consumers' handlings, in consumer-name order; a
	// duplicate or redelivered copy adds one.
	Deliveries []Delivery
	// Waiting names the paused consumers that will get the message when
	// they resume.
	Waiting []string
}

// DeliverNext is step mode, for walkthroughs and repeatable runs: with the
// relays held (Hold), it takes the oldest committed message no consumer has
// been given (or one a resumed consumer still owes) and hands it to each of
// its topic's consumers in turn, through the same consumer code as the
// pub/sub (inbox, transaction, acknowledgement), before returning. It
// reports false when nothing is left to deliver.
func (b *Bus) DeliverNext(ctx context.Context) (Stepped, bool, error) {
	b.mu.Lock()
	for i, h := range b.backlog {
		if g := b.gates[h.consumer]; g != nil && g.isShut() {
			continue
		}
		b.backlog = slices.Delete(b.backlog, i, i+1)
		b.mu.Unlock()
		st := Stepped{Envelope: h.env}
		err := b.deliverStep(ctx, &st, h.consumer)
		return st, true, err
	}
	b.mu.Unlock()

	var next *Envelope
	var from *Outbox
	for _, o := range b.outboxList() {
		o.relay.mu.Lock()
		after := o.relay.published
		o.relay.mu.Unlock()
		rows, err := o.relay.readRows(ctx, after, 1)
		if err != nil {
			return Stepped{}, false, err
		}
		if len(rows) == 1 && (next == nil || earlier(rows[0], *next)) {
			next, from = &rows[0], o
		}
	}
	if next == nil {
		return Stepped{}, false, nil
	}
	st := Stepped{Envelope: *next}
	from.relay.markPublished(ctx, *next, toMessage(*next), b.cfg.Now())
	b.mu.Lock()
	consumers := slices.Clone(b.topicConsumers[next.Topic])
	b.mu.Unlock()
	for _, c := range consumers {
		if c.gate.isShut() {
			run, err := c.match(ctx, *next)
			if err != nil {
				return st, true, err
			}
			if run != nil { // needed: it waits for the consumer's return
				b.mu.Lock()
				b.backlog = append(b.backlog, held{env: *next, consumer: c.name})
				b.mu.Unlock()
				st.Waiting = append(st.Waiting, c.name)
				continue
			}
		}
		if err := b.deliverStep(ctx, &st, c.name); err != nil {
			return st, true, err
		}
	}
	return st, true, nil
}

// earlier orders messages across outboxes: by commit time, then module, then
// outbox sequence.
func earlier(a, b Envelope) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.Before(b.CreatedAt)
	}
	if a.Source != b.Source {
		return a.Source < b.Source
	}
	return a.Seq < b.Seq
}

// deliverStep hands st's message to consumer, then again for each injected
// duplicate or lost acknowledgement.
func (b *Bus) deliverStep(ctx context.Context, st *Stepped, consumer string) error {
	c := b.consumerOf(st.Topic, consumer)
	if c == nil {
		return fmt.Errorf("step: no consumer %s on %s", consumer, st.Topic)
	}
	copies := 1
	if b.faults.chance(b.faults.f.Duplicate) {
		copies++
	}
	for i := 0; i < copies; i++ {
		d, err := c.deliver(ctx, st.Envelope)
		if err != nil {
			return err
		}
		st.Deliveries = append(st.Deliveries, d)
		if b.faults.loseAck(consumer, st.ID) {
			copies++ // the broker, never told, delivers it again
		}
	}
	return nil
}
