package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"sagalab/cmd/internal/load"
	ordercontract "sagalab/modules/order/contract"
	"sagalab/modules/system"
)

func newBenchSagas() *cobra.Command {
	var flags systemFlags
	var l load.Config
	var both, asJSON bool
	var runs int
	cmd := &cobra.Command{
		Use:   "sagas",
		Short: "Measure Create Order sagas per second and their latency, against the monolith",
		Long: `Place many orders of 1.00 at once, each one a real Create Order saga (every step a
committed SQLite transaction with its outbox and inbox rows), and time them until every
saga has ended. In the same run, with the same --sync, the monolith places the same
orders, each one ACID transaction on one SQLite file (store.db): the baseline.

It prints, per saga mode and for the monolith: sagas (orders) per second, the ratio to
the monolith, the latency from create to final state (p50, p95, p99), local
transactions and SQLite COMMITs per saga for each database, the share of the run each
database's writer spent in transactions (a file has one writer: the busier it is, the
longer other writes wait for it), messages per saga, how long goroutines ready to run
waited for the Go scheduler (every goroutine of the process: a saga's hand-overs, and
the messages of a batch told it has committed), and the process's peak memory.

Closed loop by default: --clients clients, each placing its next order when the last
call returned. --rate N places N orders per second whatever the pace (open loop), to
read the latency at a given load. --both runs choreography and orchestration in turn;
--arch monolith measures the monolith alone.

On a shared machine whose speed wanders, one run can be off by a fifth. --runs N
measures everything N times, alternating (the monolith, then each mode, again), and
prints each figure's median, and each run's ratios under the table.`,
		Example: `  sagalab bench sagas --both
  sagalab bench sagas --both --runs 3
  sagalab bench sagas --both --sync full
  sagalab bench sagas --both --rate 1000 --sagas 5000
  sagalab bench sagas --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			defer flags.broker.close()
			if l.Sagas < 1 || l.Clients < 1 || l.Customers < 1 {
				return fmt.Errorf("--sagas, --clients and --customers must be at least 1")
			}
			if l.Rate < 0 {
				return fmt.Errorf("--rate must be positive (orders per second), or 0 for closed loop")
			}
			if runs < 1 {
				return fmt.Errorf("--runs must be at least 1")
			}
			cfg, err := flags.config()
			if err != nil {
				return err
			}
			var modes []ordercontract.SagaMode
			switch {
			case cfg.Architecture == system.Monolith:
			case both:
				modes = []ordercontract.SagaMode{ordercontract.Choreography, ordercontract.Orchestration}
			default:
				modes = []ordercontract.SagaMode{cfg.SagaMode}
			}
			return benchSagas(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), cfg, l, modes, runs, asJSON)
		},
	}
	flags.register(cmd, "")
	cmd.Flags().IntVar(&l.Sagas, "sagas", 5000, "orders to place, each a saga")
	cmd.Flags().IntVar(&l.Clients, "clients", 32, "clients placing orders at the same time (closed loop)")
	cmd.Flags().IntVar(&l.Customers, "customers", 100, "customers the orders are spread over")
	cmd.Flags().Float64Var(&l.Rate, "rate", 0, "orders per second, placed whatever the pace (open loop); 0: closed loop")
	cmd.Flags().BoolVar(&both, "both", false, "run choreography and orchestration in turn")
	cmd.Flags().IntVar(&runs, "runs", 1, "measure everything this many times, alternating, and print the medians")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the figures as JSON")
	return cmd
}

// sagasReport is what bench sagas measured, as --json prints it.
type sagasReport struct {
	Synchronous string  `json:"synchronous"`
	Sagas       int     `json:"sagas"`
	Clients     int     `json:"clients,omitempty"`
	Rate        float64 `json:"rate,omitempty"`
	Customers   int     `json:"customers"`
	// Monolith and Modes are the figures of the one run, or the medians
	// of the runs (each ratio the median of the runs' ratios).
	Monolith load.Summary  `json:"monolith"`
	Modes    []modeFigures `json:"modes"`
	// Runs holds each run's figures when there were several.
	Runs []sagasRun `json:"runs,omitempty"`
	// PeakRSS is the peak memory of the (first) run, in a fresh process;
	// 0 if unknown.
	PeakRSS int64 `json:"peakRssBytes"`
}

// sagasRun is one run of bench sagas: the monolith, then each mode.
type sagasRun struct {
	Monolith load.Summary  `json:"monolith"`
	Modes    []modeFigures `json:"modes"`
	PeakRSS  int64         `json:"peakRssBytes"` // during this run (0 if unknown)
}

// modeFigures is one saga mode's figures and its ratio to the monolith.
type modeFigures struct {
	load.Summary
	Ratio float64 `json:"ratioToMonolith"`
}

func benchSagas(ctx context.Context, out, errOut io.Writer, cfg system.Config, l load.Config,
	modes []ordercontract.SagaMode, runs int, asJSON bool) error {
	rep := sagasReport{Synchronous: string(cfg.Synchronous), Sagas: l.Sagas, Customers: l.Customers, Rate: l.Rate}
	if l.Rate == 0 {
		rep.Clients = l.Clients
	}
	if !asJSON {
		how := fmt.Sprintf("from %d clients", l.Clients)
		if l.Rate > 0 {
			how = fmt.Sprintf("at %.0f/s", l.Rate)
		}
		fmt.Fprintf(out, "%d orders %s over %d customers, synchronous=%s, bus %s\n",
			l.Sagas, how, l.Customers, cfg.Synchronous, busName(cfg))
		if runs > 1 {
			fmt.Fprintf(out, "%d runs, alternating: the medians\n", runs)
		}
		fmt.Fprintln(out)
	}
	for i := range runs {
		label := ""
		if i > 0 {
			// Each run's peak memory on its own: Go's and the C heap's
			// free memory is given back first. Where the peak cannot
			// start again, it is the process's so far.
			debug.FreeOSMemory()
			trimCHeap()
			resetPeakRSS()
		}
		if runs > 1 {
			label = fmt.Sprintf("run %d/%d ", i+1, runs)
		}
		run, err := benchRun(ctx, errOut, cfg, l, modes, label)
		if err != nil {
			return err
		}
		run.PeakRSS = peakRSS()
		rep.Runs = append(rep.Runs, run)
	}
	rep.PeakRSS = rep.Runs[0].PeakRSS
	rep.Monolith, rep.Modes = medianRun(rep.Runs)
	if runs == 1 {
		rep.Runs = nil
	}
	if asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printSagasReport(out, rep)
	return nil
}

// benchRun measures the monolith, then each of modes, each on a data
// directory of its own.
func benchRun(ctx context.Context, errOut io.Writer, cfg system.Config, l load.Config,
	modes []ordercontract.SagaMode, label string) (sagasRun, error) {
	var run sagasRun
	err := withTempDir(cfg, func(cfg system.Config, _ bool) error {
		var err error
		run.Monolith, err = benchMonolith(ctx, errOut, cfg, l, label)
		return err
	})
	if err != nil {
		return sagasRun{}, err
	}
	for _, mode := range modes {
		cfg.SagaMode = mode
		err := withTempDir(cfg, func(cfg system.Config, _ bool) error {
			s, err := benchMode(ctx, errOut, cfg, l, label)
			if err != nil {
				return err
			}
			run.Modes = append(run.Modes, modeFigures{Summary: s, Ratio: s.PerSecond / run.Monolith.PerSecond})
			return nil
		})
		if err != nil {
			return sagasRun{}, err
		}
	}
	return run, nil
}

// medianRun sums runs up: the median of each figure, and of each mode's
// ratios.
func medianRun(runs []sagasRun) (load.Summary, []modeFigures) {
	monoliths := make([]load.Summary, len(runs))
	for i, r := range runs {
		monoliths[i] = r.Monolith
	}
	var modes []modeFigures
	for k := range runs[0].Modes {
		var sums []load.Summary
		var ratios []float64
		for _, r := range runs {
			sums, ratios = append(sums, r.Modes[k].Summary), append(ratios, r.Modes[k].Ratio)
		}
		modes = append(modes, modeFigures{Summary: load.Median(sums), Ratio: load.MedianOf(ratios)})
	}
	return load.Median(monoliths), modes
}

// benchMode measures cfg.SagaMode's sagas.
func benchMode(ctx context.Context, errOut io.Writer, cfg system.Config, l load.Config, label string) (load.Summary, error) {
	sys, tracker, err := load.Start(ctx, cfg)
	if err != nil {
		return load.Summary{}, err
	}
	defer sys.Close()
	customers, err := load.Prepare(ctx, sys, l)
	if err != nil {
		return load.Summary{}, err
	}
	bar := newProgress(errOut, label+string(cfg.SagaMode), l.Sagas)
	l.Progress = func() { bar.add(1) }
	res, err := load.Run(ctx, sys, tracker, l, customers)
	bar.finish()
	if err != nil {
		return load.Summary{}, err
	}
	return res.Summary(string(cfg.SagaMode)), nil
}

// benchMonolith measures the monolith baseline under the same load.
func benchMonolith(ctx context.Context, errOut io.Writer, cfg system.Config, l load.Config, label string) (load.Summary, error) {
	m, err := system.StartMonolith(ctx, cfg)
	if err != nil {
		return load.Summary{}, err
	}
	defer m.Close()
	customers, err := load.PrepareMonolith(ctx, m, l)
	if err != nil {
		return load.Summary{}, err
	}
	bar := newProgress(errOut, label+"monolith", l.Sagas)
	l.Progress = func() { bar.add(1) }
	res, err := load.RunMonolith(ctx, m, l, customers)
	bar.finish()
	if err != nil {
		return load.Summary{}, err
	}
	return res.Summary("monolith"), nil
}

func printSagasReport(out io.Writer, rep sagasReport) {
	fmt.Fprintf(out, "%-13s %7s %6s %8s %8s %8s %5s %7s %5s %5s %6s\n",
		"", "rate/s", "ratio", "p50", "p95", "p99", "tx", "commits", "stmts", "msgs", "CPU")
	row := func(s load.Summary, ratio float64) {
		fmt.Fprintf(out, "%-13s %7.0f %5.2f× %6.2fms %6.2fms %6.2fms %5.2f %7.2f %5.1f %5.2f %4.0fµs\n",
			s.Name, s.PerSecond, ratio, s.P50, s.P95, s.P99, s.Transactions(), s.Commits(), s.Statements(),
			s.MessagesPerSaga, s.CPUPerSaga)
	}
	row(rep.Monolith, 1)
	for _, m := range rep.Modes {
		row(m.Summary, m.Ratio)
	}
	fmt.Fprintf(out, "\ntx, commits, stmts, msgs and CPU are per saga (per order); by database, tx / commits / stmts:\n")
	printEachDatabase(out, rep, func(d load.DatabaseFigures) string {
		return fmt.Sprintf("%.2f / %.2f / %.1f", d.TransactionsPerSaga, d.CommitsPerSaga, d.StatementsPerSaga)
	})
	fmt.Fprintf(out, "\nshare of the run each database's writer spent in transactions (other writes to it wait):\n")
	printEachDatabase(out, rep, func(d load.DatabaseFigures) string { return fmt.Sprintf("%.0f%%", d.WriterBusy) })
	if len(rep.Runs) > 1 {
		fmt.Fprintf(out, "\nper run:\n  %-14s", "monolith")
		for _, r := range rep.Runs {
			fmt.Fprintf(out, " %6.0f", r.Monolith.PerSecond)
		}
		fmt.Fprintf(out, " /s\n")
		for k, m := range rep.Modes {
			fmt.Fprintf(out, "  %-14s", m.Name)
			for _, r := range rep.Runs {
				fmt.Fprintf(out, " %5.2f×", r.Modes[k].Ratio)
			}
			fmt.Fprintln(out)
		}
		if rep.PeakRSS > 0 {
			fmt.Fprintf(out, "  %-14s", "peak memory")
			for _, r := range rep.Runs {
				fmt.Fprintf(out, " %6d", r.PeakRSS>>20)
			}
			fmt.Fprintf(out, " MB (a later run starts from what the ones before left in use)\n")
		}
	}
	if rep.Rate > 0 {
		fmt.Fprintf(out, "\nlatencies count from when each order was due; the load generator sent them late by\n"+
			"(its own timers and goroutines, p50 / p99): %s\n", eachSummary(rep, func(s load.Summary) string {
			return fmt.Sprintf("%.2f / %.2f ms", s.LateP50, s.LateP99)
		}))
	}
	fmt.Fprintf(out, "\ngoroutines ready to run waited for the Go scheduler (sampled by the runtime, p50 / p99):\n"+
		"%s\n", eachSummary(rep, func(s load.Summary) string {
		return micros(s.WaitP50) + " / " + micros(s.WaitP99)
	}))
	if rep.PeakRSS > 0 {
		first := ""
		if len(rep.Runs) > 1 {
			first = " (the first run)"
		}
		fmt.Fprintf(out, "\npeak memory (RSS) %d MB%s\n", rep.PeakRSS>>20, first)
	}
}

// eachSummary lists, for the monolith and each saga mode, its name and
// what figures writes of its summary.
func eachSummary(rep sagasReport, figures func(load.Summary) string) string {
	var parts []string
	for _, s := range append([]load.Summary{rep.Monolith}, summaries(rep.Modes)...) {
		parts = append(parts, s.Name+" "+figures(s))
	}
	return strings.Join(parts, ", ")
}

// printEachDatabase prints a line for the monolith and each saga mode:
// its name, then each database's name and what figures writes of it.
func printEachDatabase(out io.Writer, rep sagasReport, figures func(load.DatabaseFigures) string) {
	for _, s := range append([]load.Summary{rep.Monolith}, summaries(rep.Modes)...) {
		var parts []string
		for _, d := range s.Databases {
			parts = append(parts, d.Database+" "+figures(d))
		}
		fmt.Fprintf(out, "%-14s %s\n", s.Name, strings.Join(parts, ", "))
	}
}

// micros writes a time given in microseconds: in µs below a millisecond
// ("<1 µs" below one), else in ms.
func micros(us float64) string {
	if us < 1 {
		return "<1 µs"
	}
	if us < 1000 {
		return fmt.Sprintf("%.0f µs", us)
	}
	return fmt.Sprintf("%.1f ms", us/1000)
}

func summaries(ms []modeFigures) []load.Summary {
	out := make([]load.Summary, len(ms))
	for i, m := range ms {
		out[i] = m.Summary
	}
	return out
}
