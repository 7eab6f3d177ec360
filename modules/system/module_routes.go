package system

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/order"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
)

// A module on its own serves, beside its own API, the parts of the REST
// API it owns (its dead letters, its readiness, the sagas for the Order
// service) and the parts the gateway composes the rest from, under
// /internal/: what it knows of an order's saga, the head of its event log
// and the log itself (eventlog_http.go), the view's positions, the queries
// the composer asks. The History service also rebuilds its view online.

// sagaPart is what one module knows of an order's saga: the Order
// service's saga status, and every module's messages and dead letters for
// the order. GET /internal/sagas/{orderId} answers it.
type sagaPart struct {
	Status      *order.SagaStatus `json:"status,omitempty"`
	Traffic     []bus.Traffic     `json:"traffic"`
	DeadLetters []bus.DeadLetter  `json:"deadLetters"`
}

// headJSON is where a module's event log stands: GET /internal/head.
type headJSON struct {
	Position bus.Position `json:"position"`
}

// positionsJSON is where the view stands: GET /internal/view/positions.
type positionsJSON struct {
	Positions []bus.Position `json:"positions"`
}

// valuablePartJSON is the view's answer to the valuable-customers query:
// GET /internal/valuable-customers.
type valuablePartJSON struct {
	Rows  []queries.ValuableCustomer `json:"rows"`
	Stats queries.Stats              `json:"stats"`
}

// customersJSON are customers as the Customer service's contract has them:
// GET /internal/customers?createdAfter=T.
type customersJSON struct {
	Customers []customercontract.Customer `json:"customers"`
}

func (m *Module) partRoutes(mux *http.ServeMux) {
	deadLetterRoutes(mux, m.log, m.Bus)
	mux.Handle("GET /readyz", httpjson.Handle(m.log, m.getReady))
	mux.Handle("GET /internal/sagas/{orderId}", httpjson.Handle(m.log, m.getSagaPart))
	switch {
	case m.orders != nil:
		mux.Handle("GET /sagas", unfinishedSagas(m.log, m.orders))
		mux.Handle("GET /internal/head", m.head(m.orders.Outbox(), ordercontract.EventsTopic))
		logRoutes(mux, m.log, m.db, ordercontract.Module, ordercontract.EventsTopic)
	case m.customers != nil:
		mux.Handle("GET /internal/head", m.head(m.customers.Outbox(), customercontract.EventsTopic))
		mux.Handle("GET /internal/customers", httpjson.Handle(m.log, m.getCustomersCreatedAfter))
		logRoutes(mux, m.log, m.db, customercontract.Module, customercontract.EventsTopic)
	case m.view != nil:
		mux.Handle("GET /internal/view/positions", httpjson.Handle(m.log, m.getViewPositions))
		mux.Handle("GET /internal/valuable-customers", httpjson.Handle(m.log, m.getValuablePart))
		mux.Handle("POST /views/rebuild", httpjson.Handle(m.log, func(w http.ResponseWriter, r *http.Request) error {
			return serveRebuild(w, r, m.log, m.rebuild.life, m.RebuildView)
		}))
	}
}

// Ready checks what the module needs to serve: its database answers and
// its bus runs. It returns the reasons it is not ready; none when it is.
func (m *Module) Ready(ctx context.Context) []string {
	var reasons []string
	if err := m.db.Reader().PingContext(ctx); err != nil {
		reasons = append(reasons, fmt.Sprintf("database %s: %v", m.db.Path(), err))
	}
	if !m.Bus.Running() {
		reasons = append(reasons, "bus: not running")
	}
	return reasons
}

func (m *Module) getReady(w http.ResponseWriter, r *http.Request) error {
	writeReady(w, m.Ready(r.Context()))
	return nil
}

// writeReady answers GET /readyz: ready, or 503 with the reasons.
func writeReady(w http.ResponseWriter, reasons []string) {
	if len(reasons) > 0 {
		httpjson.Write(w, http.StatusServiceUnavailable, map[string]any{
			"error": "not ready: " + strings.Join(reasons, "; "), "reasons": reasons})
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"status": "ready", "reasons": []string{}})
}

func (m *Module) getSagaPart(w http.ResponseWriter, r *http.Request) error {
	ctx, id := r.Context(), r.PathValue("orderId")
	part := sagaPart{Traffic: []bus.Traffic{}}
	var out *bus.Outbox
	switch {
	case m.orders != nil:
		st, err := m.orders.SagaStatus(ctx, id)
		if errors.Is(err, ordercontract.ErrNotFound) {
			return httpjson.Errorf(http.StatusNotFound, "order %q not found", id)
		}
		if err != nil {
			return err
		}
		part.Status, out = &st, m.orders.Outbox()
	case m.customers != nil:
		out = m.customers.Outbox()
	}
	if out != nil {
		t, err := out.Traffic(ctx, id)
		if err != nil {
			return err
		}
		part.Traffic = append(part.Traffic, t...)
	}
	dls, err := m.Bus.DeadLettersOf(ctx, id)
	if err != nil {
		return err
	}
	part.DeadLetters = append([]bus.DeadLetter{}, dls...)
	httpjson.Write(w, http.StatusOK, part)
	return nil
}

func (m *Module) head(out *bus.Outbox, topic string) http.Handler {
	return httpjson.Handle(m.log, func(w http.ResponseWriter, r *http.Request) error {
		h, err := out.Head(r.Context(), topic)
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, headJSON{Position: h[0]})
		return nil
	})
}

func (m *Module) getCustomersCreatedAfter(w http.ResponseWriter, r *http.Request) error {
	after, err := time.Parse(time.RFC3339Nano, r.URL.Query().Get("createdAfter"))
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "createdAfter: want a time such as 2026-11-01T00:00:00Z")
	}
	cs, err := m.customers.CustomersCreatedAfter(r.Context(), after)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, customersJSON{Customers: append([]customercontract.Customer{}, cs...)})
	return nil
}

func (m *Module) getViewPositions(w http.ResponseWriter, r *http.Request) error {
	ps, err := m.view.Positions(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, positionsJSON{Positions: append([]bus.Position{}, ps...)})
	return nil
}

func (m *Module) getValuablePart(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	after, err := time.Parse(time.RFC3339Nano, v.Get("createdAfter"))
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "createdAfter: want a time such as 2026-11-01T00:00:00Z")
	}
	cents, err := strconv.ParseInt(v.Get("moreThanCents"), 10, 64)
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "moreThanCents: want a whole number of cents")
	}
	q := queries.ValuableCustomers{CreatedAfter: after, State: ordercontract.State(v.Get("state")),
		MoreThan: money.Money(cents)}
	rows, st, err := m.view.ValuableCustomers(r.Context(), q)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, valuablePartJSON{Rows: append([]queries.ValuableCustomer{}, rows...), Stats: st})
	return nil
}
