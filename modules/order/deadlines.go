package order

import (
	"context"
	"time"

	"sagalab/bus"
	"sagalab/modules/order/contract"
)

// watchDeadlines rejects, with reason TIMEOUT, every PENDING order whose
// saga has outlived its deadline. Deadlines are stored with the orders, so
// they survive a restart.
func (m *Module) watchDeadlines() {
	every := min(max(m.cfg.SagaTimeout/10, 10*time.Millisecond), time.Second)
	tick := time.NewTicker(every)
	defer tick.Stop()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		<-m.stop
		cancel()
	}()
	for {
		select {
		case <-m.stop:
			return
		case <-tick.C:
		}
		if err := m.expire(ctx); err != nil && ctx.Err() == nil {
			m.log.Error("saga deadlines", "error", err)
		}
	}
}

// ExpireNow times out the overdue sagas at once, for runs that start
// without the background watcher.
func (m *Module) ExpireNow(ctx context.Context) error {
	return m.expire(ctx)
}

// expire times out the overdue sagas: orchestrated ones through the saga
// engine, choreographed ones here; and aborts the overdue undecided
// two-phase commits.
func (m *Module) expire(ctx context.Context) error {
	if _, err := m.sagas.ExpireDue(ctx, 100); err != nil {
		return err
	}
	if err := m.expireTransactions(ctx); err != nil {
		return err
	}
	overdue, err := m.store.overdue(ctx, m.db.Reader(), m.cfg.Now(), 100)
	if err != nil || len(overdue) == 0 {
		return err
	}
	return m.out.Write(ctx, func(tx *bus.Tx) error {
		for _, o := range overdue {
			m.log.Info("saga timed out", "order", o.ID, "mode", o.SagaMode)
			if err := m.finish(ctx, tx, nil, o.ID, contract.Rejected, contract.ReasonTimeout); err != nil {
				return err
			}
		}
		return nil
	})
}
