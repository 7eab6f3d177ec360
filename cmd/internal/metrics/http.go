package metrics

import (
	"net/http"
	"strconv"
	"time"

	"sagalab/cmd/internal/httpwrite"
)

// Middleware counts and times each request next answers, by the route
// pattern that took it ("unmatched" for none).
func (m *Metrics) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rec := httpwrite.Record(w)
		next.ServeHTTP(rec, r)
		route := httpwrite.Route(r)
		m.requests.WithLabelValues(route, strconv.Itoa(rec.Status())).Inc()
		m.durations.WithLabelValues(route).Observe(time.Since(began).Seconds())
	})
}
