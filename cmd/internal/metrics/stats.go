package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// scrapeTimeout bounds the reads of one scrape.
const scrapeTimeout = 5 * time.Second

var (
	sagasStarted = prometheus.NewDesc("sagalab_sagas_started_total",
		"Create Order sagas started (orders placed), by saga mode.", []string{"mode"}, nil)
	sagasFinished = prometheus.NewDesc("sagalab_sagas_finished_total",
		"Create Order sagas finished, by saga mode and outcome (approved, rejected).", []string{"mode", "outcome"}, nil)
	sagasRunning = prometheus.NewDesc("sagalab_sagas_running",
		"Create Order sagas running now (orders PENDING), by saga mode.", []string{"mode"}, nil)
	published = prometheus.NewDesc("sagalab_messages_published_total",
		"Messages a module wrote to its outbox and published, by module and type (as kept: retention prunes).",
		[]string{"module", "type"}, nil)
	backlog = prometheus.NewDesc("sagalab_outbox_backlog_messages",
		"Messages in a module's outbox that some consumer has not handled yet.", []string{"module"}, nil)
	viewLag = prometheus.NewDesc("sagalab_view_lag_events",
		"Events the History view is behind a topic.", []string{"topic"}, nil)
	deadLetters = prometheus.NewDesc("sagalab_dead_letters",
		"Messages parked as dead letters now, by consumer.", []string{"module"}, nil)
)

// statsCollector reads System.Stats at scrape time.
type statsCollector struct {
	stats StatsFunc
	log   *slog.Logger
}

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{sagasStarted, sagasFinished, sagasRunning, published, backlog, viewLag, deadLetters} {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	st, err := c.stats(ctx)
	if err != nil {
		c.log.Warn("metrics: read the system's counts", "error", err)
		ch <- prometheus.NewInvalidMetric(sagasStarted, err)
		return
	}
	for _, mode := range []string{"choreography", "orchestration"} {
		states := st.Orders[mode]
		var all int64
		for _, n := range states {
			all += n
		}
		ch <- prometheus.MustNewConstMetric(sagasStarted, prometheus.CounterValue, float64(all), mode)
		// A cancelled order's saga had approved it.
		ch <- prometheus.MustNewConstMetric(sagasFinished, prometheus.CounterValue,
			float64(states["APPROVED"]+states["CANCELLED"]), mode, "approved")
		ch <- prometheus.MustNewConstMetric(sagasFinished, prometheus.CounterValue, float64(states["REJECTED"]), mode, "rejected")
		ch <- prometheus.MustNewConstMetric(sagasRunning, prometheus.GaugeValue, float64(states["PENDING"]), mode)
	}
	for module, types := range st.Published {
		for typ, n := range types {
			ch <- prometheus.MustNewConstMetric(published, prometheus.CounterValue, float64(n), module, typ)
		}
	}
	for module, n := range st.Backlog {
		ch <- prometheus.MustNewConstMetric(backlog, prometheus.GaugeValue, float64(n), module)
	}
	for topic, n := range st.ViewLag {
		ch <- prometheus.MustNewConstMetric(viewLag, prometheus.GaugeValue, float64(n), topic)
	}
	for consumer, n := range st.DeadLetters {
		ch <- prometheus.MustNewConstMetric(deadLetters, prometheus.GaugeValue, float64(n), consumer)
	}
}
