package bus

import (
	"errors"
	"log/slog"
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
		middleware.Retry{
			MaxRetries:      b.cfg.MaxRetries,
			InitialInterval: 5 * time.Millisecond,
			MaxInterval:     time.Second,
			Multiplier:      2,
			// Each retry is logged at info: most are injected faults, and
			// what retries cannot fix is logged as an error when parked.
			Logger:      watermillLogger(b.cfg.Logger, map[slog.Level]slog.Level{slog.LevelError: slog.LevelInfo}),
			ShouldRetry: func(middleware.RetryParams) bool { return !b.isClosing() },
		}.Middleware,
		countFailures,
		middleware.Recoverer,
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
