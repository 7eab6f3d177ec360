package system

import (
	"context"
	"net/http"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/history"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/shared/queries"
)

// ValuableCustomers answers the slides' query the way via says (see
// queries.Vias).
func (s *System) ValuableCustomers(ctx context.Context, via string, q queries.ValuableCustomers) ([]queries.ValuableCustomer, queries.Stats, error) {
	return s.Composer.ValuableCustomers(ctx, via, q)
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

// viewRoutes registers the view's administration: how far behind it is,
// and a rebuild.
func (s *System) viewRoutes(mux *http.ServeMux) {
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
