package system

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
)

// The ways to answer the valuable-customers query.
const (
	ViaComposition1N   = "composition-1n"
	ViaCompositionBulk = "composition-bulk"
	ViaView            = "view"
	// ViaAll answers every way, to compare them.
	ViaAll = "all"
)

// Vias lists the ways, in the order a comparison shows them.
var Vias = []string{ViaComposition1N, ViaCompositionBulk, ViaView}

// ValuableCustomers answers the slides' query the way via says.
func (s *System) ValuableCustomers(ctx context.Context, via string, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	started := time.Now()
	var rows []queries.ValuableCustomer
	var st queries.Stats
	var err error
	switch via {
	case ViaComposition1N:
		rows, st, err = s.Composer.ValuableCustomers1N(ctx, q)
	case ViaCompositionBulk:
		rows, st, err = s.Composer.ValuableCustomersBulk(ctx, q)
	case ViaView:
		rows, st, err = s.History.ValuableCustomers(ctx, q)
	default:
		return nil, st, unknownVia(via)
	}
	st.Elapsed = time.Since(started)
	return rows, st, err
}

func unknownVia(via string) error {
	return fmt.Errorf("via: %q is not one of %s or %s", via, strings.Join(Vias, ", "), ViaAll)
}

// ViewStatus is how far the view is behind one topic.
type ViewStatus struct {
	Topic   string `json:"topic"`
	Source  int64  `json:"sourcePosition"`
	Applied int64  `json:"viewPosition"`
	Lag     int64  `json:"lag"`
}

// ViewStatus compares the view's positions with its sources' heads.
func (s *System) ViewStatus(ctx context.Context) ([]ViewStatus, error) {
	applied, err := s.History.Positions(ctx)
	if err != nil {
		return nil, err
	}
	heads := map[string]int64{}
	for _, src := range []struct {
		out   *bus.Outbox
		topic string
	}{{s.Customers.Outbox(), customercontract.EventsTopic}, {s.Orders.Outbox(), ordercontract.EventsTopic}} {
		h, err := src.out.Head(ctx, src.topic)
		if err != nil {
			return nil, err
		}
		heads[src.topic] = h[0].N
	}
	out := make([]ViewStatus, len(applied))
	for i, a := range applied {
		out[i] = ViewStatus{Topic: a.Topic, Source: heads[a.Topic], Applied: a.N, Lag: heads[a.Topic] - a.N}
	}
	return out, nil
}

// MaxViewWait bounds how long a query waits for the view to catch up.
const MaxViewWait = 30 * time.Second

func (s *System) queryRoutes(mux *http.ServeMux) {
	mux.Handle("GET /customers/{id}/orderhistory", httpjson.Handle(s.log, s.getOrderHistory))
	mux.Handle("GET /composed/customers/{id}/orderhistory", httpjson.Handle(s.log, s.getComposedHistory))
	mux.Handle("GET /queries/valuable-customers", httpjson.Handle(s.log, s.getValuableCustomers))
	mux.Handle("GET /views/status", httpjson.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		st, err := s.ViewStatus(r.Context())
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, map[string]any{"view": history.Module, "topics": st})
		return nil
	}))
	mux.Handle("POST /views/rebuild", httpjson.Handle(s.log, s.postViewRebuild))
}

// getOrderHistory answers from the CQRS view. With ?after=POSITION[,POSITION]
// it first waits (up to ?wait, default 5s) until the view has applied the
// events at those positions: read-your-writes.
func (s *System) getOrderHistory(w http.ResponseWriter, r *http.Request) error {
	if after := r.URL.Query().Get("after"); after != "" {
		wait := 5 * time.Second
		if v := r.URL.Query().Get("wait"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 || d > MaxViewWait {
				return httpjson.Errorf(http.StatusBadRequest, "wait: %q is not a duration from 0s to %s", v, MaxViewWait)
			}
			wait = d
		}
		var positions []bus.Position
		for _, p := range strings.Split(after, ",") {
			pos, err := bus.ParsePosition(strings.TrimSpace(p))
			if err != nil {
				return httpjson.Errorf(http.StatusBadRequest, "after: %v", err)
			}
			positions = append(positions, pos)
		}
		err := s.History.WaitFor(r.Context(), wait, positions...)
		if errors.Is(err, history.ErrNotCaughtUp) {
			w.Header().Set("Retry-After", "1")
			return httpjson.Errorf(http.StatusServiceUnavailable, "%v", err)
		}
		if err != nil {
			return httpjson.Errorf(http.StatusBadRequest, "after: %v", err)
		}
	}
	d, err := s.History.Document(r.Context(), r.PathValue("id"))
	if errors.Is(err, history.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not in the order history view", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	type entry struct {
		OrderID    string       `json:"orderId"`
		State      string       `json:"state"`
		OrderTotal money.Amount `json:"orderTotal"`
	}
	orders := map[string]entry{}
	for _, o := range d.Orders {
		orders[o.OrderID] = entry{OrderID: o.OrderID, State: string(o.State), OrderTotal: money.Amount{Amount: o.OrderTotal}}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"id": d.CustomerID, "name": d.Name, "creditLimit": money.Amount{Amount: d.CreditLimit}, "orders": orders,
	})
	return nil
}

// getComposedHistory answers by API composition: two round trips, joined in
// memory.
func (s *System) getComposedHistory(w http.ResponseWriter, r *http.Request) error {
	h, st, err := s.Composer.OrderHistory(r.Context(), r.PathValue("id"))
	if errors.Is(err, customercontract.ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not found", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	type entry struct {
		OrderID         string       `json:"orderId"`
		OrderState      string       `json:"orderState"`
		RejectionReason *string      `json:"rejectionReason"`
		OrderTotal      money.Amount `json:"orderTotal"`
	}
	orders := []entry{}
	for _, o := range h.Orders {
		e := entry{OrderID: o.ID, OrderState: string(o.State), OrderTotal: money.Amount{Amount: o.OrderTotal}}
		if o.RejectionReason != "" {
			e.RejectionReason = &o.RejectionReason
		}
		orders = append(orders, e)
	}
	w.Header().Set("X-Round-Trips", fmt.Sprint(st.RoundTrips))
	httpjson.Write(w, http.StatusOK, map[string]any{
		"customerId": h.Customer.ID, "name": h.Customer.Name,
		"creditLimit": money.Amount{Amount: h.Customer.CreditLimit}, "orders": orders,
	})
	return nil
}

// ParseValuableQuery reads the query's parameters as given by a user:
// minTotal (an amount, default 0), state (default APPROVED) and
// createdAfter (RFC 3339 or YYYY-MM-DD, default: the beginning of time).
func ParseValuableQuery(minTotal, state, createdAfter string) (queries.ValuableCustomers, error) {
	var q queries.ValuableCustomers
	if minTotal != "" {
		m, err := money.Parse(minTotal)
		if err != nil {
			return q, fmt.Errorf("minTotal: %w", err)
		}
		q.MoreThan = m
	}
	q.State = ordercontract.Approved
	if state != "" {
		switch st := ordercontract.State(strings.ToUpper(state)); st {
		case ordercontract.Pending, ordercontract.Approved, ordercontract.Rejected, ordercontract.Cancelled:
			q.State = st
		default:
			return q, fmt.Errorf("state: %q is not PENDING, APPROVED, REJECTED or CANCELLED", state)
		}
	}
	if createdAfter != "" {
		t, err := time.Parse(time.RFC3339Nano, createdAfter)
		if err != nil {
			if t, err = time.Parse(time.DateOnly, createdAfter); err != nil {
				return q, fmt.Errorf("createdAfter: %q is not a time such as 2026-11-26 or 2026-11-26T10:00:00Z", createdAfter)
			}
		}
		q.CreatedAfter = t
	}
	return q, nil
}

// valuableAnswer is one way's answer to GET /queries/valuable-customers.
type valuableAnswer struct {
	Via           string        `json:"via"`
	Rows          []valuableRow `json:"rows"`
	RoundTrips    int           `json:"roundTrips"`
	RowsFetched   int           `json:"rowsFetched"`
	Elapsed       string        `json:"elapsed"`
	ElapsedMicros int64         `json:"elapsedMicros"`
}

type valuableRow struct {
	CustomerID string          `json:"customerId"`
	Name       string          `json:"name"`
	Orders     []valuableOrder `json:"orders"`
	Total      money.Amount    `json:"total"`
}

type valuableOrder struct {
	OrderID    string       `json:"orderId"`
	OrderTotal money.Amount `json:"orderTotal"`
}

func newValuableAnswer(via string, rows []queries.ValuableCustomer, st queries.Stats) valuableAnswer {
	a := valuableAnswer{Via: via, Rows: []valuableRow{}, RoundTrips: st.RoundTrips, RowsFetched: st.RowsFetched,
		Elapsed: st.Elapsed.String(), ElapsedMicros: st.Elapsed.Microseconds()}
	for _, r := range rows {
		row := valuableRow{CustomerID: r.CustomerID, Name: r.Name, Orders: []valuableOrder{}, Total: money.Amount{Amount: r.Total}}
		for _, o := range r.Orders {
			row.Orders = append(row.Orders, valuableOrder{OrderID: o.OrderID, OrderTotal: money.Amount{Amount: o.OrderTotal}})
		}
		a.Rows = append(a.Rows, row)
	}
	return a
}

// getValuableCustomers answers the query one way, or with ?via=all every
// way, each with its rows and costs, and whether their rows agree.
func (s *System) getValuableCustomers(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := ParseValuableQuery(v.Get("minTotal"), v.Get("state"), v.Get("createdAfter"))
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	via := v.Get("via")
	if via == "" {
		via = ViaView
	}
	vias := []string{via}
	switch {
	case via == ViaAll:
		vias = Vias
	case !slices.Contains(Vias, via):
		return httpjson.Errorf(http.StatusBadRequest, "%v", unknownVia(via))
	}
	var answers []valuableAnswer
	var first []queries.ValuableCustomer
	same := true
	for i, way := range vias {
		rows, st, err := s.ValuableCustomers(r.Context(), way, q)
		if err != nil {
			return err
		}
		if i == 0 {
			first = rows
		}
		same = same && queries.Same(rows, first)
		answers = append(answers, newValuableAnswer(way, rows, st))
	}
	if via != ViaAll {
		httpjson.Write(w, http.StatusOK, answers[0])
		return nil
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"via": ViaAll, "answers": answers, "sameRows": same})
	return nil
}
