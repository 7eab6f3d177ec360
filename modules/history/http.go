package history

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"sagalab/bus"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/rest"
)

// MaxViewWait bounds how long a query waits for the view to catch up.
const MaxViewWait = 30 * time.Second

// Routes registers the view's HTTP API on mux: a customer's order history,
// read your writes included.
func (v *View) Routes(mux *http.ServeMux, log *slog.Logger) {
	mux.Handle("GET /customers/{id}/orderhistory", httpjson.Handle(log, v.getOrderHistory))
}

// getOrderHistory answers from the CQRS view. With ?after=POSITION[,POSITION]
// it first waits (up to ?wait, default 5s) until the view has applied the
// events at those positions: read-your-writes.
func (v *View) getOrderHistory(w http.ResponseWriter, r *http.Request) error {
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
		err := v.WaitFor(r.Context(), wait, positions...)
		if errors.Is(err, ErrNotCaughtUp) {
			w.Header().Set("Retry-After", "1")
			return httpjson.Errorf(http.StatusServiceUnavailable, "%v", err)
		}
		if err != nil {
			return httpjson.Errorf(http.StatusBadRequest, "after: %v", err)
		}
	}
	d, err := v.Document(r.Context(), r.PathValue("id"))
	if errors.Is(err, ErrNotFound) {
		return httpjson.Errorf(http.StatusNotFound, "customer %q not in the order history view", r.PathValue("id"))
	}
	if err != nil {
		return err
	}
	doc := rest.OrderHistory{ID: d.CustomerID, Name: d.Name, CreditLimit: money.Amount{Amount: d.CreditLimit},
		Orders: map[string]rest.HistoryOrder{}}
	for _, o := range d.Orders {
		doc.Orders[o.OrderID] = rest.HistoryOrder{OrderID: o.OrderID, State: string(o.State),
			OrderTotal: money.Amount{Amount: o.OrderTotal}}
	}
	httpjson.Write(w, http.StatusOK, doc)
	return nil
}
