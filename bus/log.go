package bus

import (
	"context"
	"fmt"
	"time"

	"sagalab/storage"
)

// ReadLog returns up to limit messages that the module owning db wrote on
// topic after position after, in position order. The outbox keeps what it
// published, so it doubles as the module's event log: a view can be rebuilt
// from it.
func ReadLog(ctx context.Context, db *storage.DB, source, topic string, after int64, limit int) ([]Envelope, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT seq, message_id, position, type, correlation_id, causation_id,
		reply_to, payload, created_at FROM outbox WHERE topic = ? AND position > ? ORDER BY position LIMIT ?`,
		topic, after, limit)
	if err != nil {
		return nil, fmt.Errorf("read the %s log of %s: %w", source, topic, err)
	}
	defer rows.Close()
	var out []Envelope
	for rows.Next() {
		e := Envelope{Source: source, Topic: topic}
		var created int64
		var payload []byte
		if err := rows.Scan(&e.Seq, &e.ID, &e.Position, &e.Type, &e.CorrelationID, &e.CausationID, &e.ReplyTo,
			&payload, &created); err != nil {
			return nil, fmt.Errorf("read the %s log of %s: %w", source, topic, err)
		}
		e.Payload, e.CreatedAt = payload, time.Unix(0, created)
		out = append(out, e)
	}
	return out, rows.Err()
}
