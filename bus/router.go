package bus

import (
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill"
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

// firstRetryAfter is how long a failed handling waits before its first
// retry; each later wait is twice the one before, up to a second.
const firstRetryAfter = 5 * time.Millisecond

// retry tries a failed handling again, up to MaxRetries times, after
// 5 ms, 10 ms, 20 ms... up to a second, unless the bus is closing. The
// retries after the first are Watermill's middleware.Retry; it sets up
// its backoff for every message it sees, so only a handling that failed
// once meets it.
func (b *Bus) retry(h message.HandlerFunc) message.HandlerFunc {
	// Each retry is logged at info: most are injected faults, and what
	// retries cannot fix is logged as an error when parked.
	log := watermillLogger(b.cfg.Logger, map[slog.Level]slog.Level{slog.LevelError: slog.LevelInfo})
	again := middleware.Retry{
		MaxRetries:      b.cfg.MaxRetries - 1,
		InitialInterval: 2 * firstRetryAfter,
		MaxInterval:     time.Second,
		Multiplier:      2,
		Logger:          log,
		ShouldRetry:     func(middleware.RetryParams) bool { return !b.isClosing() },
	}.Middleware(h)
	return func(msg *message.Message) ([]*message.Message, error) {
		out, err := h(msg)
		if err == nil || b.cfg.MaxRetries < 1 || b.isClosing() {
			return out, err
		}
		log.Error("Error occurred, retrying", err, watermill.LogFields{
			"retry_no": 1, "max_retries": b.cfg.MaxRetries, "wait_time": firstRetryAfter})
		wait := time.NewTimer(firstRetryAfter)
		defer wait.Stop()
		select {
		case <-wait.C:
		case <-msg.Context().Done():
			return out, err
		}
		return again(msg)
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
			b.log.Debug("handling interrupted by close; left for the next start",
				"type", msg.Metadata.Get(MetaType), "id", msg.UUID, "reason", err)
			b.giveBack(msg)
			return nil, nil
		}
		return out, err
	}
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
