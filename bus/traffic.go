package bus

import (
	"context"
	"fmt"
	"time"

	"sagalab/storage"
)

// Traffic is one message as one module saw it: sent from its outbox or
// received into its inbox.
type Traffic struct {
	At     time.Time
	Module string
	// Sent is true for a message the module sent, false for one it
	// received (and handled).
	Sent bool
	Envelope
	// Delivered tells, for a sent message, whether every consumer has
	// handled it.
	Delivered bool
	// Effect is what the local transaction changed: the one that handled a
	// received message, or the initiating one that wrote a sent message.
	Effect string
}

// Traffic returns the messages with correlationID that the outbox's module
// sent and received, oldest first.
func (o *Outbox) Traffic(ctx context.Context, correlationID string) ([]Traffic, error) {
	return ReadTraffic(ctx, o.db, o.source, correlationID)
}

// ReadTraffic returns the messages with correlationID that module sent
// (from its outbox in db) and received (from its inbox), oldest first.
func ReadTraffic(ctx context.Context, db *storage.DB, module, correlationID string) ([]Traffic, error) {
	var out []Traffic
	rows, err := db.Reader().QueryContext(ctx, `SELECT seq, message_id, topic, position, type, causation_id, reply_to,
		payload, created_at, effect, seq <= (SELECT delivered_seq FROM outbox_relay)
		FROM outbox WHERE correlation_id = ? ORDER BY seq`, correlationID)
	if err != nil {
		return nil, fmt.Errorf("read the %s outbox: %w", module, err)
	}
	for rows.Next() {
		t := Traffic{Module: module, Sent: true, Envelope: Envelope{Source: module, CorrelationID: correlationID}}
		var created int64
		var payload []byte
		if err := rows.Scan(&t.Seq, &t.ID, &t.Topic, &t.Position, &t.Type, &t.CausationID, &t.ReplyTo,
			&payload, &created, &t.Effect, &t.Delivered); err != nil {
			rows.Close()
			return nil, fmt.Errorf("read the %s outbox: %w", module, err)
		}
		t.Payload, t.CreatedAt = payload, time.Unix(0, created)
		t.At = t.CreatedAt
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = db.Reader().QueryContext(ctx, `SELECT message_id, source, type, causation_id, received_at, effect
		FROM inbox WHERE correlation_id = ? ORDER BY received_at, message_id`, correlationID)
	if err != nil {
		return nil, fmt.Errorf("read the %s inbox: %w", module, err)
	}
	defer rows.Close()
	for rows.Next() {
		t := Traffic{Module: module, Envelope: Envelope{CorrelationID: correlationID}}
		var at int64
		if err := rows.Scan(&t.ID, &t.Source, &t.Type, &t.CausationID, &at, &t.Effect); err != nil {
			return nil, fmt.Errorf("read the %s inbox: %w", module, err)
		}
		t.At = time.Unix(0, at)
		out = append(out, t)
	}
	return out, rows.Err()
}
