package bus

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Parking a message no handler can take. The router's middleware runs
//
//	park ▸ retry ▸ countFailures ▸ recoverer ▸ consumer
//
// so park sees what the retries could not fix and countFailures sees every
// failed run.

// failuresKey carries, in a message's context, its failed runs.
type failuresKey struct{}

// failures are a message's failed runs by one consumer, counted since the
// router received it.
type failures struct {
	n    int
	last error
}

// countFailures counts each failed run of the handler it wraps, for park.
func countFailures(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if f, ok := msg.Context().Value(failuresKey{}).(*failures); ok && err != nil {
			f.n++
			f.last = err
		}
		return out, err
	}
}

// park is the outermost middleware: a message its consumer still fails to
// handle after the retries is parked as a dead letter in the consumer's
// database and then acknowledged to its outbox, so the relay's position
// moves past it and the relay stops publishing it. The record is committed
// before the acknowledgement: nothing is lost if the process dies between
// the two (the relay publishes the message again and it is parked again).
//
// A message given up on while the bus is closing is not parked: the
// failure comes from the closing, so it is nacked and left for the next
// start. If the record cannot be written, the message is left unacknowledged
// and the relay publishes it again after RedeliverAfter.
func (b *Bus) park(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		f := &failures{}
		msg.SetContext(context.WithValue(msg.Context(), failuresKey{}, f))
		firstSeen := b.cfg.Now()
		out, err := h(msg)
		if err == nil || b.isClosing() {
			return out, err
		}
		b.giveUp(msg, err, f, firstSeen)
		return nil, nil
	}
}

// giveUp parks msg, which failed with err after the retries counted in f,
// as a dead letter and acknowledges it; or leaves it for the relay to
// publish again if it cannot. It is out of park's frame, as retryFailed is
// out of retry's.
func (b *Bus) giveUp(msg *message.Message, err error, f *failures, firstSeen time.Time) {
	ctx := msg.Context()
	b.mu.Lock()
	consumer := b.handlers[message.HandlerNameFromCtx(ctx)]
	dl := b.deadLetters[consumer]
	b.mu.Unlock()
	env := envelopeFrom(msg)
	if dl == nil {
		b.log.Error("message given up after retries", "consumer", consumer, "type", env.Type, "id", env.ID, "error", err)
		return
	}
	letter := DeadLetter{Consumer: consumer, Envelope: env, Error: handlerReason(err), Attempts: max(f.n, 1),
		FirstSeen: firstSeen, LastSeen: b.cfg.Now()}
	if perr := dl.park(context.WithoutCancel(ctx), letter); perr != nil {
		b.log.Error("message given up after retries, and not parked: it is delivered again later",
			"consumer", consumer, "type", env.Type, "id", env.ID, "error", err, "park", perr)
		b.giveBack(msg)
		return
	}
	b.log.Error("message parked as a dead letter after retries", "consumer", consumer, "type", env.Type,
		"id", env.ID, "correlation", env.CorrelationID, "attempts", letter.Attempts, "error", letter.Error)
	b.acked(env.Source, env.ID, consumer)
}

// handlingError is a consumer's failure to handle a message.
type handlingError struct {
	consumer string
	env      Envelope
	err      error
}

func (e *handlingError) Error() string {
	return e.consumer + " handling " + e.env.Type + " " + e.env.ID + ": " + e.err.Error()
}

func (e *handlingError) Unwrap() error { return e.err }

// handlerReason is what a dead letter keeps of err: the handler's own
// words, without the consumer, type and id the record holds anyway.
func handlerReason(err error) string {
	var he *handlingError
	if errors.As(err, &he) {
		return he.err.Error()
	}
	return err.Error()
}
