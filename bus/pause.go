package bus

import (
	"maps"
	"slices"

	"github.com/ThreeDotsLabs/watermill/message"
)

// Awaited names, sorted, the consumers that a published message still waits
// for. With Idle it tells a caller whether a paused consumer is what the
// messages in flight wait on.
func (b *Bus) Awaited() []string {
	waiting := map[string]bool{}
	for _, o := range b.outboxList() {
		o.relay.waitingFor(waiting)
	}
	return slices.Sorted(maps.Keys(waiting))
}

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
			return nil, nil
		}
		return out, err
	}
}
