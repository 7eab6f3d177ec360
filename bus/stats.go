package bus

import (
	"context"
	"fmt"
)

// Running reports whether the bus has started and not been closed: its
// router delivers and its relays publish.
func (b *Bus) Running() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.started && !b.closed
}

// Backlog counts, per module, the messages its outbox holds that some
// consumer has not handled yet: written, published or not.
func (b *Bus) Backlog(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, o := range b.outboxList() {
		o.relay.mu.Lock()
		delivered := o.relay.delivered
		o.relay.mu.Unlock()
		var n int64
		err := o.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE seq > ?`, delivered).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("backlog of %s: %w", o.source, err)
		}
		out[o.source] = n
	}
	return out, nil
}

// Published counts, per module and message type, the messages the module's
// outbox holds: every message it published, unless retention pruned it.
func (b *Bus) Published(ctx context.Context) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	for _, o := range b.outboxList() {
		rows, err := o.db.Reader().QueryContext(ctx, `SELECT type, count(*) FROM outbox GROUP BY type`)
		if err != nil {
			return nil, fmt.Errorf("count the messages of %s: %w", o.source, err)
		}
		out[o.source] = map[string]int64{}
		for rows.Next() {
			var typ string
			var n int64
			if err := rows.Scan(&typ, &n); err != nil {
				rows.Close()
				return nil, fmt.Errorf("count the messages of %s: %w", o.source, err)
			}
			out[o.source][typ] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("count the messages of %s: %w", o.source, err)
		}
	}
	return out, nil
}
