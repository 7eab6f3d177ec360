package order

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"sagalab/bus"
	"sagalab/bus/saga"
	"sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage"
)

// FileName is the module's database file in the data directory.
const FileName = "order.db"

// Migrations is order.db's schema; the composition root opens the file with
// it.
func Migrations() []storage.Migration { return migrations }

// DefaultSagaTimeout is how long a saga waits for a participant before it
// compensates.
const DefaultSagaTimeout = 30 * time.Second

// Config wires a Module.
type Config struct {
	DB  *storage.DB
	Bus *bus.Bus
	// DefaultMode is the saga mode of orders that do not ask for one.
	DefaultMode contract.SagaMode
	// SagaTimeout is how long a Create Order saga may stay PENDING.
	SagaTimeout  time.Duration
	NewID        func() string    // order ids; time-ordered (storage.IDs) by default
	NewMessageID func() string    // ids of the commands sagas send; time-ordered (storage.IDs) by default
	Now          func() time.Time // time.Now by default
	Logger       *slog.Logger
	// Finished, if set, is told after the commit that moves an order to
	// its final state (APPROVED or REJECTED): for measuring sagas.
	Finished func(orderID string, state contract.State)
}

// Module is the Order service.
type Module struct {
	cfg   Config
	db    *storage.DB
	out   *bus.Outbox
	store store
	sagas *saga.Engine
	// createOrder and cancelOrderSaga are the orchestrated sagas.
	createOrder, cancelOrderSaga *saga.Saga[orderSagaData]
	log                          *slog.Logger
	// modes remembers orders' saga modes (modes.go).
	modes sagaModes

	stop chan struct{}
	done sync.WaitGroup
}

var _ contract.Queries = (*Module)(nil)

// Errors of the command API, for errors.Is; the errors returned say what
// was wrong.
var (
	ErrInvalid     = errors.New("invalid input")
	ErrNotApproved = errors.New("only an APPROVED order can be cancelled")
)

// invalidError is a rejection of bad input.
type invalidError struct{ msg string }

func invalid(format string, args ...any) error { return &invalidError{fmt.Sprintf(format, args...)} }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// New creates the module and subscribes it to the bus.
func New(cfg Config) (*Module, error) {
	if cfg.DefaultMode == "" {
		cfg.DefaultMode = contract.Choreography
	}
	if _, err := contract.ParseSagaMode(string(cfg.DefaultMode)); err != nil {
		return nil, fmt.Errorf("order module: default saga mode: %w", err)
	}
	if cfg.SagaTimeout <= 0 {
		cfg.SagaTimeout = DefaultSagaTimeout
	}
	if cfg.NewID == nil {
		cfg.NewID = storage.NewIDs(nil).New
	}
	if cfg.NewMessageID == nil {
		cfg.NewMessageID = storage.NewIDs(nil).New
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Module{
		cfg:   cfg,
		db:    cfg.DB,
		out:   cfg.Bus.Outbox(contract.Module, cfg.DB),
		store: store{now: cfg.Now},
		log:   cfg.Logger.With("module", contract.Module),
		stop:  make(chan struct{}),
	}
	m.sagas = saga.NewEngine(saga.Config{DB: m.db, Outbox: m.out, RepliesTopic: contract.RepliesTopic,
		Timeout: cfg.SagaTimeout, NewID: cfg.NewMessageID, Now: cfg.Now})
	m.registerSagas()
	participant := cfg.Bus.Consumer(contract.Module, m.db, m.out)
	m.subscribe(participant)
	m.subscribeParticipant(participant)
	m.subscribeCoordinator(cfg.Bus.Consumer(contract.Coordinator, m.db, m.out))
	return m, nil
}

// Outbox is the module's outbox (its published messages).
func (m *Module) Outbox() *bus.Outbox { return m.out }

// Start runs the module's background work: the saga deadline watcher.
func (m *Module) Start() {
	m.done.Add(1)
	go func() {
		defer m.done.Done()
		m.watchDeadlines()
	}()
}

// Close stops the background work.
func (m *Module) Close() {
	select {
	case <-m.stop:
	default:
		close(m.stop)
	}
	m.done.Wait()
}

// MaxIDLength is the longest customer id an order may name.
const MaxIDLength = 200

// Create starts the Create Order saga. Its local transaction T1 stores the
// order PENDING and emits OrderCreated in one transaction; in orchestration
// mode the same transaction creates the saga instance and sends its first
// command; in two-phase commit mode it logs the transaction and sends
// PREPARE to both participants. mode may be empty for the module's default.
func (m *Module) Create(ctx context.Context, customerID string, total money.Money, mode contract.SagaMode) (contract.Order, error) {
	o, _, err := m.create(ctx, customerID, total, mode)
	return o, err
}

// create is Create that also returns the position of the OrderCreated event.
func (m *Module) create(ctx context.Context, customerID string, total money.Money, mode contract.SagaMode) (contract.Order, bus.Position, error) {
	customerID = strings.TrimSpace(customerID)
	switch {
	case customerID == "":
		return contract.Order{}, bus.Position{}, invalid("customerId: required")
	case len(customerID) > MaxIDLength:
		return contract.Order{}, bus.Position{}, invalid("customerId: longer than %d bytes", MaxIDLength)
	case total <= 0 || total > money.Max:
		return contract.Order{}, bus.Position{}, invalid("orderTotal: %s is not from 0.01 to %s", total, money.Max)
	}
	if mode == "" {
		mode = m.cfg.DefaultMode
	}
	if _, err := contract.ParseSagaMode(string(mode)); err != nil {
		return contract.Order{}, bus.Position{}, invalid("sagaMode: %v", err)
	}
	now := m.cfg.Now()
	o := contract.Order{ID: m.cfg.NewID(), CustomerID: customerID, OrderTotal: total, State: contract.Pending,
		SagaMode: mode, CreatedAt: now, UpdatedAt: now}
	var pos bus.Position
	// Repeatable: everything the function does is in tx, and pos is set
	// anew on each run.
	err := m.out.WriteRepeatable(ctx, func(tx *bus.Tx) error {
		var err error
		switch mode {
		case contract.Orchestration:
			err = m.startSaga(ctx, tx, m.createOrder, o)
		case contract.TwoPhaseCommit:
			err = m.beginTransaction(ctx, tx, o)
		default:
			err = m.insertOrder(ctx, tx, o, now.Add(m.cfg.SagaTimeout).UnixNano())
		}
		if err != nil {
			return err
		}
		tx.OnCommit(func() { m.modes.put(o.ID, mode) })
		pos, err = m.out.PositionOf(ctx, tx, o.ID, contract.OrderCreated)
		return err
	})
	if err != nil {
		return contract.Order{}, bus.Position{}, fmt.Errorf("create order: %w", err)
	}
	return o, pos, nil
}

// insertOrder stores a new order and emits OrderCreated. deadline is when a
// choreographed saga times out (unix ns), 0 for none.
func (m *Module) insertOrder(ctx context.Context, tx *bus.Tx, o contract.Order, deadline int64) error {
	if err := m.store.insert(ctx, tx, o, deadline); err != nil {
		return err
	}
	return tx.Emit(ctx, bus.Message{
		Topic: contract.EventsTopic, Type: contract.OrderCreated, CorrelationID: o.ID,
		Payload: contract.CreatedEvent{OrderID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal, SagaMode: o.SagaMode},
		Effect:  fmt.Sprintf("order %s stored PENDING, %s, for customer %s", o.ID, o.OrderTotal, o.CustomerID),
	})
}

// Cancel cancels an APPROVED order; its credit is then released: in
// choreography the Customer service reacts to OrderCancelled, in
// orchestration the Cancel Order saga sends ReleaseCredit. It returns
// ErrNotApproved for an order in another state and contract.ErrNotFound for
// an unknown one.
func (m *Module) Cancel(ctx context.Context, id string) (contract.Order, error) {
	o, _, err := m.cancel(ctx, id)
	return o, err
}

// cancel is Cancel that also returns the position of the OrderCancelled
// event.
func (m *Module) cancel(ctx context.Context, id string) (contract.Order, bus.Position, error) {
	var o contract.Order
	var pos bus.Position
	err := m.out.Write(ctx, func(tx *bus.Tx) error {
		var err error
		if o, err = m.store.get(ctx, tx, id); err != nil {
			return err
		}
		if o.State != contract.Approved {
			return fmt.Errorf("order %s is %s: %w", id, o.State, ErrNotApproved)
		}
		if o.SagaMode == contract.Orchestration {
			err = m.startSaga(ctx, tx, m.cancelOrderSaga, o)
		} else {
			_, err = m.cancelOrder(ctx, tx, id)
		}
		if err != nil {
			return err
		}
		if o, err = m.store.get(ctx, tx, id); err != nil {
			return err
		}
		pos, err = m.out.PositionOf(ctx, tx, id, contract.OrderCancelled)
		return err
	})
	if err != nil {
		return contract.Order{}, bus.Position{}, err
	}
	return o, pos, nil
}

// cancelOrder moves an APPROVED order to CANCELLED and emits OrderCancelled.
func (m *Module) cancelOrder(ctx context.Context, tx *bus.Tx, id string) (contract.Order, error) {
	o, moved, err := m.store.transition(ctx, tx, id, contract.Approved, contract.Cancelled, "")
	if err != nil {
		return contract.Order{}, err
	}
	if !moved {
		return contract.Order{}, fmt.Errorf("order %s is %s: %w", id, o.State, ErrNotApproved)
	}
	return o, tx.Emit(ctx, bus.Message{
		Topic: contract.EventsTopic, Type: contract.OrderCancelled, CorrelationID: o.ID,
		Payload: contract.CancelledEvent{OrderID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal, SagaMode: o.SagaMode},
		Effect:  fmt.Sprintf("order %s APPROVED -> CANCELLED", o.ID),
	})
}

// Order returns one order.
func (m *Module) Order(ctx context.Context, id string) (contract.Order, error) {
	return m.store.get(ctx, m.db.Reader(), id)
}

// Orders returns every order, oldest first.
func (m *Module) Orders(ctx context.Context) ([]contract.Order, error) {
	return m.store.list(ctx, m.db.Reader(), `ORDER BY created_at, id`)
}

// IDsWithPrefix returns, in order, up to limit order ids that start with
// prefix.
func (m *Module) IDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	return storage.WithPrefix(ctx, m.db.Reader(), "orders", "id", prefix, limit)
}

// FindOrders returns the orders that match f, oldest first.
func (m *Module) FindOrders(ctx context.Context, f contract.Filter) ([]contract.Order, error) {
	clause, args := "WHERE 1 = 1", []any{}
	if f.CustomerID != "" {
		// Without statistics SQLite may prefer the (state, total) index and
		// scan every matching order; one customer's orders are few.
		clause, args = "INDEXED BY orders_customer WHERE customer_id = ?", append(args, f.CustomerID)
	}
	if f.State != "" {
		clause, args = clause+" AND state = ?", append(args, f.State)
	}
	if f.MoreThan > 0 {
		clause, args = clause+" AND total > ?", append(args, f.MoreThan)
	}
	return m.store.list(ctx, m.db.Reader(), clause+" ORDER BY created_at, id", args...)
}

// finish moves a PENDING order to its final state and emits the matching
// event, in tx. It does nothing to an order that is no longer PENDING, so a
// duplicate or late message is harmless. cause is the event that decided
// it, in choreography; nil when a saga step or a timeout decides.
func (m *Module) finish(ctx context.Context, tx *bus.Tx, cause *bus.Envelope, id string, to contract.State, reason string) error {
	o, moved, err := m.store.transition(ctx, tx, id, contract.Pending, to, reason)
	if errors.Is(err, contract.ErrNotFound) {
		m.log.Warn("saga message for an unknown order", "order", id)
		return nil
	}
	if err != nil || !moved {
		return err
	}
	change := fmt.Sprintf("order %s PENDING -> %s", o.ID, to)
	if reason != "" {
		change += " (" + reason + ")"
	}
	tx.Note("%s", change)
	if m.cfg.Finished != nil {
		tx.OnCommit(func() { m.cfg.Finished(o.ID, to) })
	}
	msg := bus.Message{Topic: contract.EventsTopic, CorrelationID: o.ID, Effect: change}
	if cause != nil {
		msg = cause.Caused(contract.EventsTopic, "", nil)
	}
	switch to {
	case contract.Approved:
		msg.Type = contract.OrderApproved
		msg.Payload = contract.ApprovedEvent{OrderID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal}
	case contract.Rejected:
		msg.Type = contract.OrderRejected
		msg.Payload = contract.RejectedEvent{OrderID: o.ID, CustomerID: o.CustomerID, OrderTotal: o.OrderTotal,
			Reason: reason, SagaMode: o.SagaMode}
	default:
		return fmt.Errorf("finish order %s: unexpected state %s", id, to)
	}
	return tx.Emit(ctx, msg)
}

// CountPending returns how many orders are still PENDING.
func (m *Module) CountPending(ctx context.Context) (int, error) {
	var n int
	err := m.db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM orders WHERE state = 'PENDING'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count pending orders: %w", err)
	}
	return n, nil
}
