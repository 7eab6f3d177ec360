package system

import (
	"context"
	"fmt"
)

// Stats is what an operator's dashboard shows, read from the databases and
// the bus at one moment.
type Stats struct {
	// Orders counts orders by saga mode, then by state: an order's saga is
	// running while it is PENDING.
	Orders map[string]map[string]int64
	// Published counts the messages each module's outbox holds, by type.
	Published map[string]map[string]int64
	// Backlog counts each module's outbox messages some consumer has not
	// handled yet.
	Backlog map[string]int64
	// ViewLag is how many events the view is behind each topic.
	ViewLag map[string]int64
	// DeadLetters counts the parked messages of each consumer.
	DeadLetters map[string]int64
}

// Stats reads the system's counts.
func (s *System) Stats(ctx context.Context) (Stats, error) {
	st := Stats{Orders: map[string]map[string]int64{}, ViewLag: map[string]int64{}, DeadLetters: map[string]int64{}}
	rows, err := s.files["order"].Reader().QueryContext(ctx, `SELECT saga_mode, state, count(*) FROM orders GROUP BY 1, 2`)
	if err != nil {
		return Stats{}, fmt.Errorf("count orders: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var mode, state string
		var n int64
		if err := rows.Scan(&mode, &state, &n); err != nil {
			return Stats{}, fmt.Errorf("count orders: %w", err)
		}
		if st.Orders[mode] == nil {
			st.Orders[mode] = map[string]int64{}
		}
		st.Orders[mode][state] = n
	}
	if err := rows.Err(); err != nil {
		return Stats{}, fmt.Errorf("count orders: %w", err)
	}
	if st.Published, err = s.Bus.Published(ctx); err != nil {
		return Stats{}, err
	}
	if st.Backlog, err = s.Bus.Backlog(ctx); err != nil {
		return Stats{}, err
	}
	views, err := s.ViewStatus(ctx)
	if err != nil {
		return Stats{}, err
	}
	for _, v := range views {
		st.ViewLag[v.Topic] = v.Lag
	}
	for _, c := range s.Bus.DeadLetterConsumers() {
		st.DeadLetters[c] = 0
	}
	dls, err := s.Bus.DeadLetters(ctx)
	if err != nil {
		return Stats{}, err
	}
	for _, dl := range dls {
		st.DeadLetters[dl.Consumer]++
	}
	return st, nil
}
