package bus

import (
	"context"
	"errors"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/message/router/middleware"
)

// middleware is the router's middleware, outermost first:
//
//	leaveForNextStart ▸ park ▸ retry ▸ countFailures ▸ recoverer ▸ consumer
func (b *Bus) middleware() []message.HandlerMiddleware {
	// The first middleware added is the outermost: a closing bus leaves what
	// it interrupted for the next start; park catches what the retries could
	// not fix and parks it as a dead letter (see park.go).
	return []message.HandlerMiddleware{
		b.leaveForNextStart,
		b.park,
		b.retry,
		countFailures,
		middleware.Recoverer,
	}
}

// The waits between a failed handling and its retries: 10 ms, then four
// times the one before, up to a second; 8 retries take about 5 s. (They
// are the waits Watermill's middleware.Retry made with a 5 ms first
// interval and a multiplier of 2, since it draws an interval for its
// ShouldRetry hook as well as for each wait.)
const (
	firstRetryAfter = 10 * time.Millisecond
	longestRetryAt  = time.Second
)

// retry tries a failed handling again, up to MaxRetries times, after the
// waits above, unless the bus is closing. It does what Watermill's
// middleware.Retry did here, without setting up an exponential backoff,
// its options and closures for every message, failing or not.
func (b *Bus) retry(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err != nil {
			return b.retryFailed(h, msg, out, err)
		}
		return out, nil
	}
}

// retryFailed retries h on msg after its first handling returned out and
// err. It is a function of its own so that the common case, a handling
// that succeeds, runs with a small stack frame: each message is handled
// on a new goroutine, whose stack starts small and is copied when it
// grows.
func (b *Bus) retryFailed(h message.HandlerFunc, msg *message.Message, out []*message.Message, err error) ([]*message.Message, error) {
	wait := firstRetryAfter
	for try := 1; err != nil && try <= b.cfg.MaxRetries && !b.isClosing(); try++ {
		// Logged at info: most are injected faults, and what retries
		// cannot fix is logged as an error when parked.
		b.log.Info("handling failed; retrying", "type", msg.Metadata.Get(MetaType), "id", msg.UUID,
			"retry", try, "of", b.cfg.MaxRetries, "after", wait, "error", err)
		if !sleep(msg.Context(), wait) {
			return out, err
		}
		out, err = h(msg)
		wait = min(4*wait, longestRetryAt)
	}
	return out, err
}

// sleep waits for d and reports true, or false if ctx ends first.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var errAckLost = errors.New("fault injected: the acknowledgement was lost, the message comes again")

// leaveForNextStart is the router's outermost middleware: a handling that
// fails because the bus is closing (a paused consumer let go, a retry cut
// short) is not an error. The in-memory copy is dropped quietly; the message
// is still unacknowledged in its outbox, so the next start publishes it
// again.
func (b *Bus) leaveForNextStart(h message.HandlerFunc) message.HandlerFunc {
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err != nil && b.isClosing() {
			b.leaveInterrupted(msg, err)
			return nil, nil
		}
		return out, err
	}
}

// leaveInterrupted leaves msg, whose handling err interrupted as the bus
// closed, for the next start. (Out of leaveForNextStart's frame, as
// retryFailed.)
func (b *Bus) leaveInterrupted(msg *message.Message, err error) {
	b.log.Debug("handling interrupted by close; left for the next start",
		"type", msg.Metadata.Get(MetaType), "id", msg.UUID, "reason", err)
	b.giveBack(msg)
}

// giveBack leaves msg unhandled without an error. A transport whose relays
// are done with a row once published (a broker) gets the message back
// (nack), to deliver it again; with any other transport the message is
// dropped quietly, since its relay publishes it again while a consumer
// has not acknowledged it.
func (b *Bus) giveBack(msg *message.Message) {
	if b.transport.Completion() == AfterPublish {
		msg.Nack()
	}
}
