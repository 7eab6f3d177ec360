package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"sagalab/modules/customer/contract"
	"sagalab/modules/money"
	"sagalab/storage"
)

// Repository keeps customers and their reservations. It is the one place
// that knows how they are stored, so the state tables can give way to an
// event store without touching the service.
type Repository interface {
	Add(ctx context.Context, tx *sql.Tx, c Customer) error
	// Get returns contract.ErrNotFound for an unknown id.
	Get(ctx context.Context, q storage.Querier, id string) (Customer, error)
	// List returns the customers created after t, oldest first.
	List(ctx context.Context, q storage.Querier, after time.Time) ([]Customer, error)
	Reservation(ctx context.Context, tx *sql.Tx, orderID string) (*Reservation, error)
	// SaveReservation stores r and, when c is not nil, c's reserved total.
	SaveReservation(ctx context.Context, tx *sql.Tx, c *Customer, r Reservation) error
}

// sqlRepository is Repository on the customers and credit_reservations
// tables.
type sqlRepository struct {
	now func() time.Time
}

func (s sqlRepository) Add(ctx context.Context, tx *sql.Tx, c Customer) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, credit_limit, reserved, created_at)
		VALUES (?, ?, ?, ?, ?)`, c.ID, c.Name, c.CreditLimit, c.Reserved, c.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("insert customer %s: %w", c.ID, err)
	}
	return nil
}

const customerColumns = `id, name, credit_limit, reserved, created_at`

func scanCustomer(row interface{ Scan(...any) error }) (Customer, error) {
	var c Customer
	var limit, reserved, created int64
	if err := row.Scan(&c.ID, &c.Name, &limit, &reserved, &created); err != nil {
		return Customer{}, err
	}
	c.CreditLimit, c.Reserved, c.CreatedAt = money.Money(limit), money.Money(reserved), time.Unix(0, created)
	return c, nil
}

func (s sqlRepository) Get(ctx context.Context, q storage.Querier, id string) (Customer, error) {
	c, err := scanCustomer(q.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, contract.ErrNotFound
	}
	if err != nil {
		return Customer{}, fmt.Errorf("load customer %s: %w", id, err)
	}
	return c, nil
}

func (s sqlRepository) List(ctx context.Context, q storage.Querier, after time.Time) ([]Customer, error) {
	from := int64(-1 << 63)
	if !after.IsZero() {
		from = after.UnixNano()
	}
	rows, err := q.QueryContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE created_at > ? ORDER BY created_at, id`, from)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	defer rows.Close()
	var out []Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("list customers: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s sqlRepository) Reservation(ctx context.Context, tx *sql.Tx, orderID string) (*Reservation, error) {
	var r Reservation
	var amount int64
	err := tx.QueryRowContext(ctx, `SELECT order_id, customer_id, amount, state, reason
		FROM credit_reservations WHERE order_id = ?`, orderID).Scan(&r.OrderID, &r.CustomerID, &amount, &r.State, &r.Reason)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load reservation of order %s: %w", orderID, err)
	}
	r.Amount = money.Money(amount)
	return &r, nil
}

func (s sqlRepository) SaveReservation(ctx context.Context, tx *sql.Tx, c *Customer, r Reservation) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO credit_reservations (order_id, customer_id, amount, state, reason, updated_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (order_id) DO UPDATE SET amount = excluded.amount, state = excluded.state,
			reason = excluded.reason, updated_at = excluded.updated_at`,
		r.OrderID, r.CustomerID, r.Amount, r.State, r.Reason, s.now().UnixNano())
	if err != nil {
		return fmt.Errorf("save reservation of order %s: %w", r.OrderID, err)
	}
	if c == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE customers SET reserved = ? WHERE id = ?`, c.Reserved, c.ID); err != nil {
		return fmt.Errorf("save credit of customer %s: %w", c.ID, err)
	}
	return nil
}
