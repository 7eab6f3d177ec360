package customer

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage"
)

// repository loads and saves Customer aggregates as event streams, and
// keeps the module's projections in step with every append.
type repository struct {
	events *eventstore.Store
	// snapshotEvery saves a snapshot each time a stream crosses a multiple
	// of it; 0 disables snapshots.
	snapshotEvery int64
	// cache keeps recently loaded customers; nil disables it.
	cache *cache
}

// load returns a customer's current state: from the cache when the stream
// has not moved since, otherwise rebuilt from its latest usable snapshot
// and the events after it. It returns contract.ErrNotFound for a stream
// with no events.
//
// load is for the module's writes, which run one at a time on the file's
// writer: it returns the cached Customer itself, not a copy, and save
// changes it in place. Copying it would cost time in proportion to the
// customer's open orders, on every command. A write that rolls back may
// leave the cached state ahead of the stream; the check of the stream's
// head then rebuilds it. Readers use loadAt.
func (r repository) load(ctx context.Context, q storage.Querier, id string) (*Customer, error) {
	if r.cache != nil {
		version, last, err := r.events.Head(ctx, q, id)
		if err != nil {
			return nil, err
		}
		if c := r.cache.get(id); c != nil && c.Version == version && c.LastEvent == last {
			return c, nil
		}
	}
	c, err := r.loadAt(ctx, q, id, 0)
	if err == nil && r.cache != nil {
		r.cache.put(c)
	}
	return c, err
}

// loadAt rebuilds a customer as of version upto (0: the latest): time travel
// by replay.
func (r repository) loadAt(ctx context.Context, q storage.Querier, id string, upto int64) (*Customer, error) {
	c := &Customer{}
	if r.snapshotEvery > 0 {
		sn, ok, err := r.events.LatestSnapshot(ctx, q, id)
		if err != nil {
			return nil, err
		}
		if ok && sn.Schema == snapshotSchema && (upto == 0 || sn.Version <= upto) {
			if err := json.Unmarshal(sn.Data, c); err != nil {
				return nil, fmt.Errorf("decode snapshot of customer %s: %w", id, err)
			}
		}
	}
	events, err := r.events.Load(ctx, q, id, c.Version, upto)
	if err != nil {
		return nil, err
	}
	for _, e := range events {
		if err := c.apply(e); err != nil {
			return nil, err
		}
	}
	if c.Version == 0 {
		return nil, contract.ErrNotFound
	}
	return c, nil
}

// save appends events to c's stream if it is still at c.Version, applies
// them to c and to the projections, and saves a snapshot when one is due.
// It returns the reservation_view rows the events left, in their order.
func (r repository) save(ctx context.Context, tx *bus.Tx, c *Customer, events []eventstore.NewEvent) ([]Reservation, error) {
	if len(events) == 0 {
		return nil, nil
	}
	before := c.Version
	stored, err := r.events.Append(ctx, tx, c.ID, before, events...)
	if err != nil {
		return nil, err
	}
	var projected []Reservation
	for _, e := range stored {
		if err := c.apply(e); err != nil {
			return nil, err
		}
		res, err := project(ctx, tx, c, e)
		if err != nil {
			return nil, err
		}
		if res != nil {
			projected = append(projected, *res)
		}
	}
	if r.cache != nil {
		r.cache.put(c) // used only while the stream's head still matches it
	}
	if n := r.snapshotEvery; n > 0 && c.Version/n > before/n {
		return projected, r.events.SaveSnapshot(ctx, tx, c.ID, c.Version, snapshotSchema, c)
	}
	return projected, nil
}

// cache holds recently used customers, shared with the writes that load
// them (see load).
type cache struct {
	mu      sync.Mutex
	entries map[string]*Customer
}

// cacheSize bounds the cache; when full it starts again empty.
const cacheSize = 10_000

func newCache() *cache { return &cache{entries: map[string]*Customer{}} }

func (c *cache) get(id string) *Customer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[id]
}

func (c *cache) put(cust *Customer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= cacheSize {
		clear(c.entries)
	}
	c.entries[cust.ID] = cust
}

// project updates the projections with event e, c being the state after
// it. For an event on a reservation it returns the reservation_view row as
// the event left it.
func project(ctx context.Context, tx storage.ReadWriter, c *Customer, e eventstore.Event) (*Reservation, error) {
	var err error
	var res *Reservation
	switch e.Type {
	case contract.CustomerCreated:
		_, err = tx.ExecContext(ctx, `INSERT INTO customer_view (id, name, credit_limit, reserved, created_at, version)
			VALUES (?, ?, ?, 0, ?, ?)`, c.ID, c.Name, c.CreditLimit, c.CreatedAt.UnixNano(), c.Version)
	case contract.CustomerCreditReserved, contract.CustomerCreditReservationFailed, contract.CustomerCreditReleased:
		var p struct {
			OrderID    string      `json:"orderId"`
			OrderTotal money.Money `json:"orderTotal"`
		}
		if err := json.Unmarshal(e.Data, &p); err != nil {
			return nil, fmt.Errorf("project %s: %w", e.Type, err)
		}
		state := map[string]ReservationState{contract.CustomerCreditReserved: Reserved,
			contract.CustomerCreditReservationFailed: Failed, contract.CustomerCreditReleased: Released}[e.Type]
		// An order's row keeps the customer and amount it was first
		// written with; RETURNING reads the row as it stands.
		res, err = scanReservation(tx.QueryRowContext(ctx, `INSERT INTO reservation_view (order_id, customer_id, amount, state)
			VALUES (?, ?, ?, ?) ON CONFLICT (order_id) DO UPDATE SET state = excluded.state
			RETURNING `+reservationColumns, p.OrderID, c.ID, p.OrderTotal, state))
		if err == nil {
			_, err = tx.ExecContext(ctx, `UPDATE customer_view SET reserved = ?, version = ? WHERE id = ?`, c.Reserved, c.Version, c.ID)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("project %s of customer %s: %w", e.Type, c.ID, err)
	}
	return res, nil
}

// reservation returns the decision taken on orderID's credit, if any.
func reservation(ctx context.Context, tx storage.Querier, orderID string) (*Reservation, error) {
	r, err := scanReservation(tx.QueryRowContext(ctx, `SELECT `+reservationColumns+` FROM reservation_view WHERE order_id = ?`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reservation of order %s: %w", orderID, err)
	}
	return r, nil
}

const reservationColumns = `order_id, customer_id, amount, state`

func scanReservation(row storage.Scanner) (*Reservation, error) {
	var r Reservation
	var amount int64
	if err := row.Scan(&r.OrderID, &r.CustomerID, &amount, &r.State); err != nil {
		return nil, err
	}
	r.Amount = money.Money(amount)
	return &r, nil
}

const customerColumns = `id, name, credit_limit, reserved, created_at`

func scanCustomer(row interface{ Scan(...any) error }) (contract.Customer, error) {
	var c contract.Customer
	var limit, reserved, created int64
	if err := row.Scan(&c.ID, &c.Name, &limit, &reserved, &created); err != nil {
		return contract.Customer{}, err
	}
	c.CreditLimit, c.AvailableCredit, c.CreatedAt = money.Money(limit), money.Money(limit-reserved), time.Unix(0, created)
	return c, nil
}

// viewCustomer reads one customer from the customer_view projection.
func viewCustomer(ctx context.Context, q storage.Querier, id string) (contract.Customer, error) {
	c, err := scanCustomer(q.QueryRowContext(ctx, `SELECT `+customerColumns+` FROM customer_view WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return contract.Customer{}, contract.ErrNotFound
	}
	if err != nil {
		return contract.Customer{}, fmt.Errorf("customer %s: %w", id, err)
	}
	return c, nil
}

// viewCustomers reads the customers created after t, oldest first.
func viewCustomers(ctx context.Context, q storage.Querier, after time.Time) ([]contract.Customer, error) {
	from := int64(-1 << 63)
	if !after.IsZero() {
		from = after.UnixNano()
	}
	out, err := storage.QueryAll(ctx, q, scanCustomer, `SELECT `+customerColumns+` FROM customer_view WHERE created_at > ?
		ORDER BY created_at, id`, from)
	if err != nil {
		return nil, fmt.Errorf("list customers: %w", err)
	}
	return out, nil
}
