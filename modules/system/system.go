// Package system is sagalab's composition root: it opens each module's
// database, wires the modules to the bus and serves their HTTP APIs. The
// serve, demo and bench commands and the tests all start sagalab through
// Start.
package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"sagalab/bus"
	"sagalab/modules/customer"
	"sagalab/modules/gateway"
	"sagalab/modules/history"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/storage"
)

// Config says how to start sagalab.
type Config struct {
	// DataDir holds one SQLite file per module.
	DataDir string
	// Architecture is how the store is built: Microservices (Start, the
	// default) or Monolith (StartMonolith).
	Architecture Architecture
	// SagaMode is the default saga mode of new orders.
	SagaMode ordercontract.SagaMode
	// SagaTimeout is how long a saga waits for a participant.
	SagaTimeout time.Duration
	// Synchronous is SQLite's synchronous setting for every file.
	Synchronous storage.Synchronous
	// Faults are injected into the bus and the modules.
	Faults Faults
	// Observer sees every message a consumer handles.
	Observer bus.Observer
	// OrderFinished, if set, is told after the commit that moves an order
	// to its final state: for measuring sagas end to end.
	OrderFinished func(orderID string, state ordercontract.State)
	// HoldDelivery starts the system with its relays held (see bus.Hold).
	HoldDelivery bool
	// Paused names modules whose consumers start paused (down) until
	// Bus.ResumeConsumer.
	Paused []string
	// Retention is how long outboxes keep delivered messages; 0 for ever.
	Retention time.Duration
	// MaxRetries is how often a failing handler is retried before its
	// message is parked as a dead letter; 0 means the bus's default.
	MaxRetries int
	// SnapshotEvery saves a customer's snapshot every so many events: 0
	// means the default (100), a negative number none.
	SnapshotEvery int
	// CallLatency is added to every call the API composer makes across a
	// service boundary, as a network would.
	CallLatency time.Duration
	// ManualDeadlines leaves saga deadlines to ExpireNow: no background
	// watcher, for step-by-step runs on a Clock.
	ManualDeadlines bool
	// Inspect opens an existing data directory read-only, without starting
	// delivery or background work and without taking the directory's lock,
	// to look at it (even while another sagalab serves it). Otherwise Start
	// takes the lock, and fails with a *storage.LockedError if another
	// process holds it.
	Inspect bool
	Logger  *slog.Logger
	// IDs makes the ids of each kind of thing ("customer", "order",
	// "message"); time-ordered ids (storage.IDs) by default, one generator
	// for every kind. Seeded ids make runs repeatable.
	IDs func(kind string) string
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Transport, if set, makes the bus's transport (a broker) each time
	// the system starts; the in-process transport by default.
	Transport func(ctx context.Context) (bus.Transport, error)
	// Services are where the other modules' HTTP APIs are, for a module
	// on its own (StartModule): the History service reads the Customer and
	// Order services' event logs there to rebuild its view online.
	Services map[string]*url.URL
	// ReadyLag is how many events the view may be behind a topic while
	// GET /readyz answers ready; DefaultReadyLag when 0.
	ReadyLag int64
}

// System is a running sagalab.
type System struct {
	Bus       *bus.Bus
	Orders    *order.Module
	Customers *customer.Module
	History   *history.View
	Composer  *gateway.Composer

	cfg   Config
	log   *slog.Logger
	lock  *storage.DirLock // nil when inspecting
	dbs   []*storage.DB
	files map[string]*storage.DB // module -> its database

	rebuild viewRebuild
}

// Start opens the data directory, wires the modules and starts delivery.
func Start(ctx context.Context, cfg Config) (_ *System, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("start sagalab: no data directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Architecture == Monolith {
		return nil, errors.New("start sagalab: the monolith starts with StartMonolith")
	}
	if cfg.Inspect {
		if _, err := os.Stat(filepath.Join(cfg.DataDir, order.FileName)); err != nil {
			return nil, fmt.Errorf("no sagalab data in %s (looked for %s): give the directory with --data", cfg.DataDir, order.FileName)
		}
	}
	s := &System{cfg: cfg, log: cfg.Logger, files: map[string]*storage.DB{}}
	if !cfg.Inspect {
		if s.lock, err = storage.LockDir(cfg.DataDir); err != nil {
			return nil, fmt.Errorf("start sagalab: %w", err)
		}
	}
	ids := cfg.IDs
	if ids == nil {
		g := storage.NewIDs(nil)
		ids = func(string) string { return g.New() }
	}
	newID := func(kind string) func() string { return func() string { return ids(kind) } }
	defer func() {
		if err != nil {
			if s.Bus != nil {
				s.Bus.Close()
			}
			s.closeDBs()
			s.lock.Unlock()
		}
	}()
	open := func(name string, migrations []storage.Migration) (*storage.DB, error) {
		path := filepath.Join(cfg.DataDir, name)
		var db *storage.DB
		var err error
		if cfg.Inspect {
			db, err = storage.OpenReadOnly(ctx, path, migrations)
		} else {
			db, err = storage.Open(ctx, path, migrations, storage.Options{Synchronous: cfg.Synchronous, GroupCommit: true})
		}
		if err != nil {
			return nil, err
		}
		s.dbs = append(s.dbs, db)
		return db, nil
	}
	orderDB, err := open(order.FileName, order.Migrations())
	if err != nil {
		return nil, err
	}
	customerDB, err := open(customer.FileName, customer.Migrations())
	if err != nil {
		return nil, err
	}
	historyDB, err := open(history.FileName, history.Migrations())
	if err != nil {
		return nil, err
	}
	s.files["order"], s.files["customer"], s.files["history"] = orderDB, customerDB, historyDB

	var transport bus.Transport
	if cfg.Transport != nil && !cfg.Inspect {
		if transport, err = cfg.Transport(ctx); err != nil {
			return nil, fmt.Errorf("start sagalab: %w", err)
		}
	}
	s.Bus, err = bus.New(bus.Config{Logger: cfg.Logger, Faults: cfg.Faults.Faults, Retention: cfg.Retention,
		MaxRetries: cfg.MaxRetries, Observer: cfg.Observer, NewID: newID("message"), Now: cfg.Now, Transport: transport})
	if err != nil {
		if transport != nil {
			transport.Close()
		}
		return nil, err
	}
	s.Customers = customer.New(customer.Config{DB: customerDB, Bus: s.Bus, SnapshotEvery: cfg.SnapshotEvery,
		NewID: newID("customer"), Now: cfg.Now, Logger: cfg.Logger})
	s.Orders, err = order.New(order.Config{DB: orderDB, Bus: s.Bus, DefaultMode: cfg.SagaMode,
		SagaTimeout: cfg.SagaTimeout, NewID: newID("order"), NewMessageID: newID("message"), Now: cfg.Now, Logger: cfg.Logger,
		Finished: cfg.OrderFinished})
	if err != nil {
		return nil, err
	}
	s.History = history.New(history.Config{DB: historyDB, Bus: s.Bus, Logger: cfg.Logger})
	s.rebuild.init()
	s.Composer = &gateway.Composer{Customers: s.Customers, Orders: s.Orders, View: s.History, CallLatency: cfg.CallLatency}
	if cfg.Inspect {
		return s, nil
	}
	if cfg.HoldDelivery {
		s.Bus.Hold()
	}
	// Modules that are down are down before anything is delivered.
	for _, module := range cfg.Paused {
		s.Bus.PauseConsumer(module)
	}
	for module := range cfg.Faults.Pauses {
		s.Bus.PauseConsumer(module)
	}
	if err := s.Bus.Start(ctx); err != nil {
		return nil, fmt.Errorf("start sagalab: %w", err)
	}
	if err := s.Orders.Recover(ctx); err != nil {
		return nil, fmt.Errorf("start sagalab: %w", err)
	}
	if !cfg.ManualDeadlines {
		s.Orders.Start()
		s.Customers.Start()
	}
	for module, d := range cfg.Faults.Pauses {
		time.AfterFunc(d, func() { s.Bus.ResumeConsumer(module) })
	}
	return s, nil
}

// ExpireNow times out, at once, every saga whose deadline has passed, and
// lets prepared two-phase commit participants that waited too long ask for
// the decision.
func (s *System) ExpireNow(ctx context.Context) error {
	if err := s.Orders.ExpireNow(ctx); err != nil {
		return err
	}
	return s.Customers.AskDecisions(ctx)
}

// Handler serves every module's HTTP API. Every error it answers is JSON,
// unknown paths and methods included.
func (s *System) Handler() http.Handler {
	mux := http.NewServeMux()
	s.Customers.Routes(mux, s.log)
	s.Orders.Routes(mux, s.log)
	s.sagaRoutes(mux)
	deadLetterRoutes(mux, s.log, s.Bus)
	s.History.Routes(mux, s.log)
	s.Composer.Routes(mux, s.log)
	s.viewRoutes(mux)
	s.healthRoutes(mux)
	s.openAPIRoutes(mux)
	return httpjson.Mux(mux)
}

// DataDir is the directory of the module databases.
func (s *System) DataDir() string { return s.cfg.DataDir }

// Close stops background work (a view rebuild included), then the bus,
// then closes the databases and releases the data directory.
func (s *System) Close() error {
	s.rebuild.stop()
	s.Orders.Close()
	s.Customers.Close()
	err := s.Bus.Close()
	return errors.Join(err, s.closeDBs(), s.lock.Unlock())
}

func (s *System) closeDBs() error {
	var errs []error
	for _, db := range s.dbs {
		errs = append(errs, db.Close())
	}
	s.dbs = nil
	return errors.Join(errs...)
}
