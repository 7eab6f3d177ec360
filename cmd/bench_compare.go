package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"sagalab/cmd/internal/load"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

func newBenchCompare() *cobra.Command {
	var flags systemFlags
	var orders, clients, customers int
	var pause time.Duration
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "compare",
		Short: "The whole deck in one run: monolith, 2PC, choreography and orchestration side by side",
		Long: `Run the same Create Order load, on one machine with the same --sync, four ways: the
monolith (one ACID transaction), two-phase commit, and the two saga modes. For each, print
orders/s, p50 and p99 latency (from the request to the order's final state; each client
waits for its order before placing the next), local transactions (commits) and messages
per order, and availability: with the Customer service paused for --pause under load, how
many orders were accepted during the pause and how many of them completed after it.`,
		Example: `  sagalab bench compare
  sagalab bench compare --orders 5000 --clients 16 --sync full --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if orders < 10 || clients < 1 || customers < 1 || pause <= 0 {
				return fmt.Errorf("--orders must be at least 10, --clients and --customers at least 1, --pause above 0")
			}
			cfg, err := flags.config()
			if err != nil {
				return err
			}
			if cfg.Architecture == system.Monolith {
				return fmt.Errorf("--arch: bench compare runs every architecture itself")
			}
			l := load.Config{Sagas: orders, Clients: clients, Customers: customers}
			return benchCompare(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, l, pause, asJSON)
		},
	}
	flags.register(cmd, "")
	cmd.Flags().IntVar(&orders, "orders", 2000, "orders placed by each way")
	cmd.Flags().IntVar(&clients, "clients", 8, "clients placing orders at the same time")
	cmd.Flags().IntVar(&customers, "customers", 100, "customers the orders are spread over")
	cmd.Flags().DurationVar(&pause, "pause", time.Second, "how long the Customer service is paused for availability")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the figures as JSON")
	return cmd
}

func benchCompare(ctx context.Context, out, errOut io.Writer, cfg system.Config, l load.Config, pause time.Duration, asJSON bool) error {
	var rows []load.Figures
	modes := []ordercontract.SagaMode{ordercontract.TwoPhaseCommit, ordercontract.Choreography, ordercontract.Orchestration}
	f, err := compareMonolith(ctx, errOut, cfg, l)
	if err != nil {
		return err
	}
	rows = append(rows, f)
	for _, mode := range modes {
		f, err := compareServices(ctx, errOut, cfg, l, mode, pause)
		if err != nil {
			return err
		}
		rows = append(rows, f)
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"sync": cfg.Synchronous, "orders": l.Sagas, "clients": l.Clients,
			"pause": pause.String(), "results": rows})
	}
	fmt.Fprintf(out, "%d orders per way, %d clients, --sync %s; Customer service paused %s for availability\n\n",
		l.Sagas, l.Clients, cfg.Synchronous, pause)
	fmt.Fprintf(out, "%-14s %9s %8s %8s %9s %9s %18s\n", "", "orders/s", "p50 ms", "p99 ms", "commits", "messages", "during pause")
	fmt.Fprintf(out, "%-14s %9s %8s %8s %9s %9s %18s\n", "", "", "", "", "/order", "/order", "accepted/completed")
	for _, r := range rows {
		pauseCol := fmt.Sprintf("%d/%d", r.AcceptedDuringPause, r.CompletedAfterPause)
		if r.Name == "monolith" {
			pauseCol = "no service"
		}
		fmt.Fprintf(out, "%-14s %9.0f %8.2f %8.2f %9.1f %9.1f %18s\n", r.Name, r.PerSecond, r.P50Ms, r.P99Ms,
			r.CommitsPerOrder, r.MessagesPerOrd, pauseCol)
	}
	return nil
}

func compareMonolith(ctx context.Context, errOut io.Writer, cfg system.Config, l load.Config) (load.Figures, error) {
	var f load.Figures
	err := withTempDir(system.Config{Synchronous: cfg.Synchronous}, func(c system.Config, _ bool) error {
		m, err := system.StartMonolith(ctx, c)
		if err != nil {
			return err
		}
		defer m.Close()
		customers, err := load.PrepareMonolith(ctx, m, l)
		if err != nil {
			return err
		}
		bar := newProgress(errOut, "monolith", l.Sagas)
		l.Progress = func() { bar.add(1) }
		f, err = load.MeasureMonolith(ctx, m, l, customers)
		bar.finish()
		return err
	})
	return f, err
}

func compareServices(ctx context.Context, errOut io.Writer, cfg system.Config, l load.Config, mode ordercontract.SagaMode,
	pause time.Duration) (load.Figures, error) {
	var f load.Figures
	cfg.DataDir = ""
	err := withTempDir(cfg, func(c system.Config, _ bool) error {
		s, err := system.Start(ctx, c)
		if err != nil {
			return err
		}
		defer s.Close()
		customers, err := load.Prepare(ctx, s, l)
		if err != nil {
			return err
		}
		bar := newProgress(errOut, string(mode), l.Sagas)
		l.Progress = func() { bar.add(1) }
		f, err = load.MeasureServices(ctx, s, mode, l, customers)
		bar.finish()
		if err != nil {
			return err
		}
		l.Progress = nil
		f.AcceptedDuringPause, f.CompletedAfterPause, err = load.Availability(ctx, s, mode, l, customers, pause)
		return err
	})
	return f, err
}
