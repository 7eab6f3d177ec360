package gateway

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"

	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
)

// Routes registers the composer's HTTP API on mux: the order history by
// API composition and the valuable-customers query, every way.
func (c *Composer) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("GET /composed/customers/{id}/orderhistory", httpjson.Handle(log, c.getComposedHistory))
	mux.Handle("GET /queries/valuable-customers", httpjson.Handle(log, c.getValuableCustomers))
}

// getComposedHistory answers by API composition: two round trips, joined in
// memory.
func (c *Composer) getComposedHistory(w http.ResponseWriter, r *http.Request) error {
	h, st, err := c.OrderHistory(r.Context(), r.PathValue("id"))
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
func (c *Composer) getValuableCustomers(w http.ResponseWriter, r *http.Request) error {
	v := r.URL.Query()
	q, err := queries.ParseValuableQuery(v.Get("minTotal"), v.Get("state"), v.Get("createdAfter"))
	if err != nil {
		return httpjson.Errorf(http.StatusBadRequest, "%v", err)
	}
	via := v.Get("via")
	if via == "" {
		via = queries.ViaView
	}
	vias := []string{via}
	switch {
	case via == queries.ViaAll:
		vias = queries.Vias
	case !slices.Contains(queries.Vias, via):
		return httpjson.Errorf(http.StatusBadRequest, "%v", queries.UnknownVia(via))
	}
	var answers []valuableAnswer
	var first []queries.ValuableCustomer
	same := true
	for i, way := range vias {
		rows, st, err := c.ValuableCustomers(r.Context(), way, q)
		if err != nil {
			return err
		}
		if i == 0 {
			first = rows
		}
		same = same && queries.Same(rows, first)
		answers = append(answers, newValuableAnswer(way, rows, st))
	}
	if via != queries.ViaAll {
		httpjson.Write(w, http.StatusOK, answers[0])
		return nil
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"via": queries.ViaAll, "answers": answers, "sameRows": same})
	return nil
}
