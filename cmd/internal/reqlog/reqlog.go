// Package reqlog logs one structured line per HTTP request: method, route,
// status, duration and, when there is one, the order it was about.
package reqlog

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"sagalab/cmd/internal/httpwrite"
)

// kept is how much of an answer is read for an order id: a created order's
// answer is small.
const kept = 512

// Middleware logs each request next answers on log, at info level (warn for
// a 5xx).
func Middleware(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rec := httpwrite.Record(w)
		if r.Method == http.MethodPost && r.URL.Path == "/orders" {
			rec.Keep(kept) // the new order's id is in the answer
		}
		next.ServeHTTP(rec, r)
		route := httpwrite.Route(r)
		attrs := []slog.Attr{
			slog.String("method", r.Method), slog.String("route", route), slog.String("path", r.URL.Path),
			slog.Int("status", rec.Status()), slog.Duration("duration", time.Since(began)),
		}
		if id := orderID(r, route, rec.Body()); id != "" {
			attrs = append(attrs, slog.String("order", id))
		}
		level := slog.LevelInfo
		if rec.Status() >= 500 {
			level = slog.LevelWarn
		}
		log.LogAttrs(r.Context(), level, "request", attrs...)
	})
}

// orderID finds the order a request was about: in its path, or in the
// answer that created it.
func orderID(r *http.Request, route string, body []byte) string {
	switch {
	case strings.Contains(route, "/orders/{id}"):
		return r.PathValue("id")
	case strings.Contains(route, "{orderId}"):
		return r.PathValue("orderId")
	case len(body) > 0:
		var created struct {
			OrderID string `json:"orderId"`
		}
		if json.Unmarshal(body, &created) == nil {
			return created.OrderID
		}
	}
	return ""
}
