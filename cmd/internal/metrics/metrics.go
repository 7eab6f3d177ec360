// Package metrics exposes a running sagalab to Prometheus: saga outcomes,
// messages, outboxes, the view, dead letters, HTTP requests and the Go
// runtime, on a registry of its own.
//
// Most values are read when Prometheus scrapes (see stats.go); only what
// cannot be read afterwards is counted as it happens: each handled message,
// through the bus Observer (Handled), and each HTTP request (Middleware).
package metrics

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"sagalab/bus"
	"sagalab/modules/system"
)

// StatsFunc reads the system's counts at scrape time (System.Stats).
type StatsFunc func(context.Context) (system.Stats, error)

// Metrics is sagalab's Prometheus registry and the instruments it feeds.
type Metrics struct {
	reg *prometheus.Registry

	handled    *prometheus.CounterVec
	duplicates *prometheus.CounterVec
	handling   *prometheus.HistogramVec
	requests   *prometheus.CounterVec
	durations  *prometheus.HistogramVec
}

// New makes the registry; stats, when not nil, is read on every scrape.
func New(stats StatsFunc, log *slog.Logger) *Metrics {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		handled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sagalab_messages_handled_total",
			Help: "Messages a module's consumer handled in a local transaction, by module and message type.",
		}, []string{"module", "type"}),
		duplicates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sagalab_messages_duplicates_ignored_total",
			Help: "Copies of messages a consumer had handled before and ignored (found in its inbox), by module and type.",
		}, []string{"module", "type"}),
		handling: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sagalab_message_handler_duration_seconds",
			Help:    "How long a consumer's local transaction for a message took, handler included, by module.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1},
		}, []string{"module"}),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sagalab_http_requests_total",
			Help: "HTTP requests answered, by route pattern and status code.",
		}, []string{"route", "code"}),
		durations: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sagalab_http_request_duration_seconds",
			Help:    "How long HTTP requests took to answer, by route pattern.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route"}),
	}
	m.reg.MustRegister(m.handled, m.duplicates, m.handling, m.requests, m.durations,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if stats != nil {
		m.reg.MustRegister(&statsCollector{stats: stats, log: log})
	}
	return m
}

// Registry is the registry the metrics are on, for tests and other exporters.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus's text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

// Handled counts one handled message: a bus.Observer.
func (m *Metrics) Handled(d bus.Delivery) {
	switch {
	case d.Ignored:
	case d.Duplicate:
		m.duplicates.WithLabelValues(d.Consumer, d.Type).Inc()
	default:
		m.handled.WithLabelValues(d.Consumer, d.Type).Inc()
		m.handling.WithLabelValues(d.Consumer).Observe(d.Took.Seconds())
	}
}
