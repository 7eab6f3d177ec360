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
		o.mu.Lock()
		delivered := o.delivered
		o.mu.Unlock()
		var n int64
		err := o.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE seq > ?`, delivered).Scan(&n)
		if err != nil {
			return nil, fmt.Errorf("backlog of %s: %w", o.source, err)
		}
		out[o.source] = n
	}
	return out, nil
}
