package cmd

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/spf13/cobra"

	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/shared/money"
	"sagalab/modules/shared/queries"
	"sagalab/modules/system"
)

func newBench() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure sagalab: query strategies side by side",
	}
	var flags systemFlags
	var customers, orders, runs int
	var latency time.Duration
	q := &cobra.Command{
		Use:   "queries",
		Short: "Compare API composition (1+N, bulk) with the CQRS view on seeded data",
		Long: `Seed customers and orders through the real modules (each order a real saga), let the
CQRS view catch up, then answer the slides' "recent, valuable customers" query
(customers created in the last tenth of the seeding, with an APPROVED order above
250.00) the three ways, and print round trips, rows moved, and median and p99 time.`,
		Example: `  sagalab bench queries
  sagalab bench queries --customers 10000 --orders 100000 --call-latency 1ms`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer flags.broker.close()
			if customers < 10 || orders < 1 || runs < 1 {
				return fmt.Errorf("--customers must be at least 10, --orders and --runs at least 1")
			}
			cfg, err := flags.config()
			if err != nil {
				return err
			}
			if cfg.Architecture == system.Monolith {
				return fmt.Errorf("--arch monolith: bench queries compares the services' ways; " +
					"the monolith's one join is sagalab query valuable-customers --via monolith")
			}
			cfg.CallLatency = latency
			return withTempDir(cfg, func(cfg system.Config, _ bool) error {
				return benchQueries(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, customers, orders, runs)
			})
		},
	}
	flags.register(q, "")
	q.Flags().IntVar(&customers, "customers", 10000, "customers to seed")
	q.Flags().IntVar(&orders, "orders", 100000, "orders to seed (each runs a saga)")
	q.Flags().IntVar(&runs, "runs", 7, "times each strategy runs")
	q.Flags().DurationVar(&latency, "call-latency", 200*time.Microsecond, "simulated latency of each call across a service boundary")
	cmd.AddCommand(q, newBenchSagas(), newBenchCompare())
	return cmd
}

func benchQueries(ctx context.Context, out, errOut io.Writer, cfg system.Config, customers, orders, runs int) error {
	sys, err := system.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer sys.Close()
	fmt.Fprintf(out, "seeding %d customers and %d orders (%s sagas) in %s\n", customers, orders, cfg.SagaMode, cfg.DataDir)
	started := time.Now()
	ids, recentFrom, err := seedCustomers(ctx, sys, errOut, customers)
	if err != nil {
		return err
	}
	if err := seedOrders(ctx, sys, errOut, ids, orders); err != nil {
		return err
	}
	if err := waitCaughtUp(ctx, sys); err != nil {
		return err
	}
	took := time.Since(started)
	fmt.Fprintf(out, "seeded and caught up in %s (%.0f sagas/s)\n\n", took.Round(time.Millisecond), float64(orders)/took.Seconds())

	q := queries.ValuableCustomers{CreatedAfter: recentFrom, State: ordercontract.Approved, MoreThan: 250_00}
	fmt.Fprintf(out, "query: customers created after %s (the last tenth) with an APPROVED order above %s\n",
		recentFrom.Format("15:04:05.000"), q.MoreThan)
	fmt.Fprintf(out, "call latency %s per round trip, %d runs each\n\n", cfg.CallLatency, runs)
	fmt.Fprintf(out, "%-18s %12s %12s %8s %12s %12s\n", "strategy", "round trips", "rows moved", "rows", "median", "p99")
	var want []queries.ValuableCustomer
	for i, via := range queries.Vias {
		var times []time.Duration
		var st queries.Stats
		var rows []queries.ValuableCustomer
		for range runs {
			rows, st, err = sys.ValuableCustomers(ctx, via, q)
			if err != nil {
				return err
			}
			times = append(times, st.Elapsed)
		}
		if i == 0 {
			want = rows
		} else if !queries.Same(rows, want) {
			return fmt.Errorf("%s returned other rows than %s", via, queries.Vias[0])
		}
		slices.Sort(times)
		fmt.Fprintf(out, "%-18s %12d %12d %8d %12s %12s\n", via, st.RoundTrips, st.RowsFetched, len(rows),
			times[len(times)/2].Round(time.Microsecond), percentile(times, 0.99).Round(time.Microsecond))
	}
	return nil
}

// percentile returns the p-th percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func seedCustomers(ctx context.Context, sys *system.System, errOut io.Writer, n int) ([]string, time.Time, error) {
	bar := newProgress(errOut, "customers", n)
	defer bar.finish()
	rnd := rand.New(rand.NewPCG(1, 2))
	ids := make([]string, n)
	var recentFrom time.Time
	for i := range n {
		limit := money.Money(500_00 + rnd.Int64N(5000_00))
		id, err := sys.Customers.Create(ctx, fmt.Sprintf("Customer %d", i+1), limit)
		if err != nil {
			return nil, time.Time{}, err
		}
		ids[i] = id
		if i == n-n/10-1 {
			c, err := sys.Customers.Customer(ctx, id)
			if err != nil {
				return nil, time.Time{}, err
			}
			recentFrom = c.CreatedAt
		}
		bar.add(1)
	}
	return ids, recentFrom, nil
}

func seedOrders(ctx context.Context, sys *system.System, errOut io.Writer, customers []string, n int) error {
	bar := newProgress(errOut, "orders (sagas)", n)
	defer bar.finish()
	const workers = 32
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(w), 7))
			for i := w; i < n; i += workers {
				total := money.Money(1_00 + rnd.Int64N(500_00))
				if _, err := sys.Orders.Create(ctx, customers[rnd.IntN(len(customers))], total, ""); err != nil {
					errs <- err
					return
				}
				bar.add(1)
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}

// waitCaughtUp waits until every saga has ended and the view has applied
// every event.
func waitCaughtUp(ctx context.Context, sys *system.System) error {
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		pending, err := sys.Orders.CountPending(ctx)
		if err != nil {
			return err
		}
		if pending == 0 && sys.Bus.Idle() {
			st, err := sys.ViewStatus(ctx)
			if err != nil {
				return err
			}
			lag := int64(0)
			for _, s := range st {
				lag += s.Lag
			}
			if lag == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}
