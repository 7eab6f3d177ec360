// Package customer is the Customer service: customers with a credit limit,
// and the credit reserved for their orders. It owns customer.db.
//
// It takes part in the Create Order saga both ways: in choreography it reacts
// to the Order service's events and publishes its own; in orchestration it
// answers the orchestrator's ReserveCredit and ReleaseCredit commands and
// knows nothing of sagas.
package customer

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"sagalab/bus"
	"sagalab/modules/customer/contract"
	"sagalab/modules/money"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/storage"
)

// FileName is the module's database file in the data directory.
const FileName = "customer.db"

// Migrations is customer.db's schema; the composition root opens the file
// with it.
func Migrations() []storage.Migration { return migrations }

// Config wires a Module.
type Config struct {
	DB     *storage.DB
	Bus    *bus.Bus
	NewID  func() string    // customer ids; random UUIDs by default
	Now    func() time.Time // time.Now by default
	Logger *slog.Logger
}

// Module is the Customer service.
type Module struct {
	db    *storage.DB
	out   *bus.Outbox
	repo  Repository
	newID func() string
	now   func() time.Time
	log   *slog.Logger
}

var _ contract.Queries = (*Module)(nil)

// ErrInvalid wraps every rejection of bad input.
var ErrInvalid = errors.New("invalid input")

// MaxNameLength is the longest customer name accepted, in bytes.
const MaxNameLength = 200

// New creates the module and subscribes it to the bus.
func New(cfg Config) *Module {
	if cfg.NewID == nil {
		cfg.NewID = uuid.NewString
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &Module{
		db:    cfg.DB,
		out:   cfg.Bus.Outbox(contract.Module, cfg.DB),
		repo:  sqlRepository{now: cfg.Now},
		newID: cfg.NewID,
		now:   cfg.Now,
		log:   cfg.Logger.With("module", contract.Module),
	}
	cfg.Bus.Subscribe(contract.Module, ordercontract.EventsTopic, m.db, m.out, m.onOrderEvent,
		ordercontract.OrderCreated, ordercontract.OrderCancelled, ordercontract.OrderRejected)
	cfg.Bus.Subscribe(contract.Module, contract.CommandsTopic, m.db, m.out, m.onCommand)
	return m
}

// Outbox is the module's outbox (its published messages).
func (m *Module) Outbox() *bus.Outbox { return m.out }

// Create adds a customer and emits CustomerCreated, in one local
// transaction. It returns the new customer's id.
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
		return "", bus.Position{}, fmt.Errorf("%w: name is required", ErrInvalid)
	case len(name) > MaxNameLength:
		return "", bus.Position{}, fmt.Errorf("%w: name is longer than %d bytes", ErrInvalid, MaxNameLength)
	case creditLimit < 0 || creditLimit > money.Max:
		return "", bus.Position{}, fmt.Errorf("%w: creditLimit must be from 0.00 to %s", ErrInvalid, money.Max)
	}
	c := Customer{ID: m.newID(), Name: name, CreditLimit: creditLimit, CreatedAt: m.now()}
	var pos bus.Position
	err := m.db.WriteTx(ctx, func(tx *sql.Tx) error {
		if err := m.repo.Add(ctx, tx, c); err != nil {
			return err
		}
		err := m.out.Write(ctx, tx, bus.Message{
			Topic: contract.EventsTopic, Type: contract.CustomerCreated, CorrelationID: c.ID,
			Payload: contract.CreatedEvent{CustomerID: c.ID, Name: c.Name, CreditLimit: c.CreditLimit, CreatedAt: c.CreatedAt},
		})
		if err != nil {
			return err
		}
		pos, err = m.out.PositionOf(ctx, tx, c.ID, contract.CustomerCreated)
		return err
	})
	if err != nil {
		return "", bus.Position{}, fmt.Errorf("create customer: %w", err)
	}
	m.out.Notify()
	return c.ID, pos, nil
}

// Customer returns one customer.
func (m *Module) Customer(ctx context.Context, id string) (contract.Customer, error) {
	c, err := m.repo.Get(ctx, m.db.Reader(), id)
	if err != nil {
		return contract.Customer{}, err
	}
	return view(c), nil
}

// Customers returns every customer, oldest first.
func (m *Module) Customers(ctx context.Context) ([]contract.Customer, error) {
	return m.CustomersCreatedAfter(ctx, time.Time{})
}

// CustomersCreatedAfter returns the customers created after t, oldest first.
func (m *Module) CustomersCreatedAfter(ctx context.Context, t time.Time) ([]contract.Customer, error) {
	cs, err := m.repo.List(ctx, m.db.Reader(), t)
	if err != nil {
		return nil, err
	}
	out := make([]contract.Customer, len(cs))
	for i, c := range cs {
		out[i] = view(c)
	}
	return out, nil
}

func view(c Customer) contract.Customer {
	return contract.Customer{ID: c.ID, Name: c.Name, CreditLimit: c.CreditLimit, AvailableCredit: c.Available(), CreatedAt: c.CreatedAt}
}
