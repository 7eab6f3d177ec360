// Package customer is the Customer service: customers with a credit limit,
// and the credit reserved for their orders. It owns customer.db, where each
// customer is stored as a stream of events (event sourcing).
//
// It takes part in the Create Order saga both ways: in choreography it reacts
// to the Order service's events and publishes its own; in orchestration it
// answers the orchestrator's ReserveCredit and ReleaseCredit commands and
// knows nothing of sagas. It is also a participant of the two-phase commit
// (twopc.go).
package customer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"sagalab/bus"
	"sagalab/bus/eventstore"
	"sagalab/modules/customer/contract"
	"sagalab/modules/shared/money"
	"sagalab/storage"
)

// FileName is the module's database file in the data directory.
const FileName = "customer.db"

// Migrations is customer.db's schema; the composition root opens the file
// with it.
func Migrations() []storage.Migration { return migrations }

// DefaultSnapshotEvery is how many events apart a customer's snapshots are.
const DefaultSnapshotEvery = 100

// Config wires a Module.
type Config struct {
	DB  *storage.DB
	Bus *bus.Bus
	// SnapshotEvery saves a snapshot of a customer every so many events:
	// 0 means DefaultSnapshotEvery, a negative number no snapshots.
	SnapshotEvery int
	// AskAfter is how long a prepared two-phase commit waits for its
	// decision before asking the coordinator; DefaultAskAfter if 0.
	AskAfter time.Duration
	NewID    func() string    // customer ids; time-ordered (storage.IDs) by default
	Now      func() time.Time // time.Now by default
	Logger   *slog.Logger
}

// Module is the Customer service.
type Module struct {
	db     *storage.DB
	out    *bus.Outbox
	events *eventstore.Store
	repo   repository
	newID  func() string
	now    func() time.Time
	log    *slog.Logger

	askAfter time.Duration
	stop     chan struct{}
	stopOnce sync.Once
	done     sync.WaitGroup
}

var _ contract.Queries = (*Module)(nil)

// ErrInvalid is every rejection of bad input (errors.Is); the rejection's
// message says what was wrong.
var ErrInvalid = errors.New("invalid input")

// invalidError is a rejection of bad input.
type invalidError struct{ msg string }

func invalid(format string, args ...any) error { return &invalidError{fmt.Sprintf(format, args...)} }

func (e *invalidError) Error() string        { return e.msg }
func (e *invalidError) Is(target error) bool { return target == ErrInvalid }

// MaxNameLength is the longest customer name accepted, in bytes.
const MaxNameLength = 200

// New creates the module and subscribes it to the bus.
func New(cfg Config) *Module {
	if cfg.NewID == nil {
		cfg.NewID = storage.NewIDs(nil).New
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.AskAfter <= 0 {
		cfg.AskAfter = DefaultAskAfter
	}
	switch {
	case cfg.SnapshotEvery == 0:
		cfg.SnapshotEvery = DefaultSnapshotEvery
	case cfg.SnapshotEvery < 0:
		cfg.SnapshotEvery = 0
	}
	out := cfg.Bus.Outbox(contract.Module, cfg.DB)
	events := eventstore.NewStore(cfg.DB, out, contract.EventsTopic)
	m := &Module{
		db:     cfg.DB,
		out:    out,
		events: events,
		repo:   repository{events: events, snapshotEvery: int64(cfg.SnapshotEvery), cache: newCache()},
		newID:  cfg.NewID,
		now:    cfg.Now,
		log:    cfg.Logger.With("module", contract.Module),

		askAfter: cfg.AskAfter,
		stop:     make(chan struct{}),
	}
	c := cfg.Bus.Consumer(contract.Module, m.db, m.out)
	m.subscribe(c)
	m.subscribeParticipant(c)
	return m
}

// Outbox is the module's outbox: its event store's events and its other
// messages.
func (m *Module) Outbox() *bus.Outbox { return m.out }

// Create adds a customer: the first event of a new stream, CustomerCreated,
// which is also the message the bus publishes. It returns the new
// customer's id.
func (m *Module) Create(ctx context.Context, name string, creditLimit money.Money) (string, error) {
	id, _, err := m.create(ctx, name, creditLimit)
	return id, err
}

// create is Create that also returns the position of the CustomerCreated
// event.
func (m *Module) create(ctx context.Context, name string, creditLimit money.Money) (string, bus.Position, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", bus.Position{}, invalid("name: required")
	case len(name) > MaxNameLength:
		return "", bus.Position{}, invalid("name: longer than %d bytes", MaxNameLength)
	case creditLimit < 0 || creditLimit > money.Max:
		return "", bus.Position{}, invalid("creditLimit: %s is not from 0.00 to %s", creditLimit, money.Max)
	}
	c := &Customer{ID: m.newID()}
	created := causation{correlationID: c.ID}.event(contract.CustomerCreated,
		contract.CreatedEvent{CustomerID: c.ID, Name: name, CreditLimit: creditLimit, CreatedAt: m.now()})
	created.Effect = fmt.Sprintf("stream %s started: customer %s, credit limit %s", c.ID, name, creditLimit)
	var pos bus.Position
	err := m.out.Write(ctx, func(tx *bus.Tx) error {
		if _, err := m.repo.save(ctx, tx, c, []eventstore.NewEvent{created}); err != nil {
			return err
		}
		var err error
		pos, err = m.out.PositionOf(ctx, tx, c.ID, contract.CustomerCreated)
		return err
	})
	if err != nil {
		return "", bus.Position{}, fmt.Errorf("create customer: %w", err)
	}
	return c.ID, pos, nil
}

// Customer returns one customer, from the module's projection.
func (m *Module) Customer(ctx context.Context, id string) (contract.Customer, error) {
	return viewCustomer(ctx, m.db.Reader(), id)
}

// Customers returns every customer, oldest first.
func (m *Module) Customers(ctx context.Context) ([]contract.Customer, error) {
	return m.CustomersCreatedAfter(ctx, time.Time{})
}

// IDsWithPrefix returns, in order, up to limit customer ids that start
// with prefix.
func (m *Module) IDsWithPrefix(ctx context.Context, prefix string, limit int) ([]string, error) {
	return storage.WithPrefix(ctx, m.db.Reader(), "customer_view", "id", prefix, limit)
}

// CustomersCreatedAfter returns the customers created after t, oldest first.
func (m *Module) CustomersCreatedAfter(ctx context.Context, t time.Time) ([]contract.Customer, error) {
	return viewCustomers(ctx, m.db.Reader(), t)
}

// State is a customer's aggregate state, as of some version of its stream.
type State struct {
	Customer
	Available money.Money
}

// StateAt rebuilds customer id's state as of stream version version (0: the
// latest) by replaying its events: time travel.
func (m *Module) StateAt(ctx context.Context, id string, version int64) (State, error) {
	c, err := m.repo.loadAt(ctx, m.db.Reader(), id, version)
	if err != nil {
		return State{}, err
	}
	return State{Customer: *c, Available: c.Available()}, nil
}

// Load rebuilds customer id's current state the way commands do, and
// returns the version of the snapshot it started from (0 for none).
func (m *Module) Load(ctx context.Context, id string) (State, int64, error) {
	var from int64
	if m.repo.snapshotEvery > 0 {
		sn, ok, err := m.events.LatestSnapshot(ctx, m.db.Reader(), id)
		if err != nil {
			return State{}, 0, err
		}
		if ok && sn.Schema == snapshotSchema {
			from = sn.Version
		}
	}
	st, err := m.StateAt(ctx, id, 0)
	return st, from, err
}

// Events returns customer id's stream, oldest first.
func (m *Module) Events(ctx context.Context, id string) ([]eventstore.Event, error) {
	evs, err := m.events.Load(ctx, m.db.Reader(), id, 0, 0)
	if err == nil && len(evs) == 0 {
		return nil, contract.ErrNotFound
	}
	return evs, err
}

// EventStats describes the module's event store.
func (m *Module) EventStats(ctx context.Context) (eventstore.Stats, error) {
	return m.events.Stats(ctx)
}
