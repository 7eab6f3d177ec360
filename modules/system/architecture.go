package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"sagalab/modules/monolith"
	"sagalab/modules/shared/httpjson"
	"sagalab/storage"
)

// Architecture is how sagalab builds the store.
type Architecture string

// Architectures.
const (
	// Microservices is the Order, Customer and History services, each on
	// its own SQLite file, coordinated by sagas over the bus: the default.
	Microservices Architecture = "microservices"
	// Monolith is one module on one SQLite file, where Create Order is one
	// ACID transaction.
	Monolith Architecture = "monolith"
)

// ParseArchitecture checks an architecture given by a user; "" is
// Microservices.
func ParseArchitecture(s string) (Architecture, error) {
	switch a := Architecture(s); a {
	case "":
		return Microservices, nil
	case Microservices, Monolith:
		return a, nil
	}
	return "", fmt.Errorf("%q is not %q or %q", s, Monolith, Microservices)
}

// MonolithSystem is a running monolith: its store on store.db, and the
// data directory's lock.
type MonolithSystem struct {
	Store *monolith.Store

	cfg  Config
	log  *slog.Logger
	lock *storage.DirLock
}

// StartMonolith opens the monolith on cfg.DataDir. Of cfg it uses DataDir,
// Synchronous, Logger, IDs and Now: the rest configures the services and
// their bus, which the monolith does not have.
func StartMonolith(ctx context.Context, cfg Config) (_ *MonolithSystem, err error) {
	if cfg.DataDir == "" {
		return nil, errors.New("start the monolith: no data directory")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	m := &MonolithSystem{cfg: cfg, log: cfg.Logger}
	if m.lock, err = storage.LockDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("start the monolith: %w", err)
	}
	m.Store, err = monolith.Open(ctx, monolith.Config{DataDir: cfg.DataDir, Synchronous: cfg.Synchronous,
		NewID: cfg.IDs, Now: cfg.Now})
	if err != nil {
		m.lock.Unlock()
		return nil, err
	}
	return m, nil
}

// InspectMonolith opens the monolith's store.db in dataDir read-only,
// without taking the directory's lock, to query it (even while another
// sagalab serves it).
func InspectMonolith(ctx context.Context, dataDir string) (*MonolithSystem, error) {
	store, err := monolith.Open(ctx, monolith.Config{DataDir: dataDir, ReadOnly: true})
	if err != nil {
		return nil, err
	}
	return &MonolithSystem{Store: store, cfg: Config{DataDir: dataDir}, log: slog.New(slog.DiscardHandler)}, nil
}

// MonolithCommit is one transaction the monolith committed (see
// NewMonolithSession).
type MonolithCommit = monolith.Commit

// MonolithFile is the monolith's database file.
const MonolithFile = monolith.FileName

// MonolithTables names the tables Rows reads, in the order to show them.
func MonolithTables() []string { return monolith.TableNames() }

// Rows reads the tables a walkthrough shows: "store.db orders" -> key ->
// row.
func (m *MonolithSystem) Rows(ctx context.Context) (map[string]map[string]string, error) {
	return m.Store.Rows(ctx)
}

// Handler serves the monolith's HTTP API: the same contract as the
// services'. Every error it answers is JSON, unknown paths and methods
// included.
func (m *MonolithSystem) Handler() http.Handler {
	mux := http.NewServeMux()
	m.Store.Routes(mux, m.log)
	return httpjson.Mux(mux)
}

// DataDir is the directory of store.db.
func (m *MonolithSystem) DataDir() string { return m.cfg.DataDir }

// Close closes store.db and releases the data directory.
func (m *MonolithSystem) Close() error {
	if m.lock == nil { // inspecting
		return m.Store.Close()
	}
	return errors.Join(m.Store.Close(), m.lock.Unlock())
}
