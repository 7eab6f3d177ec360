package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/shared/httpjson"
	"sagalab/modules/system"
)

func newServe() *cobra.Command {
	var flags systemFlags
	var dist distFlags
	var addr string
	var logRequests, logMessages bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the store's REST API and its live classroom page",
		Long: `Serve the Order and Customer services' REST API (compatible with the Eventuate
customers-and-orders examples) and a web page that shows sagas live:

  GET  /                      the classroom page: orders and sagas live, each order's
                              sequence diagram, each module's rows, actions
  POST /customers             {"name":"John","creditLimit":{"amount":"15.00"}}
  GET  /customers[/{id}]
  POST /orders                {"customerId":"…","orderTotal":{"amount":"12.34"}[,"sagaMode":"…"]}
  GET  /orders[/{id}]
  POST /orders/{id}/cancel    an APPROVED order becomes CANCELLED, its credit is released
  GET  /openapi.json          the whole REST API, as OpenAPI 3.1
  GET  /metrics               Prometheus metrics
  GET  /healthz, /readyz      the process answers; ready to serve (503 with the reasons)

Each request is logged on stderr (--log-requests=false: none); --log-messages
prints every message a module handles on stdout. Data lives in --data and survives
restarts: sagas in flight finish after a restart.

With --arch monolith the same API is served by the monolith: customers and orders in
one database (store.db), each order decided in one ACID transaction, no saga. Each order
says which architecture handled it ("architecture": "monolith" or "microservices").
The monolith serves its API, request logs and /metrics (HTTP and Go runtime); the page,
/openapi.json, the health checks and the saga metrics are the microservices'.

With --split each module runs as its own process on a NATS JetStream broker that
serve starts in this process: order, customer and history are child processes
("sagalab serve --module NAME …"), restarted when they die, and this process is the
API gateway on --addr: it serves the same REST API, passing each request to the module
that owns it and composing what spans modules from their own HTTP APIs. A module that
is down answers 503 through the gateway; the others carry on. Each module serves its
own /metrics on its address. Run the pieces on several machines with "sagalab broker"
and "sagalab serve --module NAME".`,
		Example: `  sagalab serve
  sagalab serve --addr 127.0.0.1:9090 --data /tmp/store --saga orchestration
  sagalab serve --arch monolith --data /tmp/monolith
  sagalab serve --split                   # a broker and one process per module
  sagalab serve --module customer --broker nats://127.0.0.1:4222
  curl -s -XPOST localhost:8080/customers -d '{"name":"John","creditLimit":{"amount":"15.00"}}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.config()
			if err != nil {
				return err
			}
			if dist.active() {
				if err := dist.check(cfg); err != nil {
					return err
				}
				if dist.split {
					return serveSplit(cmd, cfg, dist, addr)
				}
				return serveModule(cmd, cfg, dist, addr, cmd.Flags().Changed("data"))
			}
			return serve(cmd, cfg, addr, serveOptions{logRequests: logRequests, logMessages: logMessages})
		},
	}
	flags.register(cmd, "sagalab-data")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
	dist.register(cmd)
	cmd.Flags().BoolVar(&logRequests, "log-requests", true, "log one line per HTTP request on stderr")
	cmd.Flags().BoolVar(&logMessages, "log-messages", false, "print every message a module handles, as the demo does")
	return cmd
}

// printSettings says where sagalab serves and with which settings.
func printSettings(out io.Writer, addr string, cfg system.Config) {
	fmt.Fprintf(out, "sagalab %s serving on http://%s; Ctrl-C stops\n", version, addr)
	fmt.Fprintf(out, "  data       %s (SQLite synchronous=%s)\n", cfg.DataDir, cfg.Synchronous)
	if cfg.Architecture == system.Monolith {
		fmt.Fprintf(out, "  monolith   one database (store.db), one ACID transaction per order, no saga\n")
		return
	}
	fmt.Fprintf(out, "  sagas      %s by default, timeout %s\n", cfg.SagaMode, cfg.SagaTimeout)
	snapshots := "never"
	if cfg.SnapshotEvery > 0 {
		snapshots = fmt.Sprintf("every %d events of a customer", cfg.SnapshotEvery)
	}
	retention := "for ever"
	if cfg.Retention > 0 {
		retention = "for " + cfg.Retention.String()
	}
	fmt.Fprintf(out, "  snapshots  %s\n", snapshots)
	fmt.Fprintf(out, "  retention  delivered messages kept %s\n", retention)
	faults := cfg.Faults.String()
	if cfg.CallLatency > 0 {
		faults += fmt.Sprintf(" · composer call latency %s", cfg.CallLatency)
	}
	fmt.Fprintf(out, "  faults     %s\n", faults)
	fmt.Fprintf(out, "  page       http://%s/ · API /openapi.json · metrics /metrics · /healthz /readyz\n", addr)
}

// serveOptions are serve's own flags.
type serveOptions struct {
	logRequests, logMessages bool
}

func serve(cmd *cobra.Command, cfg system.Config, addr string, opt serveOptions) error {
	ctx := cmd.Context()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	serving := newServing(cfg)
	var messages io.Writer
	if opt.logMessages {
		messages = cmd.OutOrStdout()
	}
	cfg.Observer = serving.observer(messages)
	sys, err := start(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	var requests *slog.Logger
	if opt.logRequests {
		requests = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
	}
	srv := &http.Server{
		Handler:           serving.handler(sys, requests, cfg.Logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      httpjson.Deadline + 15*time.Second, // a request's answer outlives its deadline
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	printSettings(cmd.OutOrStdout(), ln.Addr().String(), cfg)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err = <-errc:
	case <-ctx.Done():
		fmt.Fprintln(cmd.OutOrStdout(), "stopping")
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return errors.Join(err, sys.Close())
}

// server is a running store of either architecture.
type server interface {
	Handler() http.Handler
	Close() error
}

// start starts the store in cfg's architecture.
func start(ctx context.Context, cfg system.Config) (server, error) {
	if cfg.Architecture == system.Monolith {
		return system.StartMonolith(ctx, cfg)
	}
	return system.Start(ctx, cfg)
}
