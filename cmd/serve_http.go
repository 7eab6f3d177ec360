package cmd

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"

	"sagalab/bus"
	"sagalab/cmd/internal/metrics"
	"sagalab/cmd/internal/reqlog"
	"sagalab/cmd/internal/trace"
	"sagalab/cmd/internal/web"
	"sagalab/modules/system"
)

// observers tells every one of its observers about each handled message.
type observers []bus.Observer

func (os observers) Handled(d bus.Delivery) {
	for _, o := range os {
		o.Handled(d)
	}
}

// serving is what serve adds around the REST API: the page, its live
// updates, metrics and request logs.
type serving struct {
	metrics *metrics.Metrics
	pages   *web.Broadcaster
	sys     *system.System // set once started
}

// newServing prepares the observers of a system not started yet.
func newServing(cfg system.Config) *serving {
	s := &serving{pages: web.NewBroadcaster()}
	var stats metrics.StatsFunc
	if cfg.Architecture != system.Monolith {
		stats = func(ctx context.Context) (system.Stats, error) { return s.sys.Stats(ctx) }
	}
	s.metrics = metrics.New(stats, cfg.Logger)
	return s
}

// observer is what the bus tells: the metrics, the pages and, when asked,
// a line per message on messages.
func (s *serving) observer(messages io.Writer) bus.Observer {
	obs := observers{s.metrics, s.pages}
	if messages != nil {
		obs = append(obs, &messagePrinter{out: messages})
	}
	return obs
}

// handler serves the REST API, the page, /metrics, and logs each request
// on requests when it is not nil. The monolith has no page: no messages,
// no sagas to draw.
func (s *serving) handler(srv server, requests *slog.Logger, log *slog.Logger) http.Handler {
	api := srv.Handler()
	extra := http.NewServeMux()
	extra.Handle("GET /metrics", s.metrics.Handler())
	if sys, ok := srv.(*system.System); ok {
		s.sys = sys
		web.Routes(extra, sys, s.pages, log)
	}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := extra.Handler(r); pattern != "" {
			extra.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
	h = s.metrics.Middleware(h)
	if requests != nil {
		h = reqlog.Middleware(requests, h)
	}
	return h
}

// messagePrinter prints each message a consumer handled, as the demo does,
// as it happens.
type messagePrinter struct {
	mu  sync.Mutex
	out io.Writer
}

func (p *messagePrinter) Handled(d bus.Delivery) {
	if d.Ignored {
		return // the consumer does not handle this type: no transaction happened
	}
	what := trace.MessageKind(d.Topic) + " " + d.Type
	note := ""
	if d.Duplicate {
		note = "  (duplicate, ignored)"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.out, "%s  %-8s → %-8s  %-38s %s%s\n",
		d.At.Format("15:04:05.000"), d.Source, d.Consumer, what, shortID(d.CorrelationID), note)
}
