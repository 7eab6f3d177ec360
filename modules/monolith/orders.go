package monolith

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage"
)

// CreateCustomer adds a customer and returns its id.
func (s *Store) CreateCustomer(ctx context.Context, name string, creditLimit money.Money) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", invalid("name: required")
	case len(name) > MaxNameLength:
		return "", invalid("name: longer than %d bytes", MaxNameLength)
	case creditLimit < 0 || creditLimit > money.Max:
		return "", invalid("creditLimit: %s is not from 0.00 to %s", creditLimit, money.Max)
	}
	id := s.newID("customer")
	err := s.write(ctx, "customer", id, func(tx *storage.Tx, note func(string, ...any)) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO customers (id, name, credit_limit, created_at) VALUES (?, ?, ?, ?)`,
			id, name, creditLimit, s.now().UnixNano())
		note("INSERT customer %s (%s), credit limit %s", id, name, creditLimit)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create customer: %w", err)
	}
	return id, nil
}

// PlaceOrder is Create Order as one local ACID transaction: it reads the
// customer, checks the credit, inserts the order APPROVED or REJECTED,
// updates the reservation and commits. The order is final when PlaceOrder
// returns: there is no PENDING state to wait through.
func (s *Store) PlaceOrder(ctx context.Context, customerID string, total money.Money) (ordercontract.Order, error) {
	switch {
	case strings.TrimSpace(customerID) == "":
		return ordercontract.Order{}, invalid("customerId: required")
	case len(customerID) > MaxIDLength:
		return ordercontract.Order{}, invalid("customerId: longer than %d bytes", MaxIDLength)
	case total <= 0 || total > money.Max:
		return ordercontract.Order{}, invalid("orderTotal: %s is not from 0.01 to %s", total, money.Max)
	}
	now := s.now()
	o := ordercontract.Order{ID: s.newID("order"), CustomerID: customerID, OrderTotal: total, CreatedAt: now, UpdatedAt: now}
	err := s.write(ctx, "order", o.ID, func(tx *storage.Tx, note func(string, ...any)) error {
		var limit, reserved money.Money
		err := tx.QueryRowContext(ctx, `SELECT credit_limit, reserved FROM customers WHERE id = ?`, customerID).Scan(&limit, &reserved)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			note("SELECT customer %s: no such customer", customerID)
			o.State, o.RejectionReason = ordercontract.Rejected, ordercontract.ReasonUnknownCustomer
		case err != nil:
			return fmt.Errorf("read customer %s: %w", customerID, err)
		case limit-reserved < total:
			note("SELECT customer %s: limit %s, reserved %s; %s available < %s", customerID, limit, reserved, limit-reserved, total)
			o.State, o.RejectionReason = ordercontract.Rejected, ordercontract.ReasonInsufficientCredit
		default:
			note("SELECT customer %s: limit %s, reserved %s; %s available >= %s", customerID, limit, reserved, limit-reserved, total)
			o.State = ordercontract.Approved
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO orders (id, customer_id, total, state, rejection_reason, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, o.ID, o.CustomerID, o.OrderTotal, o.State, o.RejectionReason, now.UnixNano(), now.UnixNano())
		if err != nil {
			return fmt.Errorf("insert order: %w", err)
		}
		note("INSERT order %s %s, %s", o.ID, describe(o), total)
		if o.State != ordercontract.Approved {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE customers SET reserved = reserved + ? WHERE id = ?`, total, customerID)
		if err != nil {
			return fmt.Errorf("reserve credit: %w", err)
		}
		note("UPDATE customer %s: reserved %s -> %s", customerID, reserved, reserved+total)
		return nil
	})
	if err != nil {
		return ordercontract.Order{}, fmt.Errorf("place order: %w", err)
	}
	return o, nil
}

// Cancel cancels an APPROVED order and releases its credit in the same
// transaction. It returns ErrNotApproved for an order in another state and
// ordercontract.ErrNotFound for an unknown one.
func (s *Store) Cancel(ctx context.Context, id string) (ordercontract.Order, error) {
	var o ordercontract.Order
	err := s.write(ctx, "cancel", id, func(tx *storage.Tx, note func(string, ...any)) error {
		var err error
		if o, err = order(ctx, tx, id); err != nil {
			return err
		}
		if o.State != ordercontract.Approved {
			return fmt.Errorf("order %s is %s: %w", id, o.State, ErrNotApproved)
		}
		o.State, o.UpdatedAt = ordercontract.Cancelled, s.now()
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET state = ?, updated_at = ? WHERE id = ?`,
			o.State, o.UpdatedAt.UnixNano(), id); err != nil {
			return fmt.Errorf("cancel order %s: %w", id, err)
		}
		note("UPDATE order %s: APPROVED -> CANCELLED", id)
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET reserved = reserved - ? WHERE id = ?`,
			o.OrderTotal, o.CustomerID); err != nil {
			return fmt.Errorf("release credit of order %s: %w", id, err)
		}
		note("UPDATE customer %s: release %s", o.CustomerID, o.OrderTotal)
		return nil
	})
	if err != nil {
		return ordercontract.Order{}, err
	}
	return o, nil
}

func describe(o ordercontract.Order) string {
	if o.RejectionReason == "" {
		return string(o.State)
	}
	return string(o.State) + "/" + o.RejectionReason
}
