package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"sagalab/modules/shared/httpjson"
	"sagalab/modules/system"
)

func newServe() *cobra.Command {
	var flags systemFlags
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the store's REST API",
		Long: `Serve the Order and Customer services' REST API (compatible with the Eventuate
customers-and-orders examples):

  POST /customers             {"name":"John","creditLimit":{"amount":"15.00"}}
  GET  /customers[/{id}]
  POST /orders                {"customerId":"…","orderTotal":{"amount":"12.34"}[,"sagaMode":"…"]}
  GET  /orders[/{id}]
  POST /orders/{id}/cancel    an APPROVED order becomes CANCELLED, its credit is released

Data lives in --data and survives restarts: sagas in flight finish after a restart.

With --arch monolith the same API is served by the monolith: customers and orders in
one database (store.db), each order decided in one ACID transaction, no saga. Each order
says which architecture handled it ("architecture": "monolith" or "microservices").`,
		Example: `  sagalab serve
  sagalab serve --addr 127.0.0.1:9090 --data /tmp/store --saga orchestration
  sagalab serve --arch monolith --data /tmp/monolith
  curl -s -XPOST localhost:8080/customers -d '{"name":"John","creditLimit":{"amount":"15.00"}}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := flags.config()
			if err != nil {
				return err
			}
			return serve(cmd, cfg, addr)
		},
	}
	flags.register(cmd, "sagalab-data")
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "address to listen on")
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
}

func serve(cmd *cobra.Command, cfg system.Config, addr string) error {
	ctx := cmd.Context()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	sys, err := start(ctx, cfg)
	if err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler:           sys.Handler(),
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
