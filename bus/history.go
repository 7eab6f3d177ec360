package bus

import (
	"context"
	"fmt"
	"time"
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
}

// Traffic returns the messages with correlationID that the outbox's module
// sent and received, oldest first.
func (o *Outbox) Traffic(ctx context.Context, correlationID string) ([]Traffic, error) {
	sent, err := o.Records(ctx, correlationID)
	if err != nil {
		return nil, err
	}
	var out []Traffic
	for _, r := range sent {
		out = append(out, Traffic{At: r.Envelope.CreatedAt, Module: o.source, Sent: true, Envelope: r.Envelope, Delivered: r.Delivered})
	}
	rows, err := o.db.Reader().QueryContext(ctx, `SELECT message_id, source, type, correlation_id, causation_id, received_at
		FROM inbox WHERE correlation_id = ? ORDER BY received_at`, correlationID)
	if err != nil {
		return nil, fmt.Errorf("read the %s inbox: %w", o.source, err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Traffic
		var at int64
		if err := rows.Scan(&t.ID, &t.Source, &t.Type, &t.CorrelationID, &t.CausationID, &at); err != nil {
			return nil, fmt.Errorf("read the %s inbox: %w", o.source, err)
		}
		t.At, t.Module = time.Unix(0, at), o.source
		out = append(out, t)
	}
	return out, rows.Err()
}
