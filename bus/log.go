package bus

import (
	"context"
	"fmt"

	"sagalab/storage"
)

// ReadLog returns up to limit messages that the module owning db wrote on
// topic after position after, in position order. The outbox keeps what it
// published, so it doubles as the module's event log: a view can be rebuilt
// from it.
func ReadLog(ctx context.Context, db *storage.DB, source, topic string, after int64, limit int) ([]Envelope, error) {
	out, err := queryEnvelopes(ctx, db, source, `topic = ? AND position > ? ORDER BY position LIMIT ?`, topic, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read the %s log of %s: %w", source, topic, err)
	}
	return out, nil
}
