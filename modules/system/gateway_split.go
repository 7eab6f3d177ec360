package system

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"sagalab/bus"
	customercontract "sagalab/modules/customer/contract"
	"sagalab/modules/gateway"
	"sagalab/modules/history"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/httpjson"
)

// Gateway serves the public REST API in front of modules that run as
// processes of their own, at the base URLs services gives by module name:
// what one module owns is passed on to it; what spans modules (an order's
// saga, the dead letters, the view's status, readiness) is composed here
// from the modules' own endpoints, with the same shapes as in one process.
func Gateway(log *slog.Logger, services map[string]*url.URL) http.Handler {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var list []gateway.Service
	for _, name := range ModuleNames() {
		if u, ok := services[name]; ok {
			list = append(list, gateway.Service{Name: name, URL: u})
		}
	}
	g := &splitGateway{p: gateway.NewProxy(log, list...), readyLag: DefaultReadyLag}
	g.p.Handle("GET /sagas/{orderId}", g.p.HandleFunc(g.getSaga))
	g.p.Handle("GET /dead-letters", g.p.HandleFunc(g.getDeadLetters))
	for _, pattern := range []string{"GET /dead-letters/{consumer}/{id}", "POST /dead-letters/{consumer}/{id}/retry",
		"DELETE /dead-letters/{consumer}/{id}"} {
		g.p.Handle(pattern, http.HandlerFunc(g.forwardDeadLetter))
	}
	g.p.Handle("GET /views/status", g.p.HandleFunc(g.getViewStatus))
	g.p.Handle("POST /views/rebuild", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.p.Forward(history.Module, w, r) // it reads the other services' logs itself
	}))
	g.p.Handle("GET /readyz", g.p.HandleFunc(g.getReady))
	g.p.Handle("GET /openapi.json", http.HandlerFunc(serveOpenAPI))
	return g.p.Handler()
}

// splitGateway composes the answers that span modules.
type splitGateway struct {
	p        *gateway.Proxy
	readyLag int64
}

// errOrderNotFound is the Order service's 404 for an order.
var errOrderNotFound = errors.New("order not found")

// getSaga composes GET /sagas/{orderId}: the Order service's saga status
// and messages, the Customer service's messages, every module's dead
// letters of the order.
func (g *splitGateway) getSaga(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("orderId")
	path := "/internal/sagas/" + url.PathEscape(id)
	var rep SagaReport
	for _, name := range ModuleNames() {
		var part sagaPart
		err := g.p.Get(r.Context(), name, path, nil, &part, errOrderNotFound)
		if errors.Is(err, errOrderNotFound) {
			return httpjson.Errorf(http.StatusNotFound, "order %q not found", id)
		}
		if err != nil {
			return err
		}
		if part.Status != nil {
			rep.SagaStatus = *part.Status
		}
		rep.Traffic = append(rep.Traffic, part.Traffic...)
		rep.DeadLetters = append(rep.DeadLetters, part.DeadLetters...)
	}
	slices.SortStableFunc(rep.Traffic, func(a, b bus.Traffic) int { return a.At.Compare(b.At) })
	sortDeadLetters(rep.DeadLetters)
	httpjson.Write(w, http.StatusOK, rep.json())
	return nil
}

// sortDeadLetters orders dead letters by consumer, as one bus lists them.
func sortDeadLetters(list []bus.DeadLetter) {
	slices.SortStableFunc(list, func(a, b bus.DeadLetter) int { return cmp.Compare(a.Consumer, b.Consumer) })
}

// getDeadLetters gathers every module's dead letters.
func (g *splitGateway) getDeadLetters(w http.ResponseWriter, r *http.Request) error {
	out := DeadLettersJSON{DeadLetters: []DeadLetterJSON{}}
	for _, name := range ModuleNames() {
		var list DeadLettersJSON
		if err := g.p.Get(r.Context(), name, "/dead-letters", nil, &list, nil); err != nil {
			return err
		}
		out.DeadLetters = append(out.DeadLetters, list.DeadLetters...)
	}
	slices.SortStableFunc(out.DeadLetters, func(a, b DeadLetterJSON) int { return cmp.Compare(a.Consumer, b.Consumer) })
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

// consumerModule names the module that runs a consumer.
func consumerModule(consumer string) (string, bool) {
	if consumer == ordercontract.Coordinator {
		return ordercontract.Module, true
	}
	return consumer, slices.Contains(ModuleNames(), consumer)
}

// forwardDeadLetter passes a request about one dead letter on to the
// module whose consumer parked it.
func (g *splitGateway) forwardDeadLetter(w http.ResponseWriter, r *http.Request) {
	module, ok := consumerModule(r.PathValue("consumer"))
	if !ok {
		httpjson.Write(w, http.StatusNotFound, map[string]string{"error": fmt.Sprintf("%v: no consumer %q",
			bus.ErrNoDeadLetter, r.PathValue("consumer"))})
		return
	}
	g.p.Forward(module, w, r)
}

// viewStatus composes the view's status: its positions from the History
// service, the heads of the logs from the Customer and Order services.
func (g *splitGateway) viewStatus(ctx context.Context) ([]ViewStatus, error) {
	var applied positionsJSON
	if err := g.p.Get(ctx, history.Module, "/internal/view/positions", nil, &applied, nil); err != nil {
		return nil, err
	}
	heads := map[string]int64{}
	for _, name := range []string{customercontract.Module, ordercontract.Module} {
		var h headJSON
		if err := g.p.Get(ctx, name, "/internal/head", nil, &h, nil); err != nil {
			return nil, err
		}
		heads[h.Position.Topic] = h.Position.N
	}
	out := make([]ViewStatus, len(applied.Positions))
	for i, a := range applied.Positions {
		out[i] = ViewStatus{Topic: a.Topic, Source: heads[a.Topic], Applied: a.N, Lag: heads[a.Topic] - a.N}
	}
	return out, nil
}

func (g *splitGateway) getViewStatus(w http.ResponseWriter, r *http.Request) error {
	st, err := g.viewStatus(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"view": history.Module, "topics": st})
	return nil
}

// getReady is ready when every module answers its own GET /readyz ready
// and the view is at most the ready lag behind each topic; otherwise 503
// with the reasons, each naming its module.
func (g *splitGateway) getReady(w http.ResponseWriter, r *http.Request) error {
	var reasons []string
	for _, name := range ModuleNames() {
		var ans struct{ Reasons []string }
		status, err := g.p.GetStatus(r.Context(), name, "/readyz", &ans)
		switch {
		case err != nil:
			reasons = append(reasons, fmt.Sprintf("%s: %v", name, unavailableText(err)))
		case status != http.StatusOK:
			if len(ans.Reasons) == 0 {
				ans.Reasons = []string{fmt.Sprintf("answers %d", status)}
			}
			for _, why := range ans.Reasons {
				reasons = append(reasons, name+": "+why)
			}
		}
	}
	if len(reasons) == 0 {
		st, err := g.viewStatus(r.Context())
		if err != nil {
			reasons = append(reasons, "view: "+unavailableText(err))
		}
		for _, v := range st {
			if v.Lag > g.readyLag {
				reasons = append(reasons, fmt.Sprintf("view: %d events behind %s (at most %d)", v.Lag, v.Topic, g.readyLag))
			}
		}
	}
	writeReady(w, reasons)
	return nil
}

// unavailableText says why a service did not answer.
func unavailableText(err error) string {
	s := err.Error()
	if u := (*gateway.UnavailableError)(nil); errors.As(err, &u) {
		s = strings.TrimPrefix(s, "the "+u.Service+" service is ")
	}
	return s
}
