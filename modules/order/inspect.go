package order

import (
	"context"
	"fmt"
	"slices"
	"time"

	"sagalab/bus/saga"
	"sagalab/modules/order/contract"
)

// SagaStatus is where an order's sagas stand, as the Order service sees it.
type SagaStatus struct {
	Order contract.Order
	// State is RUNNING, COMPLETED or COMPENSATED.
	State saga.State
	// Waiting says, while RUNNING, what the saga waits for.
	Waiting      string
	Compensating bool
	// Deadline is when a RUNNING saga times out.
	Deadline time.Time
	// Runs are the orchestrator's saga instances (orchestration only).
	Runs []SagaRun
}

// SagaRun is one orchestrated saga instance and what happened to it.
type SagaRun struct {
	saga.Info
	Log []saga.LogEntry
}

// SagaStatus reports on order id's sagas. In choreography there is no saga
// object: the status is read off the order itself.
func (m *Module) SagaStatus(ctx context.Context, id string) (SagaStatus, error) {
	o, err := m.Order(ctx, id)
	if err != nil {
		return SagaStatus{}, err
	}
	st := SagaStatus{Order: o}
	if o.SagaMode == contract.Orchestration {
		infos, err := m.sagas.Sagas(ctx, id)
		if err != nil {
			return SagaStatus{}, err
		}
		for _, info := range infos {
			log, err := m.sagas.Log(ctx, info.ID)
			if err != nil {
				return SagaStatus{}, err
			}
			st.Runs = append(st.Runs, SagaRun{Info: info, Log: log})
		}
		if len(infos) == 0 {
			return SagaStatus{}, fmt.Errorf("order %s: orchestrated but no saga instance", id)
		}
		last := infos[len(infos)-1]
		st.State, st.Compensating, st.Deadline = last.State, last.Compensating, last.Deadline
		if last.State == saga.Running {
			st.Waiting = fmt.Sprintf("step %d of %d of %s, %q: waiting for the Customer service's reply",
				last.StepIndex+1, last.Steps, last.Type, last.Step)
		}
		return st, nil
	}
	switch o.State {
	case contract.Pending:
		st.State = saga.Running
		st.Waiting = "the Customer service's answer to OrderCreated (credit reserved, or not)"
		var deadline int64
		err := m.db.Reader().QueryRowContext(ctx, `SELECT deadline_at FROM orders WHERE id = ?`, id).Scan(&deadline)
		if err != nil {
			return SagaStatus{}, fmt.Errorf("order %s deadline: %w", id, err)
		}
		if deadline > 0 {
			st.Deadline = time.Unix(0, deadline)
		}
	case contract.Rejected:
		st.State, st.Compensating = saga.Compensated, true
	default:
		st.State = saga.Completed
	}
	return st, nil
}

// Unfinished returns the sagas still running that started before
// olderThan ago, oldest first: PENDING choreographed orders and running
// orchestrated sagas (Create Order or Cancel Order).
func (m *Module) Unfinished(ctx context.Context, olderThan time.Duration) ([]SagaStatus, error) {
	before := m.cfg.Now().Add(-olderThan)
	pending, err := m.store.list(ctx, m.db.Reader(),
		`WHERE state = 'PENDING' AND saga_mode = 'choreography' AND created_at <= ? ORDER BY created_at, id`, before.UnixNano())
	if err != nil {
		return nil, err
	}
	running, err := m.sagas.Running(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(pending)+len(running))
	for _, o := range pending {
		ids = append(ids, o.ID)
	}
	for _, r := range running {
		if !r.CreatedAt.After(before) && !slices.Contains(ids, r.CorrelationID) {
			ids = append(ids, r.CorrelationID)
		}
	}
	out := make([]SagaStatus, 0, len(ids))
	for _, id := range ids {
		st, err := m.SagaStatus(ctx, id)
		if err != nil {
			return nil, err
		}
		if st.State == saga.Running {
			out = append(out, st)
		}
	}
	slices.SortStableFunc(out, func(a, b SagaStatus) int { return a.startedAt().Compare(b.startedAt()) })
	return out, nil
}

func (s SagaStatus) startedAt() time.Time {
	if n := len(s.Runs); n > 0 {
		return s.Runs[n-1].CreatedAt
	}
	return s.Order.CreatedAt
}
