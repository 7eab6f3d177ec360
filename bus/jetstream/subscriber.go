package jetstream

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/nats-io/nats.go/jetstream"
)

// subscriber is one consumer's Watermill subscriber: a durable JetStream
// consumer per topic, whose messages it hands over one at a time and
// acknowledges to JetStream only when the handler has acknowledged them,
// that is after the consumer's inbox transaction has committed.
//
// A handler that fails is retried by the bus and, if it keeps failing, its
// message is parked as a dead letter and acknowledged: nothing goes round
// in circles. A message the handler gives back (nack: the bus is closing, or
// the dead letter could not be written) is redelivered after a pause.
type subscriber struct {
	t        *Transport
	consumer string

	closeOnce sync.Once
	closing   chan struct{}
	running   sync.WaitGroup // the subscriptions' delivery loops
}

// nakDelay is how long a message given back waits before JetStream
// delivers it again.
const nakDelay = 500 * time.Millisecond

// pullBuffer is how many messages a subscription holds ahead of its handler.
const pullBuffer = 64

// Subscribe returns the messages of topic for the consumer, starting after
// the last one it acknowledged. The channel closes when ctx ends or the
// subscriber or transport is closed.
func (s *subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if s.t.isClosed() {
		return nil, errors.New("subscribe: the JetStream transport is closed")
	}
	d, err := s.t.durable(ctx, s.consumer, topic)
	if err != nil {
		return nil, fmt.Errorf("subscribe %s to %s: %w", s.consumer, topic, err)
	}
	it, err := d.Messages(jetstream.PullMaxMessages(pullBuffer))
	if err != nil {
		return nil, fmt.Errorf("subscribe %s to %s: %w", s.consumer, topic, err)
	}
	out := make(chan *message.Message)
	stop := make(chan struct{})
	s.t.loops.Add(2)
	go func() { // ends the iteration when anyone stops it
		defer s.t.loops.Done()
		select {
		case <-ctx.Done():
		case <-s.closing:
		case <-s.t.ctx.Done():
		case <-stop:
		}
		it.Stop() // what it held comes again after the ack wait
	}()
	s.running.Add(1)
	go func() {
		defer s.t.loops.Done()
		defer s.running.Done()
		defer close(stop)
		defer close(out)
		s.deliver(ctx, it, out)
	}()
	return out, nil
}

// deliver hands the iterator's messages to out, one at a time, until it
// ends. A message taken once the subscription is stopping is given back
// (nak) at once; those still in the iterator's buffer come again after the
// ack wait.
func (s *subscriber) deliver(ctx context.Context, it jetstream.MessagesContext, out chan<- *message.Message) {
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || s.stopped(ctx) {
				return
			}
			s.t.cfg.Logger.Debug("JetStream subscription", "consumer", s.consumer, "error", err)
			continue // a missed heartbeat, a reconnection: the iterator goes on
		}
		if s.stopped(ctx) {
			_ = m.Nak() // for the next start, at once
			continue    // the stopped iterator ends soon
		}
		wm := toWatermill(m)
		wctx, cancel := context.WithCancel(ctx)
		wm.SetContext(wctx)
		select {
		case out <- wm:
			s.await(ctx, m, wm, cancel)
		case <-ctx.Done():
			_ = m.Nak()
		case <-s.closing:
			_ = m.Nak()
		case <-s.t.ctx.Done():
			_ = m.Nak()
		}
		cancel()
	}
}

// await waits for the handler's verdict on wm and passes it on to
// JetStream, telling JetStream meanwhile that the message is being worked
// on (a paused consumer holds it a long time). When the subscription stops
// first, it cancels wm's context and lets the verdict come in the
// background, so the subscription can end.
func (s *subscriber) await(ctx context.Context, m jetstream.Msg, wm *message.Message, cancel func()) {
	if s.pass(m, wm, ctx.Done(), s.closing) {
		return
	}
	cancel()
	s.t.loops.Add(1)
	go func() {
		defer s.t.loops.Done()
		s.pass(m, wm, nil, nil)
	}()
}

// pass passes the handler's verdict on wm on to JetStream, and reports
// whether it did before stop or closing. Once the transport is closed it
// answers nothing: JetStream delivers the message again after the ack wait.
func (s *subscriber) pass(m jetstream.Msg, wm *message.Message, stop, closing <-chan struct{}) bool {
	tick := time.NewTicker(s.t.cfg.AckWait / 3)
	defer tick.Stop()
	for {
		select {
		case <-wm.Acked():
			if err := m.Ack(); err != nil {
				s.t.cfg.Logger.Debug("JetStream ack", "consumer", s.consumer, "id", wm.UUID, "error", err)
			}
			return true
		case <-wm.Nacked():
			_ = m.NakWithDelay(nakDelay)
			return true
		case <-tick.C:
			_ = m.InProgress()
		case <-s.t.ctx.Done():
			return true
		case <-stop:
			return false
		case <-closing:
			return false
		}
	}
}

// stopped reports whether the subscription should stop handing out
// messages.
func (s *subscriber) stopped(ctx context.Context) bool {
	select {
	case <-ctx.Done():
		return true
	case <-s.closing:
		return true
	case <-s.t.ctx.Done():
		return true
	default:
		return false
	}
}

// Close stops the subscriber's subscriptions and returns once their
// channels are closed.
func (s *subscriber) Close() error {
	s.closeOnce.Do(func() { close(s.closing) })
	s.running.Wait()
	return nil
}
