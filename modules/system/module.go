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
	"slices"

	"sagalab/bus"
	"sagalab/modules/customer"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/gateway"
	"sagalab/modules/history"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/storage"
)

// ModuleNames names the modules that run as processes of their own over a
// broker (serve --module); the gateway is the fourth, with no database.
func ModuleNames() []string { return []string{"order", "customer", "history"} }

// Module is one module running on its own: its database, its relay and
// consumers over a broker, and its HTTP API. The others run elsewhere.
type Module struct {
	Name string
	Bus  *bus.Bus

	cfg    Config
	log    *slog.Logger
	lock   *storage.DirLock
	db     *storage.DB
	routes func(mux *http.ServeMux)
	close  func()

	// What the module's part routes read (module_routes.go); nil for the
	// modules that are not this one.
	orders    *order.Module
	customers *customer.Module
	view      *history.View

	// For the History service: the other services' APIs, whose event logs
	// it rebuilds its view from, and the one rebuild that may run.
	services *gateway.Proxy
	rebuild  viewRebuild
}

// StartModule starts module name alone on cfg.DataDir, over the broker
// cfg.Transport makes.
func StartModule(ctx context.Context, cfg Config, name string) (_ *Module, err error) {
	if !slices.Contains(ModuleNames(), name) {
		return nil, fmt.Errorf("start module: no module %q (want one of %v)", name, ModuleNames())
	}
	if cfg.DataDir == "" {
		return nil, errors.New("start module: no data directory")
	}
	if cfg.Transport == nil {
		return nil, errors.New("start module: a module on its own needs a broker")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.Logger = cfg.Logger.With("module", name)
	m := &Module{Name: name, cfg: cfg, log: cfg.Logger, close: func() {}}
	m.rebuild.init()
	if m.lock, err = storage.LockDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("start module %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			if m.Bus != nil {
				m.Bus.Close()
			}
			if m.db != nil {
				m.db.Close()
			}
			m.lock.Unlock()
		}
	}()
	transport, err := cfg.Transport(ctx)
	if err != nil {
		return nil, fmt.Errorf("start module %s: %w", name, err)
	}
	m.Bus, err = bus.New(bus.Config{Logger: cfg.Logger, Retention: cfg.Retention, MaxRetries: cfg.MaxRetries,
		Observer: cfg.Observer, Now: cfg.Now, Transport: transport})
	if err != nil {
		transport.Close()
		return nil, err
	}
	open := func(file string, migrations []storage.Migration) (*storage.DB, error) {
		return storage.Open(ctx, filepath.Join(cfg.DataDir, file), migrations,
			storage.Options{Synchronous: cfg.Synchronous, GroupCommit: true})
	}
	switch name {
	case "order":
		if m.db, err = open(order.FileName, order.Migrations()); err != nil {
			return nil, err
		}
		orders, err := order.New(order.Config{DB: m.db, Bus: m.Bus, DefaultMode: cfg.SagaMode,
			SagaTimeout: cfg.SagaTimeout, Now: cfg.Now, Logger: cfg.Logger})
		if err != nil {
			return nil, err
		}
		m.orders = orders
		m.routes = func(mux *http.ServeMux) { orders.Routes(mux, m.log) }
		m.close = orders.Close
		defer func() {
			if err == nil {
				orders.Start()
			}
		}()
	case "customer":
		if m.db, err = open(customer.FileName, customer.Migrations()); err != nil {
			return nil, err
		}
		customers := customer.New(customer.Config{DB: m.db, Bus: m.Bus, SnapshotEvery: cfg.SnapshotEvery,
			Now: cfg.Now, Logger: cfg.Logger})
		m.customers = customers
		m.routes = func(mux *http.ServeMux) { customers.Routes(mux, m.log) }
	case "history":
		if m.db, err = open(history.FileName, history.Migrations()); err != nil {
			return nil, err
		}
		view := history.New(history.Config{DB: m.db, Bus: m.Bus, Logger: cfg.Logger})
		m.view = view
		m.services = gateway.NewProxy(cfg.Logger, logServices(cfg.Services)...)
		m.routes = func(mux *http.ServeMux) { view.Routes(mux, m.log) }
	}
	if err := m.Bus.Start(ctx); err != nil {
		return nil, fmt.Errorf("start module %s: %w", name, err)
	}
	return m, nil
}

// Handler serves the module's own HTTP API, GET /healthz and what the
// gateway composes the rest of the REST API from (module_routes.go).
func (m *Module) Handler() http.Handler {
	mux := http.NewServeMux()
	m.routes(mux)
	m.partRoutes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"status": "ok", "module": m.Name, "pid": os.Getpid()})
	})
	return httpjson.Mux(mux)
}

// logServices are the services of services whose event logs the view is
// built from.
func logServices(services map[string]*url.URL) []gateway.Service {
	var out []gateway.Service
	for _, name := range []string{customercontract.Module, ordercontract.Module} {
		if u := services[name]; u != nil {
			out = append(out, gateway.Service{Name: name, URL: u})
		}
	}
	return out
}

// RebuildView rebuilds the History service's view online, as
// System.RebuildView does, from the Customer and Order services' event
// logs read over HTTP (Config.Services): if one cannot be read, the error
// is a *gateway.UnavailableError naming its service, and the view is
// unchanged. A second call while one runs returns ErrRebuildRunning.
func (m *Module) RebuildView(ctx context.Context, progress RebuildProgress) (RebuildResult, error) {
	if m.view == nil {
		return RebuildResult{}, fmt.Errorf("rebuild the view: the %s module has no view", m.Name)
	}
	sources := []viewSource{
		remoteSource(m.services, customercontract.Module, customercontract.EventsTopic),
		remoteSource(m.services, ordercontract.Module, ordercontract.EventsTopic),
	}
	return m.rebuild.run(ctx, m.log, m.Bus, m.db, sources, progress)
}

// Close stops the module's background work (a view rebuild included),
// then its bus, and closes its database.
func (m *Module) Close() error {
	m.rebuild.stop()
	m.close()
	err := m.Bus.Close()
	return errors.Join(err, m.db.Close(), m.lock.Unlock())
}
