package cmd

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"sagalab/bus"
	"sagalab/bus/jetstream"
	"sagalab/cmd/internal/metrics"
	"sagalab/modules/shared/httpjson"
	"sagalab/modules/system"
)

// distFlags are serve's flags for modules that run as separate processes
// over a broker.
type distFlags struct {
	module     string
	broker     string
	split      bool
	brokerAddr string
	replicas   int
	services   string
	ackWait    time.Duration
	restart    time.Duration
}

func (d *distFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&d.module, "module", "", "run one module alone: order, customer, history (with --broker) or gateway")
	fl.StringVar(&d.broker, "broker", "", "the module's NATS JetStream broker, nats://HOST:PORT[,nats://…]")
	fl.BoolVar(&d.split, "split", false, "start a broker and one process per module, with the gateway on --addr")
	fl.StringVar(&d.brokerAddr, "broker-addr", "127.0.0.1:4222", "with --split: where the embedded broker listens")
	fl.IntVar(&d.replicas, "replicas", 1, "how many brokers of a cluster keep each message: 1 or 3")
	fl.StringVar(&d.services, "services", "order=http://127.0.0.1:8081,customer=http://127.0.0.1:8082,"+
		"history=http://127.0.0.1:8083", "with --module gateway or history: where each module's HTTP API is "+
		"(the History service rebuilds its view from the others' event logs)")
	fl.DurationVar(&d.restart, "restart-after", 250*time.Millisecond,
		"with --split: how long a module that died stays down before it is started again "+
			"(doubling, up to a minute, while it keeps dying)")
	fl.DurationVar(&d.ackWait, "ack-wait", 5*time.Second, "how long a message may go unacknowledged before "+
		"the broker delivers it again")
}

// active reports whether serve runs modules as separate processes.
func (d *distFlags) active() bool { return d.split || d.module != "" || d.broker != "" }

// modulePorts are the default ports of the modules' HTTP APIs.
func modulePorts() map[string]int {
	return map[string]int{"gateway": 8080, "order": 8081, "customer": 8082, "history": 8083}
}

// check says what is wrong with the flags, if anything.
func (d *distFlags) check(cfg system.Config) error {
	switch {
	case cfg.Architecture == system.Monolith:
		return errors.New("--arch monolith is one process: --module, --broker and --split are for microservices")
	case d.split && d.module != "":
		return errors.New("--split starts every module itself: give --split or --module, not both")
	case d.module != "" && d.module != "gateway" && !slices.Contains(system.ModuleNames(), d.module):
		return fmt.Errorf("--module %q: want order, customer, history or gateway", d.module)
	case d.module == "" && !d.split:
		return errors.New("--broker needs --module NAME (or use --split)")
	case d.module != "" && d.module != "gateway" && d.broker == "":
		return fmt.Errorf("--module %s needs --broker nats://HOST:PORT (start one with: sagalab broker)", d.module)
	case d.restart <= 0:
		return errors.New("--restart-after must be positive")
	case d.split && d.replicas != 1:
		return errors.New("--split runs one broker: it keeps one copy of each message (--replicas 1)")
	case d.replicas != 1 && d.replicas != 3:
		return fmt.Errorf("--replicas %d: want 1 or 3", d.replicas)
	case cfg.Faults.Any() || len(cfg.Faults.Pauses) > 0:
		return errors.New("--fault is for the in-process bus; over a broker, kill a module's process instead")
	}
	return nil
}

// brokerTransport makes a module's JetStream transport.
func brokerTransport(url, name string, replicas int, ackWait time.Duration, log *slog.Logger) func(context.Context) (bus.Transport, error) {
	return func(ctx context.Context) (bus.Transport, error) {
		return jetstream.New(ctx, jetstream.Config{URL: url, Name: "sagalab-" + name, Replicas: replicas,
			AckWait: ackWait, Logger: log})
	}
}

// serveModule runs one module, or the gateway, as this process.
func serveModule(cmd *cobra.Command, cfg system.Config, d distFlags, addr string, dataSet bool) error {
	ctx := cmd.Context()
	if !cmd.Flags().Changed("addr") {
		addr = fmt.Sprintf("127.0.0.1:%d", modulePorts()[d.module])
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	out := cmd.OutOrStdout()
	var handler http.Handler
	closeAll := func() error { return nil }
	mets := metrics.New(nil, cfg.Logger)
	if d.module == "gateway" {
		services, err := parseServices(d.services)
		if err != nil {
			ln.Close()
			return err
		}
		handler = system.Gateway(cfg.Logger, services)
		fmt.Fprintf(out, "sagalab %s gateway on http://%s (pid %d); Ctrl-C stops\n", version, ln.Addr(), os.Getpid())
		for _, name := range system.ModuleNames() {
			fmt.Fprintf(out, "  %-9s %s\n", name, services[name])
		}
	} else {
		if !dataSet {
			cfg.DataDir = filepath.Join(cfg.DataDir, d.module)
		}
		if d.module == "history" {
			if cfg.Services, err = parseServices(d.services); err != nil {
				ln.Close()
				return err
			}
		}
		cfg.Transport = brokerTransport(d.broker, d.module, d.replicas, d.ackWait, cfg.Logger)
		cfg.Observer = mets
		m, err := system.StartModule(ctx, cfg, d.module)
		if err != nil {
			ln.Close()
			return err
		}
		handler, closeAll = m.Handler(), m.Close
		fmt.Fprintf(out, "sagalab %s %s service on http://%s (pid %d); Ctrl-C stops\n",
			version, d.module, ln.Addr(), os.Getpid())
		fmt.Fprintf(out, "  data       %s\n", cfg.DataDir)
		fmt.Fprintf(out, "  broker     %s (%d replicas)\n", d.broker, d.replicas)
		if d.module == "order" {
			fmt.Fprintf(out, "  sagas      %s by default, timeout %s\n", cfg.SagaMode, cfg.SagaTimeout)
		}
	}
	err = serveHTTP(ctx, out, ln, withMetrics(mets, handler))
	return errors.Join(err, closeAll())
}

// withMetrics serves GET /metrics beside h (this process's: its HTTP
// requests, its messages handled, the Go runtime) and counts h's requests.
func withMetrics(m *metrics.Metrics, h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.Handle("/", h)
	return m.Middleware(mux)
}

// serveHTTP serves h on ln until ctx ends, then shuts down gracefully.
func serveHTTP(ctx context.Context, out interface{ Write([]byte) (int, error) }, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      httpjson.Deadline + 15*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		fmt.Fprintln(out, "stopping")
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = srv.Shutdown(shutdown)
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// parseServices reads --services: name=url pairs for order, customer and
// history.
func parseServices(s string) (map[string]*url.URL, error) {
	out := map[string]*url.URL{}
	for _, pair := range strings.Split(s, ",") {
		name, raw, ok := strings.Cut(strings.TrimSpace(pair), "=")
		u, err := url.Parse(raw)
		if !ok || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("--services: %q is not NAME=http://HOST:PORT", pair)
		}
		if !slices.Contains(system.ModuleNames(), name) {
			return nil, fmt.Errorf("--services: no module %q (want order, customer or history)", name)
		}
		out[name] = u
	}
	for _, name := range system.ModuleNames() {
		if out[name] == nil {
			return nil, fmt.Errorf("--services: where is the %s module? give order=…,customer=…,history=…", name)
		}
	}
	return out, nil
}
