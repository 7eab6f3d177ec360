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

// LogEnd returns how many messages the log of topic in db holds and the
// position of its last one (0 for none).
func LogEnd(ctx context.Context, db *storage.DB, topic string) (count int, last int64, err error) {
	err = db.Reader().QueryRowContext(ctx, `SELECT count(*), coalesce(max(position), 0) FROM outbox WHERE topic = ?`,
		topic).Scan(&count, &last)
	if err != nil {
		return 0, 0, fmt.Errorf("read the end of the log of %s: %w", topic, err)
	}
	return count, last, nil
}
