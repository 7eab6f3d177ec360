package system

import (
	"context"
	"fmt"
	"net/http"

	"sagalab/modules/shared/httpjson"
)

// DefaultReadyLag is how many events the view may be behind a topic before
// GET /readyz says the system is not ready.
const DefaultReadyLag = 1000

// Ready checks what serving needs: every database answers, the bus
// delivers, and the view is at most the ready lag (Config.ReadyLag) behind
// each topic. It returns the reasons it is not ready; none when it is.
func (s *System) Ready(ctx context.Context) []string {
	var reasons []string
	for _, db := range s.dbs {
		if err := db.Reader().PingContext(ctx); err != nil {
			reasons = append(reasons, fmt.Sprintf("database %s: %v", db.Path(), err))
		}
	}
	if len(s.dbs) == 0 {
		reasons = append(reasons, "databases: closed")
	}
	if !s.Bus.Running() {
		reasons = append(reasons, "bus: not running")
	}
	bound := s.cfg.ReadyLag
	if bound <= 0 {
		bound = DefaultReadyLag
	}
	st, err := s.ViewStatus(ctx)
	if err != nil {
		return append(reasons, fmt.Sprintf("view: %v", err))
	}
	for _, v := range st {
		if v.Lag > bound {
			reasons = append(reasons, fmt.Sprintf("view: %d events behind %s (at most %d)", v.Lag, v.Topic, bound))
		}
	}
	return reasons
}

func (s *System) healthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /readyz", httpjson.Handle(s.log, func(w http.ResponseWriter, r *http.Request) error {
		writeReady(w, s.Ready(r.Context()))
		return nil
	}))
}
