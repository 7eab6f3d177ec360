package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage"
)

// store reads and changes the orders table. Every state change is a
// conditional update, so applying one twice, or out of turn, changes nothing.
type store struct {
	now func() time.Time
}

const orderColumns = `id, customer_id, total, state, rejection_reason, saga_mode, created_at, updated_at`

func scanOrder(row interface{ Scan(...any) error }) (contract.Order, error) {
	var o contract.Order
	var total, created, updated int64
	if err := row.Scan(&o.ID, &o.CustomerID, &total, &o.State, &o.RejectionReason, &o.SagaMode, &created, &updated); err != nil {
		return contract.Order{}, err
	}
	o.OrderTotal, o.CreatedAt, o.UpdatedAt = money.Money(total), time.Unix(0, created), time.Unix(0, updated)
	return o, nil
}

func (s store) insert(ctx context.Context, tx storage.Execer, o contract.Order, deadline int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO orders (id, customer_id, total, state, saga_mode, deadline_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, o.ID, o.CustomerID, o.OrderTotal, o.State, o.SagaMode,
		deadline, o.CreatedAt.UnixNano(), o.UpdatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("insert order %s: %w", o.ID, err)
	}
	return nil
}

func (s store) get(ctx context.Context, q storage.Querier, id string) (contract.Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return contract.Order{}, contract.ErrNotFound
	}
	if err != nil {
		return contract.Order{}, fmt.Errorf("load order %s: %w", id, err)
	}
	return o, nil
}

// list returns the orders that clause (WHERE, ORDER BY, LIMIT) selects.
func (s store) list(ctx context.Context, q storage.Querier, clause string, args ...any) ([]contract.Order, error) {
	out, err := storage.QueryAll(ctx, q, scanOrder, `SELECT `+orderColumns+` FROM orders `+clause, args...)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}

// transition moves order id from state from to state to, with reason. It
// returns the order as it is afterwards and whether it moved.
func (s store) transition(ctx context.Context, tx storage.ReadWriter, id string, from, to contract.State, reason string) (contract.Order, bool, error) {
	o, err := scanOrder(tx.QueryRowContext(ctx, `UPDATE orders SET state = ?, rejection_reason = ?, deadline_at = 0,
		updated_at = ? WHERE id = ? AND state = ? RETURNING `+orderColumns, to, reason, s.now().UnixNano(), id, from))
	if err == nil {
		return o, true, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return contract.Order{}, false, fmt.Errorf("order %s %s -> %s: %w", id, from, to, err)
	}
	o, err = s.get(ctx, tx, id) // not in state from: as it is
	return o, false, err
}

// overdue returns up to limit PENDING orders whose deadline has passed.
func (s store) overdue(ctx context.Context, q storage.Querier, now time.Time, limit int) ([]contract.Order, error) {
	return s.list(ctx, q, `WHERE deadline_at > 0 AND deadline_at <= ? AND state = 'PENDING' AND saga_mode = 'choreography'
		ORDER BY deadline_at LIMIT ?`, now.UnixNano(), limit)
}
