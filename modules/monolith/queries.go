package monolith

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	customercontract "sagalab/modules/customer/contract"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
	"sagalab/storage"
)

const orderColumns = `id, customer_id, total, state, rejection_reason, created_at, updated_at`

func scanOrder(row interface{ Scan(...any) error }) (ordercontract.Order, error) {
	var o ordercontract.Order
	var total, created, updated int64
	err := row.Scan(&o.ID, &o.CustomerID, &total, &o.State, &o.RejectionReason, &created, &updated)
	o.OrderTotal, o.CreatedAt, o.UpdatedAt = money.Money(total), time.Unix(0, created), time.Unix(0, updated)
	return o, err
}

func order(ctx context.Context, q storage.Querier, id string) (ordercontract.Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+` FROM orders WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("order %s: %w", id, ordercontract.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("read order %s: %w", id, err)
	}
	return o, nil
}

// Order returns one order or ordercontract.ErrNotFound.
func (s *Store) Order(ctx context.Context, id string) (ordercontract.Order, error) {
	return order(ctx, s.db.Reader(), id)
}

// Orders returns every order, oldest first.
func (s *Store) Orders(ctx context.Context) ([]ordercontract.Order, error) {
	out, err := storage.QueryAll(ctx, s.db.Reader(), scanOrder, `SELECT `+orderColumns+` FROM orders ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("list orders: %w", err)
	}
	return out, nil
}

const customerColumns = `id, name, credit_limit, credit_limit - reserved, created_at`

func scanCustomer(row interface{ Scan(...any) error }) (customercontract.Customer, error) {
	var c customercontract.Customer
	var limit, available, created int64
	err := row.Scan(&c.ID, &c.Name, &limit, &available, &created)
	c.CreditLimit, c.AvailableCredit, c.CreatedAt = money.Money(limit), money.Money(available), time.Unix(0, created)
	return c, err
}

// Customer returns one customer or customercontract.ErrNotFound.
func (s *Store) Customer(ctx context.Context, id string) (customercontract.Customer, error) {
	c, err := scanCustomer(s.db.Reader().QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return c, fmt.Errorf("customer %s: %w", id, customercontract.ErrNotFound)
	}
	if err != nil {
		return c, fmt.Errorf("read customer %s: %w", id, err)
	}
	return c, nil
}

// Customers returns every customer, oldest first.
func (s *Store) Customers(ctx context.Context) ([]customercontract.Customer, error) {
	out, err := storage.QueryAll(ctx, s.db.Reader(), scanCustomer, `SELECT `+customerColumns+` FROM customers ORDER BY rowid`)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return out, nil
}

// ValuableCustomersSQL is the slides' "recent, valuable customers" query as
// the monolith runs it: one join over its one database.
const ValuableCustomersSQL = `SELECT c.id, c.name, o.id, o.total
	FROM customers c JOIN orders o ON o.customer_id = c.id
	WHERE o.total > ? AND o.state = ? AND c.created_at > ?
	ORDER BY c.id, o.id`

// ValuableCustomers answers the slides' query with one SQL join: one round
// trip, and only the rows of the answer move.
func (s *Store) ValuableCustomers(ctx context.Context, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	after := int64(0)
	if !q.CreatedAfter.IsZero() {
		after = q.CreatedAfter.UnixNano()
	}
	st := queries.Stats{RoundTrips: 1}
	rows, err := s.db.Reader().QueryContext(ctx, ValuableCustomersSQL, q.MoreThan, q.State, after)
	if err != nil {
		return nil, st, fmt.Errorf("monolith: valuable customers: %w", err)
	}
	defer rows.Close()
	var out []queries.ValuableCustomer
	for rows.Next() {
		var cid, name, oid string
		var total int64
		if err := rows.Scan(&cid, &name, &oid, &total); err != nil {
			return nil, st, fmt.Errorf("monolith: valuable customers: %w", err)
		}
		st.RowsFetched++
		out = queries.AddOrder(out, cid, name, queries.OrderRef{OrderID: oid, OrderTotal: money.Money(total)})
	}
	return out, st, rows.Err()
}

// OrderHistory returns a customer and its orders, oldest first, read in one
// transaction so that both are of the same moment.
func (s *Store) OrderHistory(ctx context.Context, customerID string) (customercontract.Customer, []ordercontract.Order, error) {
	tx, err := s.db.Reader().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return customercontract.Customer{}, nil, fmt.Errorf("order history: %w", err)
	}
	defer tx.Rollback()
	c, err := scanCustomer(tx.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customers WHERE id = ?`, customerID))
	if errors.Is(err, sql.ErrNoRows) {
		return c, nil, fmt.Errorf("customer %s: %w", customerID, customercontract.ErrNotFound)
	}
	if err != nil {
		return c, nil, fmt.Errorf("order history of %s: %w", customerID, err)
	}
	out, err := storage.QueryAll(ctx, tx, scanOrder, `SELECT `+orderColumns+` FROM orders WHERE customer_id = ? ORDER BY rowid`, customerID)
	if err != nil {
		return c, nil, fmt.Errorf("order history of %s: %w", customerID, err)
	}
	return c, out, nil
}
